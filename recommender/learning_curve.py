"""Learning curves: would more labelled data change the answer?

Each finalist is retrained once on nested, stratified subsets (10%, 25%, 50%) of the training
split, with the vocabulary, sequence length and embedding matrices rebuilt from that subset (a
learned layer cannot know words it never saw), early-stopped on the full validation split and
scored on the test split; the 100% point is the evidence itself. The TF-IDF yardstick gets the same
subsets. Each point is cached as JSON, so a resumed run does not retrain it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from recommender.data import Splits
from recommender.evidence import CandidateEvidence, seed_run
from recommender.files import read_json, write_json
from recommender.models import Candidate
from recommender.prepare import prepare
from recommender.space import SearchSpace
from recommender.text import DEFAULT_RULES, Rules
from recommender.textstore import Texts
from recommender.vectors import Vectors

FRACTIONS = (0.1, 0.25, 0.5)
# One training per point: the curve shows a trend, not a verdict (the 100% point is the
# evidence's mean over all its repetitions). A point on a small share trains as long as a full
# run (the space's `min_steps`), so each further repetition per point would add half the curve's
# cost: on MR that was a third of the whole run at two repetitions.
CURVE_SEEDS = 1


@dataclass(frozen=True)
class CurvePoint:
    candidate: str
    fraction: float
    documents: int  # training documents used
    accuracies: tuple[float, ...]  # one per seed

    @property
    def accuracy(self) -> float:
        return float(np.mean(self.accuracies))


def nested_subset(labels: np.ndarray, rows: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """Stratified subset of `rows`; smaller fractions are prefixes of larger ones (nested), so
    the curve shows the effect of more data, not of different data."""
    rng = np.random.default_rng(seed)
    kept = []
    for label in np.unique(labels[rows]):
        members = rows[labels[rows] == label]
        order = members[rng.permutation(len(members))]
        kept.append(order[: max(1, math.ceil(fraction * len(members)))])
    return np.sort(np.concatenate(kept))


def measure_learning_curve(
    finalists: Sequence[CandidateEvidence],
    tokens: Sequence[Sequence[str]],
    labels: Sequence[str],
    splits: Splits,
    vectors: Sequence[Vectors],
    space: SearchSpace,
    *,
    seeds: Sequence[int],
    max_vocabulary: int,
    max_length: int,
    cache_dir: Path,
    yardstick: Callable[[np.ndarray], float] | None = None,
    on_point: Callable[[CurvePoint], None] | None = None,
) -> list[CurvePoint]:
    """Points for each finalist at each fraction (plus 100% from the evidence itself), and for
    the yardstick when given (`yardstick(train_rows) -> test accuracy`)."""
    classes = sorted(set(labels))
    label_ids = np.array([classes.index(label) for label in labels])
    points: list[CurvePoint] = []
    for fraction in FRACTIONS:
        rows = nested_subset(label_ids, splits.train, fraction, seed=seeds[0])
        subset_splits = replace(splits, train=rows)
        prepared = None
        for finalist in finalists:
            cache = cache_dir / f"{finalist.candidate.replace(':', '__')}-{fraction:g}.json"
            point = _point_from_json(read_json(cache), finalist.config)
            if point is None:
                if prepared is None:  # built once per fraction, shared by the finalists
                    prepared = prepare(
                        tokens,
                        labels,
                        subset_splits,
                        vectors,
                        max_vocabulary=max_vocabulary,
                        max_length=max_length,
                        seed=seeds[0],
                    )
                candidate = Candidate.from_key(finalist.candidate)
                accuracies = [
                    seed_run(candidate, finalist.config, prepared, space, seed)[0].accuracy
                    for seed in seeds
                ]
                point = CurvePoint(finalist.candidate, fraction, len(rows), tuple(accuracies))
                write_json(cache, {**asdict(point), "config": finalist.config})
            points.append(point)
            if on_point is not None:
                on_point(point)
        if yardstick is not None:
            points.append(
                CurvePoint("yardstick:tfidf-logreg", fraction, len(rows), (yardstick(rows),))
            )
    for finalist in finalists:
        points.append(
            CurvePoint(finalist.candidate, 1.0, len(splits.train), tuple(finalist.accuracies))
        )
    if yardstick is not None:
        points.append(
            CurvePoint("yardstick:tfidf-logreg", 1.0, len(splits.train), (yardstick(splits.train),))
        )
    return points


def wants_curve(setting: bool | None, regime: str) -> bool:
    """`--learning-curve`, or by default on for small and medium data, where more labelled
    data is most likely to change the answer."""
    return regime in ("small", "medium") if setting is None else setting


def curve_seconds(evidence: Sequence[CandidateEvidence], seeds: int) -> float:
    """What the curve of a run with `seeds` repetitions will take, plus one training after it
    (the final model's), at the evidence's measured durations. Each point is counted as long as
    a full run: a subset trains for at least the space's `min_steps`, so on small data its runs
    are no shorter."""
    full = sum(e.train_seconds_mean for e in evidence)
    longest = max(run.train_seconds for e in evidence for run in e.runs)
    return len(FRACTIONS) * min(seeds, CURVE_SEEDS) * full + longest


def curve_report(
    evidence: Sequence[CandidateEvidence],
    recommended: str,
    texts: Texts,
    tokens: Sequence[Sequence[str]],
    labels: Sequence[str],
    splits: Splits,
    vectors: Sequence[Vectors],
    space: SearchSpace,
    *,
    seeds: Sequence[int],
    max_vocabulary: int,
    max_length: int,
    cache_dir: Path,
    with_yardstick: bool,
    on_point: Callable[[CurvePoint], None] | None = None,
    rules: Rules = DEFAULT_RULES,
) -> dict[str, Any]:
    """report.json's `learning_curve`: the finalists (and the TF-IDF yardstick) on nested
    subsets of the training split, with the sentences that matter."""
    from recommender.yardsticks import run_yardsticks

    classes = sorted(set(labels))
    label_ids = np.array([classes.index(label) for label in labels])

    def tfidf_accuracy(train_rows: np.ndarray) -> float:
        rows = np.concatenate([train_rows, splits.validation])  # as the yardstick itself is fitted
        tfidf = run_yardsticks(
            texts.take(rows),
            label_ids[rows],
            texts.take(splits.test),
            label_ids[splits.test],
            len(classes),
            seed=seeds[0],
            rules=rules,
        )[0]
        return tfidf.accuracy_mean

    points = measure_learning_curve(
        evidence,
        tokens,
        labels,
        splits,
        vectors,
        space,
        seeds=seeds[:CURVE_SEEDS],
        max_vocabulary=max_vocabulary,
        max_length=max_length,
        cache_dir=cache_dir,
        yardstick=tfidf_accuracy if with_yardstick else None,
        on_point=on_point,
    )
    return {
        "fractions": [*FRACTIONS, 1.0],
        "seeds": list(seeds[:CURVE_SEEDS]),
        "method": "nested stratified subsets of the training split; vocabulary and matrices "
        "rebuilt per subset; one training per subset; early stopping on the full validation split; "
        "the 100% point is the evidence itself (all repetitions)",
        "points": [{**asdict(p), "accuracy": p.accuracy} for p in points],
        "sentences": describe_curves(points, recommended),
    }


def _point_from_json(data: Any, config: dict[str, Any]) -> CurvePoint | None:
    """A point of this configuration saved by an earlier run; None when missing, damaged or of
    another configuration (it is measured again)."""
    try:
        if data["config"] != config:
            return None
        return CurvePoint(
            data["candidate"], data["fraction"], data["documents"], tuple(data["accuracies"])
        )
    except (TypeError, KeyError):
        return None


def describe_curves(points: Sequence[CurvePoint], recommended: str) -> list[str]:
    """Plain sentences: where the recommended option's curve crosses or meets another's, and
    whether one more doubling of the training data would likely change the order (a straight
    line through the last two points, against log(documents))."""
    curves: dict[str, list[CurvePoint]] = {}
    for point in points:
        curves.setdefault(point.candidate, []).append(point)
    for curve in curves.values():
        curve.sort(key=lambda p: p.fraction)
    ours = curves.get(recommended)
    if not ours or len(ours) < 2:
        return []
    sentences = []
    for other, curve in curves.items():
        if other == recommended or len(curve) != len(ours):
            continue
        gaps = [(a.accuracy - b.accuracy) * 100 for a, b in zip(ours, curve, strict=True)]
        crossing = next(
            (i for i in range(1, len(gaps)) if (gaps[i - 1] < 0) != (gaps[i] < 0)), None
        )
        text = (
            f"{recommended} vs {other}: the gap goes from {gaps[0]:+.1f} points at "
            f"{ours[0].documents:,} training documents to {gaps[-1]:+.1f} at {ours[-1].documents:,}"
        )
        if crossing is not None:
            text += (
                f"; the curves cross between {ours[crossing - 1].documents:,} and "
                f"{ours[crossing].documents:,} documents"
            )
        elif abs(gaps[-1]) < abs(gaps[0]) / 2:
            text += "; the curves converge"
        projected = gaps[-1] + (gaps[-1] - gaps[-2])
        if (projected < 0) != (gaps[-1] < 0):
            text += "; with twice the labelled data the order would likely flip"
        else:
            text += "; twice the labelled data would likely not change the order"
        sentences.append(text)
    spread = np.std(ours[-1].accuracies, ddof=1) * 100 if len(ours[-1].accuracies) > 1 else None
    if sentences and spread is not None:
        sentences.append(
            f"each share's point is one training; on all the data one training of {recommended} "
            f"varied by {spread:.1f} points (sd), so a gap or crossing smaller than that is noise"
        )
    return sentences
