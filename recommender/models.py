"""Keras models: an embedding strategy x an encoder x a softmax head, on integer token ids.

Only built-in Keras layers are used, so a saved model loads anywhere Keras does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

LEARNED, FROZEN, FINE_TUNED = "learned", "frozen", "fine-tuned"


@dataclass(frozen=True)
class Candidate:
    """One embedding option under comparison: a strategy, with its vectors source if pretrained."""

    strategy: str
    vectors: str | None = None

    @property
    def key(self) -> str:
        return self.strategy if self.vectors is None else f"{self.strategy}:{self.vectors}"

    @property
    def pretrained(self) -> bool:
        return self.vectors is not None

    @classmethod
    def from_key(cls, key: str) -> Candidate:
        strategy, _, vectors = key.partition(":")
        return cls(strategy, vectors or None)


def candidates_for(strategies: tuple[str, ...], vectors_names: tuple[str, ...]) -> list[Candidate]:
    """Learned once; each pretrained strategy once per vectors source."""
    found: list[Candidate] = []
    for strategy in strategies:
        if strategy == LEARNED:
            found.append(Candidate(LEARNED))
        else:
            found.extend(Candidate(strategy, name) for name in vectors_names)
    return found


def build_model(
    candidate: Candidate,
    config: dict[str, Any],
    *,
    vocabulary_size: int,
    sequence_length: int,
    num_classes: int,
    embedding_matrix: np.ndarray | None,
) -> Any:
    """A compiled `keras.Model` mapping (batch, sequence_length) int ids to class probabilities."""
    import keras

    encoder = config["encoder"]
    ids = keras.Input(shape=(sequence_length,), dtype="int32", name="token_ids")
    if candidate.pretrained:
        if embedding_matrix is None:
            raise ValueError(f"{candidate.key} needs an embedding matrix")
        # zeros now, the matrix after building: a Constant initializer would also be stored,
        # as JSON, in every saved model's config (megabytes for a real vocabulary)
        embedding = keras.layers.Embedding(
            vocabulary_size,
            embedding_matrix.shape[1],
            embeddings_initializer="zeros",
            trainable=candidate.strategy == FINE_TUNED,
            name="embedding",
        )
    else:
        embedding = keras.layers.Embedding(
            vocabulary_size,
            int(config["embedding_dim"]),
            name="embedding",
        )
    vectors = embedding(ids)
    dropout = float(config["dropout"])
    if encoder == "pool":
        features = _pool_encoder(keras, ids, vectors, config, dropout)
    elif encoder == "cnn":
        features = _cnn_encoder(keras, vectors, config)
    else:
        raise ValueError(f"unknown encoder {encoder!r}")
    features = keras.layers.Dropout(dropout)(features)
    probabilities = keras.layers.Dense(num_classes, activation="softmax", name="probabilities")(
        features
    )
    model = keras.Model(ids, probabilities, name=candidate.key.replace(":", "_"))
    if candidate.pretrained:
        embedding.set_weights([embedding_matrix])
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=float(config["learning_rate"])),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def _pool_encoder(
    keras: Any, ids: Any, vectors: Any, config: dict[str, Any], dropout: float
) -> Any:
    """SWEM pooling. The mean counts real tokens only and is zero for an empty text (Keras'
    masked average would divide by zero there); the max runs over the padded sequence, as the
    CNN's does."""
    from keras import ops

    pooling = config["pooling"]
    pooled = []
    if pooling in ("mean", "mean-max"):
        present = ops.expand_dims(ops.cast(ops.not_equal(ids, 0), vectors.dtype), -1)
        pooled.append(ops.sum(vectors * present, axis=1) / ops.maximum(ops.sum(present, axis=1), 1))
    if pooling in ("max", "mean-max"):
        pooled.append(keras.layers.GlobalMaxPooling1D()(vectors))
    if not pooled:
        raise ValueError(f"unknown pooling {pooling!r}")
    features = pooled[0] if len(pooled) == 1 else keras.layers.Concatenate()(pooled)
    hidden_units = int(config.get("hidden_units", 0))
    if hidden_units:
        features = keras.layers.Dropout(dropout)(features)
        features = keras.layers.Dense(hidden_units, activation="relu")(features)
    return features


def _cnn_encoder(keras: Any, vectors: Any, config: dict[str, Any]) -> Any:
    widths = kernel_widths(config["kernel_sizes"])
    branches = [
        keras.layers.GlobalMaxPooling1D()(
            keras.layers.Conv1D(int(config["filters"]), width, activation="relu")(vectors)
        )
        for width in widths
    ]
    return branches[0] if len(branches) == 1 else keras.layers.Concatenate()(branches)


def kernel_widths(value: str | int) -> tuple[int, ...]:
    """ "3,4,5" -> (3, 4, 5); the TOML keeps widths as a string so a set is one choice."""
    return tuple(int(part) for part in str(value).split(","))


def parameter_counts(model: Any) -> tuple[int, int]:
    """(trainable, non-trainable) parameter counts."""
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    frozen = sum(int(np.prod(w.shape)) for w in model.non_trainable_weights)
    return trainable, frozen
