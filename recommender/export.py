"""Export: the trained model behind a built-in tokenising layer, so it takes raw strings.

The front is `TextVectorization` with the exact rules of `recommender.text` and the training
vocabulary, so the saved `.keras` file loads with plain `keras.models.load_model` (no import of
this package) and tokenises as training did. Building that layer needs TensorFlow installed.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from recommender.errors import UserError
from recommender.files import write_json
from recommender.text import Vocabulary

MODEL_FILE = "model.keras"
LABELS_FILE = "labels.json"


def raw_text_model(int_model: Any, vocabulary: Vocabulary, sequence_length: int) -> Any:
    """Wrap a model on token ids into one on raw strings (a 1-D batch of texts)."""
    import keras

    if keras.backend.backend() != "tensorflow":
        raise UserError(
            "exporting a raw-text model needs the TensorFlow backend, "
            f"not '{keras.backend.backend()}'",
            fix="run with KERAS_BACKEND=tensorflow (the default)",
        )
    texts = keras.Input(shape=(), dtype="string", name="text")
    tokenize = keras.layers.TextVectorization(
        standardize="lower_and_strip_punctuation",
        split="whitespace",
        output_mode="int",
        output_sequence_length=sequence_length,
        vocabulary=list(vocabulary.words),
        name="tokenize",
    )
    return keras.Model(texts, int_model(tokenize(texts)), name="embrec_text_classifier")


def export_model(
    int_model: Any,
    vocabulary: Vocabulary,
    sequence_length: int,
    classes: Sequence[str],
    model_dir: Path,
    card: dict[str, Any],
) -> Any:
    """Write model.keras and labels.json into `model_dir` atomically; return the text model."""
    model = raw_text_model(int_model, vocabulary, sequence_length)
    model_dir.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=model_dir, prefix=".model.", suffix=".keras")
    os.close(handle)
    try:
        model.save(temporary)
        os.chmod(temporary, 0o644)
        shutil.move(temporary, model_dir / MODEL_FILE)
    finally:
        Path(temporary).unlink(missing_ok=True)
    write_json(model_dir / LABELS_FILE, {"labels": list(classes), **card})
    return model


def predict_texts(model: Any, texts: Sequence[str], batch_size: int = 256) -> np.ndarray:
    """Class probabilities for raw texts (string tensors: Keras rejects numpy string arrays)."""
    import tensorflow as tf

    if not texts:
        return np.zeros((0, model.output_shape[-1]), dtype=np.float32)
    batches = [
        np.asarray(model(tf.constant(list(texts[start : start + batch_size])), training=False))
        for start in range(0, len(texts), batch_size)
    ]
    return np.concatenate(batches)
