"""Export: the trained model behind a tokenising layer, so it takes raw strings.

The front is `TextVectorization` with the exact rules of `recommender.text` and the training
vocabulary, so the model tokenises as training did. Under the ascii rules they are its built-in
ones, and the saved `.keras` file loads with plain `keras.models.load_model`; under the unicode
rules its standardize step is `keras_text.UnicodeStandardize`, so loading the `.keras` file needs
`import recommender.keras_text` first, while the SavedModel loads with plain TensorFlow.
Building that layer needs TensorFlow installed: under the JAX or torch backend the wrapping runs
in a TensorFlow subprocess on a saved copy of the token-id model. Pretrained strategies may also
keep the pretrained rows of frequent words that training never saw (the vocabulary extension),
when that does not lower test accuracy.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from recommender.errors import UserError
from recommender.files import write_json, write_text
from recommender.models import appended_rows, averaged
from recommender.report.files import accuracy_words
from recommender.text import (
    ASCII_RULES,
    DEFAULT_RULES,
    Rules,
    Vocabulary,
    head_length,
    normalize_word,
    tokenize_all,
)
from recommender.vectors import Vectors, load_vectors, source_words

MODEL_FILE = "model.keras"
SAVED_MODEL_DIR = "saved_model"
LABELS_FILE = "labels.json"
CARD_FILE = "model_card.md"
REPORT_FILE = "report.json"
EXPORT_FILES = (MODEL_FILE, SAVED_MODEL_DIR, LABELS_FILE, CARD_FILE, REPORT_FILE)
DEFAULT_EXTENSION = 50_000  # extra words at most; the CLI's --export-vocab default says the same
# A predict batch is as wide as its longest text before the cut (TextVectorization pads to it),
# so a batch ends before its texts times its longest text's characters pass this: a text of a
# million words goes alone, as a batch of one, where it would have made 256 rows that wide.
PREDICT_CHARACTERS = 2**22

# A model trained on the test split too is checked for parity on this many of its texts at most
# (evenly spaced): no accuracy is measured then, and on 2.5M documents the split holds 500,000,
# which the check would tokenise in Python and predict twice.
PARITY_TEXTS = 10_000
# Texts the parity check adds to the test split: what a tokeniser most easily gets wrong.
PARITY_PROBES: tuple[str, ...] = (
    "",
    "   \t\n ",
    "GREAT!!! Really... great, wasn't it?",
    "Ünïcode: naïve café, ÉCOLE, straße, 東京, emoji 😀👍",
    "self-conscious e-mail (re)charge $20/month @home #1 50% off",
    "zxqvw flibbertigibbet wordsneverseenintraining",
    "non-breaking\u00a0space, em\u2003space, nel\x85line, nul\x00byte",
    "Über DAS Café, ¡Hola! «Très» bien… İstanbul ΣΟΦΟΣ straße ǅemal",
    "我喜欢这个产品，质量很好！PS：物流太慢了……５星 iPhone很好用",
    "東京タワーに行きました。ｶﾀｶﾅ とても楽しかった😀👍🏽 ❤️ 👨\u200d👩\u200d👧",
    "ภาษาไทยไม่มีช่องว่าง ۱۲۳ مرحبا بالعالم! שָׁלוֹם עוֹלָם",
    "Ｆｕｌｌｗｉｄｔｈ ﬁnance ½ x² ℌ e\u0301cole cafe\u0301 \u3000ideographic\u2028line",
    " ".join(["long"] * 1000),  # longer than any sequence length: cut the same way
)

# The TensorFlow side of an export reads these from, and writes its results into, one folder.
_ID_MODEL = "token_ids.keras"
_REQUEST = "request.json"
_PROBABILITIES = "probabilities.npy"
_STAGING = ".export-"  # a staging folder in the model folder (left behind only by a crash)


def raw_text_model(
    int_model: Any, vocabulary: Vocabulary, sequence_length: int, rules: Rules = DEFAULT_RULES
) -> Any:
    """Wrap a model on token ids into one on raw strings (a 1-D batch of texts), tokenised by
    `rules` as `recommender.text` tokenises."""
    import keras

    if keras.backend.backend() != "tensorflow":
        raise UserError(
            "exporting a raw-text model needs the TensorFlow backend, "
            f"not '{keras.backend.backend()}'",
            fix="run with KERAS_BACKEND=tensorflow (the default)",
        )
    texts = keras.Input(shape=(), dtype="string", name="text")
    tokenize = keras.layers.TextVectorization(
        standardize=_standardize(rules),
        split="whitespace",
        output_mode="int",
        vocabulary=list(vocabulary.words),
        name="tokenize",
    )
    ids = head_and_tail(tokenize(texts), sequence_length)
    return keras.Model(texts, int_model(ids), name="embrec_text_classifier")


def head_and_tail(ids: Any, length: int) -> Any:
    """Token ids (a batch padded with 0 to its longest text) cut to `length` as training cut
    them (`text.head_length`): a longer text keeps its head and its tail. Keras operations
    only, so the saved model loads with plain Keras."""
    from keras import ops

    size = ops.sum(ops.cast(ops.not_equal(ids, 0), "int64"), axis=1, keepdims=True)
    padded = ops.pad(ids, [[0, 0], [0, length]])  # at least `length` wide
    place = ops.expand_dims(ops.arange(length, dtype="int64"), 0)
    after_head = ops.logical_and(ops.greater(size, length), place >= head_length(length))
    return ops.take_along_axis(padded, ops.where(after_head, size - length + place, place), 1)


def _cut_words(length: int) -> str:
    head = head_length(length)
    return f"a longer text keeps its first {head} and its last {length - head}"


def _standardize(rules: Rules) -> Any:
    """TextVectorization's standardize for `rules`: a built-in mode for the ascii rules."""
    if rules.tokenizer == "ascii":
        return "lower_and_strip_punctuation" if rules.lowercase else "strip_punctuation"
    from recommender.keras_text import UnicodeStandardize

    return UnicodeStandardize(
        lowercase=rules.lowercase, characters=rules.characters, punctuation=rules.punctuation
    )


@dataclass(frozen=True)
class ExportedModel:
    """What an export wrote and measured; every accuracy is computed from raw strings."""

    vocabulary_size: int  # words the exported tokeniser knows (training words + extension)
    test_accuracy: float | None  # None when the model trained on the test split too
    max_abs_diff: float  # raw strings vs token ids from `recommender.text`: test texts + probes
    extension: dict[str, Any]
    model_bytes: int
    saved_model_bytes: int


@dataclass(frozen=True)
class _Variant:
    """One way to export: a vocabulary, the id model for it, and the model that stands for the
    in-run predictions on that vocabulary's ids."""

    vocabulary: Vocabulary
    model: Any  # what gets wrapped and saved
    reference: Any  # the trained model itself, or its extended copy


def export_model(
    members: Sequence[Any],
    vocabulary: Vocabulary,
    sequence_length: int,
    classes: Sequence[str],
    model_dir: Path,
    *,
    test_texts: Sequence[str],
    test_labels: np.ndarray,
    vectors: Vectors | None = None,
    extension_limit: int = DEFAULT_EXTENSION,
    details: dict[str, Any] | None = None,
    held_out: bool = True,
    rules: Rules = DEFAULT_RULES,
) -> ExportedModel:
    """Write model.keras, saved_model/ and labels.json into `model_dir`: the model on raw
    strings whose probabilities are the mean of `members`' (models on token ids of one
    configuration; one member is exported as it is, see `models.averaged`).

    With `vectors` (pretrained strategies) and a positive `extension_limit`, the model exported
    with the vocabulary extension is measured against the one without it on the test split, and
    the extension is kept unless it lowers test accuracy. Without `held_out` (the model trained
    on the test texts too) they only check parity, on `PARITY_TEXTS` of them at most: no
    accuracy is measured and no extension added, as nothing is left to measure it on. Each file
    appears whole or not at all.
    """
    if not held_out and len(test_texts) > PARITY_TEXTS:
        kept = np.linspace(0, len(test_texts) - 1, PARITY_TEXTS).round().astype(int)
        test_texts, test_labels = [test_texts[i] for i in kept], np.asarray(test_labels)[kept]
    base = _Variant(
        vocabulary, averaged([_with_rows(m, {}) for m in members]), averaged(list(members))
    )
    variants = [base]
    extension: dict[str, Any] = {"limit": extension_limit, "words": 0, "kept": False}
    if vectors is None:
        extension["reason"] = (
            "without pretrained vectors there are no rows for words outside training"
        )
    elif not held_out:
        extension["reason"] = (
            "not added: the model trained on every labelled document, so no held-out split is "
            "left to show that it does not lower accuracy (--final holdout measures it)"
        )
    elif extension_limit == 0:
        extension["reason"] = "disabled (--export-vocab 0)"
    else:
        words, rows = extension_rows(vectors, vocabulary, extension_limit, rules)
        extension["words"] = len(words)
        if words:
            extended = averaged([_with_rows(m, appended_rows(m, rows)) for m in members])
            variants.append(_Variant(Vocabulary(vocabulary.words + words), extended, extended))
        else:
            extension["reason"] = "the vectors' most frequent words are all training words"
    # distinct training words past the sequence length: the kept head and tail are checked
    many_words = [vocabulary.words[i % len(vocabulary.words)] for i in range(3 * sequence_length)]
    texts = [*test_texts, *PARITY_PROBES, *([" ".join(many_words)] if vocabulary.words else [])]
    model_dir.mkdir(parents=True, exist_ok=True)
    for leftover in model_dir.glob(f"{_STAGING}*"):  # a killed export's; the run lock is held
        shutil.rmtree(leftover, ignore_errors=True)
    staging = Path(tempfile.mkdtemp(dir=model_dir, prefix=_STAGING))
    try:
        measured = []
        for number, variant in enumerate(variants):
            folder = staging / str(number)
            from_text = _write_on_tensorflow(variant, sequence_length, texts, folder, rules)
            ids = variant.vocabulary.encode(tokenize_all(texts, rules), sequence_length)
            from_ids = variant.reference.predict(ids, batch_size=512, verbose=0)
            accuracy = float(np.mean(from_text[: len(test_texts)].argmax(axis=1) == test_labels))
            measured.append((folder, variant, accuracy, float(np.abs(from_text - from_ids).max())))
        chosen = measured[0]
        if len(measured) == 2:
            without, with_extension = measured[0][2], measured[1][2]
            kept = with_extension >= without
            chosen = measured[1] if kept else measured[0]
            extension.update(
                kept=kept,
                test_accuracy_with=with_extension,
                test_accuracy_without=without,
                reason=f"{'kept' if kept else 'dropped'}: test accuracy "
                f"{with_extension * 100:.2f}% with the extension, {without * 100:.2f}% without"
                f"{' (it does not hurt)' if kept else ''}",
            )
        folder, variant, accuracy, difference = chosen
        _install(folder, model_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    write_json(model_dir / LABELS_FILE, {"labels": list(classes), **(details or {})})
    return ExportedModel(
        vocabulary_size=len(variant.vocabulary.words),
        test_accuracy=accuracy if held_out else None,
        max_abs_diff=difference,
        extension=extension,
        model_bytes=(model_dir / MODEL_FILE).stat().st_size,
        saved_model_bytes=sum(
            f.stat().st_size for f in (model_dir / SAVED_MODEL_DIR).rglob("*") if f.is_file()
        ),
    )


def _with_rows(int_model: Any, appended: dict[str, np.ndarray]) -> Any:
    """An uncompiled copy of `int_model` whose embedding layers named in `appended` have those
    rows added at the end (`models.appended_rows`: one row per extra word in each layer indexed
    by word id, so every strategy's layers grow together).

    Rebuilt from the config without initial matrices: a `Constant` initializer would be stored
    as JSON in the .keras file (5 MB for 5,000 words x 50 dimensions)."""
    import keras

    config = int_model.get_config()
    for layer in config["layers"]:
        if layer["class_name"] == "Embedding":
            layer["config"]["embeddings_initializer"] = "zeros"
            name = layer["config"]["name"]
            if name in appended:
                extra = len(appended[name])
                layer["config"]["input_dim"] = int(layer["config"]["input_dim"]) + extra
    copy = keras.Model.from_config(config)
    for layer in copy.layers:
        weights = int_model.get_layer(layer.name).get_weights()
        if layer.name in appended:
            weights = [np.concatenate([weights[0], appended[layer.name]])]
        layer.set_weights(weights)
    return copy


def extension_rows(
    vectors: Vectors, vocabulary: Vocabulary, limit: int, rules: Rules = DEFAULT_RULES
) -> tuple[tuple[str, ...], np.ndarray]:
    """Up to `limit` words outside `vocabulary`, as the tokeniser writes them, taken from the
    most frequent words of the vectors source, with their pretrained rows."""
    known = set(vocabulary.words)
    tokens: list[str] = []
    for word in source_words(vectors):
        token = normalize_word(word, rules)
        # a NUL would reach the exported vocabulary as another word (see Vocabulary.build)
        if token is None or token in known or "\x00" in token:
            continue
        known.add(token)
        tokens.append(token)
        if len(tokens) == limit:
            break
    source = vectors.name if vectors.format == "builtin" else vectors.source
    loaded = load_vectors(source, tokens, rules=rules)
    found = [(token, loaded.lookup(token)[0]) for token in tokens]
    kept = [(token, row) for token, row in found if row is not None]
    if not kept:
        return (), np.empty((0, vectors.dim), dtype=np.float32)
    return tuple(t for t, _ in kept), np.stack([row for _, row in kept]).astype(np.float32)


def _write_on_tensorflow(
    variant: _Variant, sequence_length: int, texts: Sequence[str], folder: Path, rules: Rules
) -> np.ndarray:
    """Save the variant's id model and let TensorFlow wrap it (see `write_text_model`); returns
    the wrapped model's probabilities for `texts`, computed from raw strings."""
    import keras

    folder.mkdir(parents=True)
    variant.model.save(folder / _ID_MODEL)
    request = {
        "words": list(variant.vocabulary.words),
        "sequence_length": sequence_length,
        "texts": list(texts),
        "rules": rules.as_dict(),
    }
    write_json(folder / _REQUEST, request)
    if keras.backend.backend() == "tensorflow":
        write_text_model(folder)
    else:
        _write_in_subprocess(folder, keras.backend.backend())
    return np.load(folder / _PROBABILITIES)


def _write_in_subprocess(folder: Path, backend: str) -> None:
    """Run `write_text_model` under the TensorFlow backend in a fresh interpreter."""
    if importlib.util.find_spec("tensorflow") is None:
        raise UserError(
            f"exporting a model that takes raw strings needs TensorFlow (trained under {backend})",
            fix="install it (pip install tensorflow; the CPU build is enough) and rerun the "
            "same command: finished trials and seed runs are kept",
        )
    # CPU only: the export needs no GPU, and this process may hold the GPU's memory.
    env = {**os.environ, "KERAS_BACKEND": "tensorflow", "TF_CPP_MIN_LOG_LEVEL": "3"}
    env["CUDA_VISIBLE_DEVICES"] = ""
    script = (
        "import pathlib, sys\n"
        "from recommender.export import write_text_model\n"
        "write_text_model(pathlib.Path(sys.argv[1]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(folder)], capture_output=True, text=True, env=env
    )
    if done.returncode != 0:
        raise RuntimeError(f"the TensorFlow export subprocess failed:\n{done.stderr[-4000:]}")


def write_text_model(folder: Path) -> None:
    """The TensorFlow side of an export: wrap the id model saved in `folder` behind the
    tokeniser, write model.keras and saved_model/ there, and the raw-string probabilities of
    the request's texts. Runs in-process under TensorFlow, in a subprocess under JAX or torch."""
    import keras

    request = json.loads((folder / _REQUEST).read_text(encoding="utf-8"))
    int_model = keras.models.load_model(folder / _ID_MODEL, compile=False)
    vocabulary = Vocabulary(tuple(request["words"]))
    rules = Rules(**request["rules"])
    model = raw_text_model(int_model, vocabulary, int(request["sequence_length"]), rules)
    model.save(folder / MODEL_FILE)
    model.export(str(folder / SAVED_MODEL_DIR), verbose=False)
    np.save(folder / _PROBABILITIES, predict_texts(model, request["texts"]))


def _install(staged: Path, model_dir: Path) -> None:
    """Move a staged model.keras and saved_model/ into `model_dir` by renames, so neither is ever
    seen half-written (the previous saved_model/ is moved aside first and deleted with the
    staging folder)."""
    os.replace(staged / MODEL_FILE, model_dir / MODEL_FILE)
    target = model_dir / SAVED_MODEL_DIR
    if target.exists():
        os.replace(target, staged / "previous_saved_model")
    os.replace(staged / SAVED_MODEL_DIR, target)


def check_model_dir(model_dir: Path) -> None:
    """Refuse a folder holding anything but an earlier export: never overwrite other files."""
    if not model_dir.is_dir():
        return
    others = sorted(
        p.name
        for p in model_dir.iterdir()
        if p.name not in EXPORT_FILES and not p.name.startswith(_STAGING)
    )
    if others:
        raise UserError(
            f"exists and holds files that are not an exported model ({', '.join(others[:3])})",
            where=str(model_dir),
            fix="pass a new or empty --out folder",
        )


def write_model_card(model_dir: Path, report: dict[str, Any]) -> None:
    """Write model_card.md and a copy of `report` (whose "model" section describes this export)."""
    write_text(model_dir / CARD_FILE, model_card(report))
    write_json(model_dir / REPORT_FILE, report)


def model_card(report: dict[str, Any]) -> str:
    """A model card in Markdown, from the content of report.json."""
    from recommender.report.files import describe

    model = report["model"]
    evidence = next(e for e in report["evidence"] if e["candidate"] == model["candidate"])
    decision = report["recommendation"]
    profile = report["profile"]
    vectors_name = model["candidate"].partition(":")[2]
    interval = evidence["accuracy_ci95"]
    ci = f"{interval[0] * 100:.1f} to {interval[1] * 100:.1f}" if interval else "n/a (one seed)"
    status = (
        "the recommended option"
        if model["candidate"] == decision["recommended"]
        else f"not the recommended option ({decision['recommended']} is)"
    )
    extension = model["vocabulary_extension"]
    rules = Rules(**model.get("tokenizer", ASCII_RULES.as_dict()))  # older runs: the ascii rules
    lines = [
        f"# Model card: {describe(model['candidate'], model['config'])}",
        "",
        f"A text classifier exported by embrec {report['versions'].get('embrec', '')}: "
        f"{status}. It takes raw strings and returns the probability of each class "
        f"({', '.join(profile['class_counts'])}; order in `labels.json`).",
        "",
        "## Data",
        "",
        f"- Source: `{report['config']['data']}`, {profile['documents']:,} documents; classes "
        + ", ".join(f"{k} ({v:,})" for k, v in profile["class_counts"].items())
        + ".",
        f"- Splits (seed {report['config']['seed']}): train {report['splits']['train']:,}, "
        f"validation {report['splits']['validation']:,}, test {report['splits']['test']:,}. "
        f"This model was trained on {model['trained_on']} for {model['epochs']} epoch(s); the "
        "search never saw the test split"
        + (
            "."
            if model.get("test_accuracy") is not None
            else ", and the evidence was measured "
            "on it before this model was trained on every labelled document."
        ),
        "",
        "## Model",
        "",
        f"- Embedding strategy: {describe(model['candidate'], model['config'])}; "
        "configuration: "
        + ", ".join(f"{k}={v}" for k, v in model["config"].items() if k != "encoder")
        + ".",
        f"- Tokeniser: Keras `TextVectorization`, {_rules_words(rules)}; "
        f"{model['vocabulary_size']:,} training words"
        + (f" + {extension['words']:,} extension words" if extension["kept"] else "")
        + f", texts cut to {model['sequence_length']} tokens "
        f"({_cut_words(model['sequence_length'])}).",
    ]
    seeds = model.get("member_seeds", [])  # older runs: one model
    if len(seeds) > 1:
        lines.append(
            f"- The mean of the probabilities of {len(seeds)} models of this configuration, "
            f"trained alike with seeds {', '.join(map(str, seeds))}: one training's luck weighs "
            "less."
        )
    vectors = model.get("vectors")
    if vectors:
        source = f" (`{vectors['source']}`)" if vectors["source"] != vectors["name"] else ""
        lines.append(f"- Word vectors: {vectors['name']}{source}; licence: {vectors['licence']}.")
    lines += [
        "",
        "## Test metrics",
        "",
        f"- Evidence ({len(evidence['runs'])} repetition(s), each trained on a training split): "
        "accuracy "
        f"{evidence['accuracy_mean'] * 100:.1f}% +/- {evidence['accuracy_sd'] * 100:.1f} "
        f"(95% interval {ci}), macro-F1 {evidence['macro_f1_mean'] * 100:.1f}%.",
        f"- This exported model: {accuracy_words(model)}"
        + (
            f" on the {report['splits']['test']:,} test documents."
            if model.get("test_accuracy") is not None
            else "."
        ),
        f"- Vocabulary extension (pretrained rows of frequent words not seen in training, at "
        f"most {extension['limit']:,}): {extension['reason']}.",
    ]
    if "test_accuracy_with" in extension:
        lines.append(
            "  The choice was made on the test split, so this model's test accuracy is "
            "slightly optimistic; the evidence above is not affected."
        )
    lines += [
        f"- Recommendation of the run: {decision['recommended']} ({decision['verdict']}): "
        f"{decision['reason']}.",
        "",
        "## Intended use",
        "",
        "Classifying texts like those in the training data (same language, domain and length) "
        "into the classes above. Check it on your own held-out examples before relying on it; "
        "it is not meant for decisions about people without human review.",
        "",
        "## Limits",
        "",
        (
            "- Only ASCII letters are lowercased and ASCII punctuation removed; "
            if rules.tokenizer == "ascii"
            else "- Characters are normalised one at a time (NFKC), so text in decomposed form "
            "(`e` + combining accent) stays apart from its composed form; "
        )
        + "contractions lose their apostrophe (`don't` -> `dont`). Words outside the "
        "vocabulary all share one out-of-vocabulary row.",
        f"- Texts longer than {model['sequence_length']} tokens are cut: "
        f"{_cut_words(model['sequence_length'])}.",
    ]
    for coverage in profile["coverage"]:
        if coverage["vectors"] != vectors_name:
            continue
        uncovered = ", ".join(word for word, _ in coverage["top_uncovered"][:10])
        lines.append(
            f"- {coverage['vectors']} covers {coverage['token_rate'] * 100:.1f}% of tokens and "
            f"{coverage['type_rate'] * 100:.1f}% of distinct words of the data"
            + (f"; frequent words without a vector: {uncovered}" if uncovered else "")
            + "."
        )
        lines += [f"- Vectors note: {warning.rstrip('.')}." for warning in coverage["warnings"]]
    lines += [f"- Data note: {warning.rstrip('.')}." for warning in profile.get("warnings", ())]
    lines += [
        "",
        "## Files and use",
        "",
        "`model.keras` (Keras 3: `keras.models.load_model`, call it on `tf.constant([...])`), "
        "`saved_model/` (TensorFlow SavedModel: `served = tf.saved_model.load(...)`, then "
        "`served.serve(texts)`; keep `served` referenced, it owns the weights), "
        "`labels.json` (class order), `report.json` (every figure of the run). Both need "
        "TensorFlow to tokenise. "
        + (
            "Neither needs embrec installed."
            if rules.tokenizer == "ascii"
            else "The SavedModel needs nothing else; `model.keras` names embrec's standardize "
            "step, so run `import recommender.keras_text` (embrec installed) before "
            "`keras.models.load_model`."
        ),
        "",
        f"Reproduce the run: `{report['command']}`",
        "",
    ]
    return "\n".join(lines)


def _rules_words(rules: Rules) -> str:
    """The tokeniser's rules in the model card's words."""
    if rules.tokenizer == "ascii":
        mode = "lower_and_strip_punctuation" if rules.lowercase else "strip_punctuation"
        return f'built-in `standardize="{mode}"`, `split="whitespace"`'
    return (
        "embrec's unicode rules (`recommender.keras_text.UnicodeStandardize`: each character "
        "normalised by NFKC"
        + (" and lowercased" if rules.lowercase else "")
        + (
            ", apostrophes deleted, every other punctuation mark or symbol a token of its own"
            if rules.punctuation == "keep"
            else ", punctuation and symbols deleted or a space between words, emoji kept"
        )
        + (
            ", each character of Chinese, Japanese, Thai, Lao, Khmer and Myanmar a token"
            if rules.characters
            else ""
        )
        + "), then split on spaces"
    )


def predict_texts(
    model: Any,
    texts: Sequence[str],
    batch_size: int = 256,
    on_batch: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Class probabilities for raw texts (string tensors: Keras rejects numpy string arrays),
    in their order, `batch_size` at a time or fewer where long texts would make a batch wider
    than `PREDICT_CHARACTERS` allows; `on_batch(count)` is told how many texts each held."""
    import tensorflow as tf

    if not texts:
        return np.zeros((0, model.output_shape[-1]), dtype=np.float32)
    batches = []
    for chunk in _predict_batches(texts, batch_size):
        batches.append(np.asarray(model(tf.constant(chunk), training=False)))
        if on_batch is not None:
            on_batch(len(chunk))
    return np.concatenate(batches)


def _predict_batches(texts: Sequence[str], batch_size: int) -> Iterator[list[str]]:
    """Consecutive texts, at most `batch_size` of them and, past one text, at most
    `PREDICT_CHARACTERS` for their count times the longest's length."""
    chunk: list[str] = []
    longest = 0
    for text in texts:
        wider = max(longest, len(text))
        if chunk and (len(chunk) == batch_size or (len(chunk) + 1) * wider > PREDICT_CHARACTERS):
            yield chunk
            chunk, wider = [], len(text)
        chunk.append(text)
        longest = wider
    yield chunk


def check_top_k(top_k: int, classes: int) -> None:
    if not 1 <= top_k <= classes:
        raise UserError(
            f"--top-k must be between 1 and the model's {classes} classes, got {top_k}",
            fix=f"pass --top-k {min(max(top_k, 1), classes)}",
        )


def predictions_csv(
    texts: Sequence[str], labels: Sequence[str], probabilities: np.ndarray, top_k: int = 1
) -> str:
    """CSV text: each text with its predicted label and probability, then labels 2..K."""
    check_top_k(top_k, len(labels))
    header = ["text", "label", "probability"]
    for rank in range(2, top_k + 1):
        header += [f"label_{rank}", f"probability_{rank}"]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    order = np.argsort(-probabilities, axis=1, kind="stable")[:, :top_k]
    for text, row, ranked in zip(texts, probabilities, order, strict=True):
        cells = [text]
        for index in ranked:
            cells += [labels[index], f"{row[index]:.6f}"]
        writer.writerow(cells)
    return buffer.getvalue()
