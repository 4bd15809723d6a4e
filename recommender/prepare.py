"""Tokenise, build the vocabulary, encode and build embedding matrices: once per run.

Every trial, seed and strategy reuses the same arrays, so preprocessing never runs per trial.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from recommender.data import Splits
from recommender.text import TokenIds, Vocabulary
from recommender.vectors import Vectors

# The widest convolution searched is 7 tokens; shorter sequences would leave it nothing to see.
MIN_SEQUENCE_LENGTH = 8


@dataclass(frozen=True)
class Prepared:
    """Encoded splits and embedding matrices shared by all trials."""

    classes: tuple[str, ...]
    vocabulary: Vocabulary
    sequence_length: int
    x: dict[str, np.ndarray]  # split name -> (docs, sequence_length) uint16, or int32 if wider
    y: dict[str, np.ndarray]  # split name -> int32 class indices
    matrices: dict[str, np.ndarray]  # vectors name -> float32 (len(vocabulary), dim)
    covered: dict[str, np.ndarray]  # vectors name -> bool (len(vocabulary),): the vectors know it

    def xy(self, *split_names: str) -> tuple[np.ndarray, np.ndarray]:
        """Features and labels of one split (its own arrays, not a copy) or several joined."""
        if len(split_names) == 1:
            return self.x[split_names[0]], self.y[split_names[0]]
        return (
            np.concatenate([self.x[name] for name in split_names]),
            np.concatenate([self.y[name] for name in split_names]),
        )


def prepare(
    tokens: TokenIds | Sequence[Sequence[str]],
    labels: Sequence[str],
    splits: Splits,
    vectors: Sequence[Vectors],
    *,
    fit_on: tuple[str, ...] = ("train",),
    max_vocabulary: int,
    max_length: int,
    seed: int,
) -> Prepared:
    """Vocabulary and sequence length come from the `fit_on` splits only (never the test split)."""
    corpus = tokens if isinstance(tokens, TokenIds) else TokenIds.from_tokens(tokens)
    classes = tuple(sorted(set(labels)))
    class_index = {name: position for position, name in enumerate(classes)}
    indices = {"train": splits.train, "validation": splits.validation, "test": splits.test}
    fit_rows = np.concatenate([np.asarray(indices[name], dtype=np.int64) for name in fit_on])
    counts = corpus.counts(fit_rows)
    words = zip(corpus.words, counts.tolist(), strict=True)
    vocabulary = Vocabulary.from_counts(words, max_vocabulary)
    sequence_length = choose_sequence_length(corpus.lengths[fit_rows], max_length)
    x = {name: corpus.encode(vocabulary, split, sequence_length) for name, split in indices.items()}
    y = {
        name: np.array([class_index[labels[i]] for i in split], dtype=np.int32)
        for name, split in indices.items()
    }
    rng = np.random.default_rng(seed)
    matrices, covered = {}, {}
    for source in vectors:
        matrices[source.name], covered[source.name] = embedding_matrix(vocabulary, source, rng)
    return Prepared(classes, vocabulary, sequence_length, x, y, matrices, covered)


def choose_sequence_length(lengths: Sequence[int] | np.ndarray, max_length: int) -> int:
    """The 99th percentile of document lengths: 1% of documents are truncated, none padded to
    the longest outlier."""
    percentile = int(np.ceil(np.percentile(lengths, 99))) if len(lengths) else 0
    return max(MIN_SEQUENCE_LENGTH, min(max_length, percentile))


def embedding_matrix(
    vocabulary: Vocabulary, vectors: Vectors, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """The matrix and which of its rows are covered. Pretrained rows where the vectors know the
    word; the rest (the out-of-vocabulary id 1 too) uniform in +/- the vectors' standard
    deviation (Kim 2014), so uncovered words are distinct but on the same scale: the models'
    `oov_init=random` (`models.initial_matrix` may replace them). Row 0 (padding) is zero."""
    spread = vectors.spread or 0.1
    matrix = rng.uniform(-spread, spread, size=(len(vocabulary), vectors.dim)).astype(np.float32)
    matrix[0] = 0.0
    covered = np.zeros(len(vocabulary), dtype=bool)
    for position, word in enumerate(vocabulary.words, start=2):
        vector, _ = vectors.lookup(word)
        if vector is not None:
            matrix[position] = vector
            covered[position] = True
    return matrix, covered
