"""Dataset profile and vocabulary coverage: the figures that explain a recommendation before
any training (how much data, how long the texts, how much of the vocabulary the vectors know)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from recommender.vectors import Vectors

TOP_UNCOVERED = 20


@dataclass(frozen=True)
class Coverage:
    """How much of the data's vocabulary one vectors source covers."""

    vectors: str
    source: str
    dim: int
    vectors_vocabulary: int
    token_rate: float  # share of running tokens with a vector
    type_rate: float  # share of distinct words with a vector
    found_by: dict[str, int]  # distinct words found per lookup: exact, lowercase, subword
    top_uncovered: tuple[tuple[str, int], ...]  # most frequent words without a vector
    class_token_rate: dict[str, float]  # token coverage within each class's documents
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class DatasetProfile:
    """Size, balance and lengths of a labelled dataset, and coverage per vectors source."""

    source: str
    documents: int
    class_counts: dict[str, int]
    empty_documents: int
    tokens: int
    vocabulary_size: int
    length_percentiles: dict[str, float]  # p50, p90, p95, p99, max (tokens per document)
    coverage: tuple[Coverage, ...]
    warnings: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DatasetProfile:
        coverage = tuple(
            Coverage(
                **{
                    **c,
                    "top_uncovered": tuple(tuple(w) for w in c["top_uncovered"]),
                    "warnings": tuple(c["warnings"]),
                }
            )
            for c in data["coverage"]
        )
        return cls(**{**data, "coverage": coverage, "warnings": tuple(data["warnings"])})


def profile_dataset(
    source: str,
    tokens: Sequence[Sequence[str]],
    labels: Sequence[str],
    vectors: Sequence[Vectors],
    warnings: Sequence[str] = (),
) -> DatasetProfile:
    lengths = np.array([len(t) for t in tokens])
    counts: Counter[str] = Counter()
    for document in tokens:
        counts.update(document)
    percentiles = {
        f"p{q}": float(np.percentile(lengths, q)) if len(lengths) else 0.0 for q in (50, 90, 95, 99)
    }
    percentiles["max"] = float(lengths.max()) if len(lengths) else 0.0
    return DatasetProfile(
        source=source,
        documents=len(tokens),
        class_counts=dict(sorted(Counter(labels).items())),
        empty_documents=int(np.sum(lengths == 0)),
        tokens=int(lengths.sum()),
        vocabulary_size=len(counts),
        length_percentiles=percentiles,
        coverage=tuple(
            _coverage(source_vectors, counts, tokens, labels) for source_vectors in vectors
        ),
        warnings=tuple(warnings),
    )


def _coverage(
    vectors: Vectors, counts: Counter[str], tokens: Sequence[Sequence[str]], labels: Sequence[str]
) -> Coverage:
    found_by: Counter[str] = Counter()
    covered: set[str] = set()
    for word in counts:
        vector, how = vectors.lookup(word)
        if vector is not None:
            covered.add(word)
            found_by[how] += 1
    total_tokens = sum(counts.values())
    covered_tokens = sum(counts[w] for w in covered)
    uncovered = sorted(
        ((w, c) for w, c in counts.items() if w not in covered),
        key=lambda item: (-item[1], item[0]),
    )
    class_total: Counter[str] = Counter()
    class_covered: Counter[str] = Counter()
    for document, label in zip(tokens, labels, strict=True):
        class_total[label] += len(document)
        class_covered[label] += sum(1 for t in document if t in covered)
    return Coverage(
        vectors=vectors.name,
        source=vectors.source,
        dim=vectors.dim,
        vectors_vocabulary=vectors.vocabulary_size,
        token_rate=covered_tokens / total_tokens if total_tokens else 0.0,
        type_rate=len(covered) / len(counts) if counts else 0.0,
        found_by=dict(sorted(found_by.items())),
        top_uncovered=tuple(uncovered[:TOP_UNCOVERED]),
        class_token_rate={
            label: class_covered[label] / class_total[label] if class_total[label] else 0.0
            for label in sorted(class_total)
        },
        warnings=tuple(vectors.warnings),
    )
