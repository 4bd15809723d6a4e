"""Evidence: each finalist retrained over several seeds and scored on the held-out test split.

The search never sees the test split. Each (candidate, seed) result is cached as JSON in the run
directory, so an interrupted run resumes without retraining what it already measured.
"""

from __future__ import annotations

import math
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from recommender.files import read_json, write_json
from recommender.models import Candidate, parameter_counts
from recommender.prepare import Prepared
from recommender.search.engine import TrialRecord
from recommender.search.trial import fit_candidate
from recommender.space import SearchSpace


@dataclass(frozen=True)
class SeedRun:
    """One retraining of a finalist with one seed, scored on the test split."""

    seed: int
    accuracy: float  # fraction correct on the test split
    macro_f1: float
    best_epoch: int
    train_seconds: float
    predictions: tuple[int, ...]  # predicted class index per test document


@dataclass(frozen=True)
class Cost:
    """What a finalist costs to train, keep and run (measured on its first seed's model)."""

    trainable_params: int
    non_trainable_params: int
    model_bytes: int  # size of the saved .keras file
    predict_ms_per_1000: float  # milliseconds to predict 1,000 test documents (token ids in)
    needs_vectors_file: bool


@dataclass(frozen=True)
class CandidateEvidence:
    """A finalist's configuration, its seed runs and its cost."""

    candidate: str
    config: dict[str, Any]
    runs: tuple[SeedRun, ...]
    cost: Cost

    @property
    def accuracies(self) -> np.ndarray:
        return np.array([run.accuracy for run in self.runs])

    @property
    def accuracy_mean(self) -> float:
        return float(self.accuracies.mean())

    @property
    def accuracy_sd(self) -> float:
        return float(self.accuracies.std(ddof=1)) if len(self.runs) > 1 else 0.0

    @property
    def accuracy_ci95(self) -> tuple[float, float] | None:
        """Student-t 95% interval of the mean over seeds (None with a single seed)."""
        return t_interval(self.accuracies)

    @property
    def macro_f1s(self) -> np.ndarray:
        return np.array([run.macro_f1 for run in self.runs])

    @property
    def macro_f1_mean(self) -> float:
        return float(self.macro_f1s.mean())

    @property
    def train_seconds_mean(self) -> float:
        return float(np.mean([run.train_seconds for run in self.runs]))

    @property
    def median_best_epoch(self) -> int:
        return int(np.median([run.best_epoch for run in self.runs]))

    def to_dict(self) -> dict[str, Any]:
        interval = self.accuracy_ci95
        return {
            "candidate": self.candidate,
            "config": self.config,
            "accuracy_mean": self.accuracy_mean,
            "accuracy_sd": self.accuracy_sd,
            "accuracy_ci95": list(interval) if interval else None,
            "macro_f1_mean": self.macro_f1_mean,
            "macro_f1_sd": float(self.macro_f1s.std(ddof=1)) if len(self.runs) > 1 else 0.0,
            "macro_f1_ci95": list(f1_interval)
            if (f1_interval := t_interval(self.macro_f1s))
            else None,
            "train_seconds_mean": self.train_seconds_mean,
            "cost": asdict(self.cost),
            "runs": [asdict(run) for run in self.runs],
        }


def t_interval(values: np.ndarray) -> tuple[float, float] | None:
    from scipy import stats

    if len(values) < 2:
        return None
    half = stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / math.sqrt(len(values))
    return float(values.mean() - half), float(values.mean() + half)


def macro_f1(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int) -> float:
    """Unweighted mean of per-class F1 (a class never predicted nor present scores 0)."""
    scores = []
    for label in range(num_classes):
        true_positive = np.sum((y_pred == label) & (y_true == label))
        predicted = np.sum(y_pred == label)
        actual = np.sum(y_true == label)
        scores.append(2 * true_positive / (predicted + actual) if predicted + actual else 0.0)
    return float(np.mean(scores))


def per_class_results(
    truth: np.ndarray, runs: Sequence[SeedRun], classes: Sequence[str]
) -> dict[str, Any]:
    """Per-class precision, recall and F1 (means over seeds) and the confusion matrix summed
    over seeds (rows: true class, columns: predicted class)."""
    confusion = np.zeros((len(classes), len(classes)), dtype=np.int64)
    scores = {"precision": [], "recall": [], "f1": []}
    for run in runs:
        predicted = np.array(run.predictions)
        matrix = np.zeros_like(confusion)
        np.add.at(matrix, (truth, predicted), 1)
        confusion += matrix
        true_positive = np.diag(matrix).astype(float)
        predicted_count, actual_count = matrix.sum(axis=0), matrix.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            precision = np.where(predicted_count > 0, true_positive / predicted_count, 0.0)
            recall = np.where(actual_count > 0, true_positive / actual_count, 0.0)
            f1 = np.where(
                precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0
            )
        scores["precision"].append(precision)
        scores["recall"].append(recall)
        scores["f1"].append(f1)
    return {
        "classes": list(classes),
        "support": np.bincount(truth, minlength=len(classes)).tolist(),
        **{name: np.mean(values, axis=0).round(4).tolist() for name, values in scores.items()},
        "confusion": confusion.tolist(),
    }


def gather_evidence(
    finalists: dict[str, TrialRecord],
    prepared: Prepared,
    space: SearchSpace,
    *,
    seeds: Sequence[int],
    cache_dir: Path,
    on_run: Callable[[str, SeedRun], None] | None = None,
) -> list[CandidateEvidence]:
    """Retrain each finalist once per seed (same seeds for all, so runs pair up)."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    evidence = []
    for key, trial in finalists.items():
        runs = []
        cost: Cost | None = None
        for seed in seeds:
            cache = cache_dir / f"{key.replace(':', '__')}-seed{seed}.json"
            cached = _cached_run(cache, trial.config)
            if cached is not None:
                run, saved_cost = cached
                cost = cost or saved_cost
            else:
                run, model = seed_run(Candidate.from_key(key), trial.config, prepared, space, seed)
                if cost is None:
                    cost = _measure_cost(model, prepared, Candidate.from_key(key))
                write_json(
                    cache, {"config": trial.config, "run": asdict(run), "cost": asdict(cost)}
                )
            runs.append(run)
            if on_run is not None:
                on_run(key, run)
        assert cost is not None
        evidence.append(CandidateEvidence(key, trial.config, tuple(runs), cost))
    return evidence


def _cached_run(path: Path, config: dict[str, Any]) -> tuple[SeedRun, Cost | None] | None:
    """A seed run of this configuration saved by an earlier (interrupted) run; None when missing,
    unreadable or of another configuration, so such a file is measured again, never trusted."""
    saved = read_json(path)
    try:
        if saved["config"] != config:
            return None
        run = SeedRun(**{**saved["run"], "predictions": tuple(saved["run"]["predictions"])})
        return run, Cost(**saved["cost"]) if saved.get("cost") else None
    except (TypeError, KeyError, AttributeError):
        return None


def seed_run(
    candidate: Candidate, config: dict[str, Any], prepared: Prepared, space: SearchSpace, seed: int
) -> tuple[SeedRun, Any]:
    """Train one configuration with one seed (early stopping on validation), score on test."""
    outcome = fit_candidate(
        candidate,
        config,
        prepared,
        seed=seed,
        max_epochs=space.max_epochs,
        patience=space.patience,
        batch_size=space.batch_size,
    )
    probabilities = outcome.model.predict(prepared.x["test"], batch_size=512, verbose=0)
    predictions = probabilities.argmax(axis=1)
    truth = prepared.y["test"]
    run = SeedRun(
        seed=seed,
        accuracy=float(np.mean(predictions == truth)),
        macro_f1=macro_f1(truth, predictions, len(prepared.classes)),
        best_epoch=outcome.best_epoch,
        train_seconds=round(outcome.seconds, 3),
        predictions=tuple(int(p) for p in predictions),
    )
    return run, outcome.model


def _measure_cost(model: Any, prepared: Prepared, candidate: Candidate) -> Cost:
    trainable, frozen = parameter_counts(model)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.keras"
        model.save(path)
        size = path.stat().st_size
    # exactly 1,000 documents (the test split repeated if shorter): per-call overhead must not
    # be extrapolated from a small split
    sample = np.resize(prepared.x["test"], (1000, prepared.x["test"].shape[1]))
    model.predict(sample[:8], verbose=0)  # warm-up: the first call traces the graph
    started = time.perf_counter()
    model.predict(sample, batch_size=256, verbose=0)
    elapsed_ms = (time.perf_counter() - started) * 1000
    return Cost(trainable, frozen, size, round(elapsed_ms, 2), candidate.pretrained)


@dataclass(frozen=True)
class PairedDifference:
    """Accuracy of `a` minus `b` in points, with a 95% bootstrap interval and p-value."""

    a: str
    b: str
    difference: float
    ci_low: float
    ci_high: float
    p_value: float


def paired_difference(
    a: CandidateEvidence,
    b: CandidateEvidence,
    truth: np.ndarray,
    *,
    resamples: int = 5000,
    seed: int = 0,
) -> PairedDifference:
    """Bootstrap that resamples the test documents jointly for both (the pairing) and each
    candidate's seeds independently (training noise), so the interval covers both sources."""
    rng = np.random.default_rng(seed)
    correct_a = np.array([np.array(r.predictions) == truth for r in a.runs], dtype=np.float64)
    correct_b = np.array([np.array(r.predictions) == truth for r in b.runs], dtype=np.float64)
    documents = len(truth)
    differences = []
    for start in range(0, resamples, 500):
        size = min(500, resamples - start)
        weights = rng.multinomial(documents, np.full(documents, 1 / documents), size=size).T
        per_seed_a = correct_a @ weights / documents  # (seeds, size)
        per_seed_b = correct_b @ weights / documents
        pick_a = rng.integers(0, len(a.runs), size=(len(a.runs), size))
        pick_b = rng.integers(0, len(b.runs), size=(len(b.runs), size))
        mean_a = np.take_along_axis(per_seed_a, pick_a, axis=0).mean(axis=0)
        mean_b = np.take_along_axis(per_seed_b, pick_b, axis=0).mean(axis=0)
        differences.append(mean_a - mean_b)
    samples = np.concatenate(differences) * 100
    observed = (a.accuracy_mean - b.accuracy_mean) * 100
    p_value = min(1.0, 2 * min(np.mean(samples <= 0), np.mean(samples >= 0)))
    low, high = np.percentile(samples, [2.5, 97.5])
    return PairedDifference(
        a.candidate, b.candidate, observed, float(low), float(high), float(p_value)
    )
