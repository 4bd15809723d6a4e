"""Evidence: each finalist retrained several times and scored on the held-out test split.

Repetition r trains with seed `seed + r`; on small and medium data it also trains on its own
draw of the training and validation documents (`redraw`), so the spread between repetitions
holds the training sample's variance, often larger than the seed's (Bouthillier et al. 2021),
and not only the seed's. The test split stays the same in every repetition, so options and
yardsticks are always compared on the same documents, and the paired bootstrap resamples those
documents and the repetitions together.

The search never sees the test split: a candidate's first trial is scored on it as it ends
(`keep_trial_run`), for the evidence alone, which takes it as repetition 0 when it was the
candidate's only trial (`trial_runs`). Each (candidate, repetition) result is cached as JSON in
the run directory, so an interrupted run resumes without retraining what it already measured.
"""

from __future__ import annotations

import math
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from recommender.batches import epoch_documents
from recommender.budget import RunClock
from recommender.data import Splits
from recommender.files import read_json, write_json
from recommender.models import Candidate, parameter_counts
from recommender.prepare import Prepared
from recommender.search.engine import CtrlC, TrialRecord
from recommender.search.trial import FitOutcome, fit_candidate, predict_split
from recommender.space import SearchSpace

if TYPE_CHECKING:
    from recommender.search.queue import JobQueue


@dataclass(frozen=True)
class SeedRun:
    """One retraining of a finalist (one repetition), scored on the test split."""

    seed: int  # the repetition's training seed: the run's seed plus the repetition number
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


def redraw(splits: Splits, labels: np.ndarray, repetition: int, seed: int) -> Splits:
    """Repetition `repetition`'s split: the test split (and a validation split the user gave)
    kept, the other documents drawn again into training and validation, stratified, in the same
    proportions. Repetition 0 is the run's own split, the one the search tuned on."""
    if repetition == 0 or "validation" in splits.fixed:
        return splits
    pool = np.sort(np.concatenate([splits.train, splits.validation]))
    rng = np.random.default_rng([seed, repetition])
    share = len(splits.validation) / len(pool)
    train, validation = [], []
    for label in np.unique(labels[pool]):
        members = pool[labels[pool] == label]
        rng.shuffle(members)
        cut = min(max(1, round(len(members) * share)), len(members) - 1)
        validation.append(members[:cut])
        train.append(members[cut:])
    return replace(
        splits, train=np.sort(np.concatenate(train)), validation=np.sort(np.concatenate(validation))
    )


@dataclass(frozen=True)
class Job:
    """One finalist's training with one repetition's seed. In one process the cost is
    measured on a finalist's first run; a queued run measures its own (`measure_cost`)."""

    candidate: str
    config: dict[str, Any]
    repetition: int
    seed: int  # the run's seed plus the repetition
    measure_cost: bool


@dataclass(frozen=True)
class Spread:
    """The evidence's runs as jobs of the run's queue (`search.queue`), taken by the run's
    process and by `embrec worker` processes alike. Only where every repetition trains on the
    run's own split (large data, or a validation file given: `redraws`), which a worker holds in
    `prepared.npz`; `take()` says whether this process should train too (no local worker
    alive)."""

    queue: JobQueue
    take: Callable[[], bool]
    prepared: Prepared


def run_job(job: Job, prepared: Prepared, space: SearchSpace) -> tuple[SeedRun, Cost | None]:
    candidate = Candidate.from_key(job.candidate)
    run, model = seed_run(candidate, job.config, prepared, space, job.seed)
    return run, _measure_cost(model, prepared, candidate) if job.measure_cost else None


def job_executor(prepared: Prepared, space: SearchSpace) -> Callable[[dict], dict]:
    """What a process runs for a queued job: its description in, its run and cost out (JSON)."""

    def execute(description: dict[str, Any]) -> dict[str, Any]:
        run, cost = run_job(Job(**description), prepared, space)
        return {"run": asdict(run), "cost": asdict(cost) if cost else None}

    return execute


def work(run_dir: Path, storage: str | None = None, parent: int | None = None) -> tuple[int, bool]:
    """`embrec worker` once the search is over: take the evidence's queued runs (see `Spread`)
    until the run says the evidence is in, or that it stopped with a run's error; returns how
    many this process ran, and whether the run stopped."""
    from recommender.search.queue import JobQueue
    from recommender.search.workers import read_plan
    from recommender.space import space_from_dict

    plan, prepared = read_plan(run_dir)
    queue = JobQueue(storage or plan.storage)
    with CtrlC().installed() as ctrl_c:
        ran = queue.work(job_executor(prepared, space_from_dict(plan.space)), ctrl_c, parent)
    return ran, queue.state == "stopped"


def gather_evidence(
    finalists: dict[str, TrialRecord],
    prepared_for: Callable[[int], Prepared],
    space: SearchSpace,
    *,
    repetitions: Sequence[int],
    seed: int,
    cache_dir: Path,
    earlier: Sequence[CandidateEvidence] = (),
    on_run: Callable[[str, SeedRun], None] | None = None,
    spread: Spread | None = None,
    trained: list[SeedRun] | None = None,
) -> list[CandidateEvidence]:
    """Train each finalist once per repetition (the same repetitions for all, so runs pair up)
    on `prepared_for(repetition)`; `earlier` evidence is extended, never trained again. With
    `spread`, the runs are queued for whichever process is free; each measures its model's
    cost (on that process's share of the cores). The runs trained now (not read from the
    cache) are appended to `trained`."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    runs: dict[str, dict[int, SeedRun]] = {k: {} for k in finalists}
    costs: dict[str, Cost | None] = dict.fromkeys(finalists)
    for known in earlier:
        runs[known.candidate] = {run.seed - seed: run for run in known.runs}
        costs[known.candidate] = known.cost
    jobs: list[Job] = []
    for repetition in repetitions:
        for key, trial in finalists.items():
            if repetition in runs[key]:
                continue
            cached = _cached_run(_cache_file(cache_dir, key, seed + repetition), trial.config)
            if cached is not None and (cached[1] or costs[key]):
                runs[key][repetition], saved_cost = cached
                costs[key] = costs[key] or saved_cost
                if on_run is not None:
                    on_run(key, runs[key][repetition])
                continue
            first = costs[key] is None and all(job.candidate != key for job in jobs)
            measure = spread is not None or first
            jobs.append(Job(key, trial.config, repetition, seed + repetition, measure))
    done = _run_queued(jobs, spread, space) if spread else _run_here(jobs, prepared_for, space)
    for job, run, cost in done:
        costs[job.candidate] = costs[job.candidate] or cost
        write_json(
            _cache_file(cache_dir, job.candidate, job.seed),
            {"config": job.config, "run": asdict(run), "cost": asdict(costs[job.candidate])},
        )
        runs[job.candidate][job.repetition] = run
        if trained is not None:
            trained.append(run)
        if on_run is not None:
            on_run(job.candidate, run)
    return [
        CandidateEvidence(
            key, trial.config, tuple(runs[key][r] for r in sorted(runs[key])), costs[key]
        )
        for key, trial in finalists.items()
    ]


def _cache_file(cache_dir: Path, key: str, seed: int) -> Path:
    return cache_dir / f"{key.replace(':', '__')}-seed{seed}.json"


def _run_here(
    jobs: Sequence[Job], prepared_for: Callable[[int], Prepared], space: SearchSpace
) -> Iterator[tuple[Job, SeedRun, Cost | None]]:
    """The jobs in this process, in order, each repetition's data prepared once."""
    prepared: dict[int, Prepared] = {}
    for job in jobs:
        if job.repetition not in prepared:
            prepared = {job.repetition: prepared_for(job.repetition)}
        yield job, *run_job(job, prepared[job.repetition], space)


def _run_queued(
    jobs: Sequence[Job], spread: Spread, space: SearchSpace
) -> Iterator[tuple[Job, SeedRun, Cost | None]]:
    """The jobs through the run's queue, as they finish (in any process)."""
    from recommender.search.queue import JobFailed

    execute = job_executor(spread.prepared, space)
    with CtrlC().installed() as ctrl_c:
        try:
            for description, result in spread.queue.run(
                [asdict(job) for job in jobs], execute, take=spread.take, ctrl_c=ctrl_c
            ):
                run = SeedRun(
                    **{**result["run"], "predictions": tuple(result["run"]["predictions"])}
                )
                cost = Cost(**result["cost"]) if result["cost"] else None
                yield Job(**description), run, cost
        except JobFailed as error:
            raise RuntimeError(f"an evidence run failed: {error}") from None


def method_words(
    repetitions: int,
    redrawn: bool,
    fixed_test: bool,
    spread: bool = False,
    from_search: Sequence[str] = (),
) -> str:
    """How the evidence was gathered, for the report: what varies between repetitions, what
    the search has seen, and where the runs' seconds were measured."""
    varied = (
        "a seed and a fresh draw of the training and validation documents"
        if redrawn
        else "a seed (one split: the data is large, or its validation file was given)"
    )
    text = (
        f"Each option's best configuration was retrained up to {repetitions} times, each "
        f"repetition with {varied}, and scored on the same "
        + ("test file the user gave" if fixed_test else "held-out test split")
        + "; intervals and paired comparisons resample the test documents and the repetitions."
    )
    if redrawn:
        text += (
            " The configurations were chosen on the first draw's validation split, so a later "
            "draw may train on documents the search validated on (never on test documents)."
        )
    if from_search:
        text += (
            f" The first repetition of {', '.join(from_search)} is its search trial, its only "
            "one (so not chosen among others): that trial trained with the first repetition's "
            "seed, split and epochs, so it was scored on the test split instead of retrained."
        )
    if spread:
        text += (
            " The runs were queued for every process of the run (`--jobs`, `embrec worker`): a "
            "run's seconds and cost were measured on the share of the cores of the process that "
            "ran it."
        )
    return text


# Data whose smallest class has fewer than 10,000 training documents (the profile's small and
# medium regimes) redraws its training split per repetition: that is where the training sample
# moves the scores. Large data keeps one split, as its test split is big enough.
REDRAW_REGIMES = ("small", "medium")


def redraws(regime: str, splits: Splits) -> bool:
    """Whether the repetitions train on draws of their own (`redraw`), not the run's split."""
    return regime in REDRAW_REGIMES and "validation" not in splits.fixed


def gather_until_decided(
    finalists: dict[str, TrialRecord],
    prepared_for: Callable[[int], Prepared],
    space: SearchSpace,
    *,
    repetitions: int,
    more: int,
    seed: int,
    cache_dir: Path,
    undecided: Callable[[list[CandidateEvidence]], Sequence[str]],
    on_run: Callable[[str, SeedRun], None] | None = None,
    on_more: Callable[[Sequence[str], int], None] | None = None,
    clock: RunClock | None = None,
    spread: Spread | None = None,
    known: Sequence[CandidateEvidence] = (),
) -> list[CandidateEvidence]:
    """`repetitions` runs of every finalist (`known` runs, the search's own, not trained again:
    see `trial_runs`); then, while `undecided(evidence)` names options
    the evidence cannot yet tell apart, up to `more` further repetitions of those, in batches of
    `repetitions` (`on_more(keys, total)` hears of each batch). Under a time budget (`clock`) a
    batch starts only when the time left covers it and one more training (the final model's),
    at the durations measured so far; with the runs `spread` over several processes, at the
    pace measured in this run (wall seconds per second of training, at most 1)."""
    trained: list[SeedRun] = []
    if on_run is not None:
        for evidence_of in known:
            for run in evidence_of.runs:
                on_run(evidence_of.candidate, run)
    started = time.monotonic()
    evidence = gather_evidence(
        finalists,
        prepared_for,
        space,
        repetitions=range(repetitions),
        seed=seed,
        cache_dir=cache_dir,
        earlier=known,
        on_run=on_run,
        spread=spread,
        trained=trained,
    )
    pace = _pace(time.monotonic() - started, trained) if spread else 1.0
    done = repetitions
    while done < repetitions + more and (keys := list(undecided(evidence))):
        batch = min(done + repetitions, repetitions + more) - done
        needed = _batch_seconds(evidence, keys, batch, pace)
        if clock is not None and not clock.covers(needed):
            clock.skip(f"{batch} more evidence repetitions of {', '.join(keys)}", needed)
            break
        done += batch
        if on_more is not None:
            on_more(keys, done)
        trained, started = [], time.monotonic()
        extended = gather_evidence(
            {key: finalists[key] for key in keys},
            prepared_for,
            space,
            repetitions=range(done),
            seed=seed,
            cache_dir=cache_dir,
            earlier=[e for e in evidence if e.candidate in keys],
            on_run=on_run,
            spread=spread,
            trained=trained,
        )
        if spread:
            pace = _pace(time.monotonic() - started, trained, pace)
        by_key = {e.candidate: e for e in extended}
        evidence = [by_key.get(e.candidate, e) for e in evidence]
    return evidence


def _pace(wall: float, trained: Sequence[SeedRun], otherwise: float = 1.0) -> float:
    """Wall seconds per second of training of the runs just trained: about 1 / the processes
    that shared them (never above 1, so the estimate is never longer than one process's);
    `otherwise` when none was trained (all read from the cache)."""
    training = sum(run.train_seconds for run in trained)
    return min(1.0, wall / training) if training > 0 else otherwise


def _batch_seconds(
    evidence: list[CandidateEvidence], keys: Sequence[str], batch: int, pace: float = 1.0
) -> float:
    """`batch` more repetitions of `keys` at `pace`, then one training as long as the longest
    so far (the final model's, in this process)."""
    runs = {e.candidate: e for e in evidence}
    longest = max(run.train_seconds for e in evidence for run in e.runs)
    return pace * batch * sum(runs[key].train_seconds_mean for key in keys) + longest


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
    max_epochs, patience = space.epochs(epoch_documents(prepared.x["train"], space.epoch_tokens))
    outcome = fit_candidate(
        candidate,
        config,
        prepared,
        seed=seed,
        max_epochs=max_epochs,
        patience=patience,
        batch_size=space.batch_size,
        epoch_tokens=space.epoch_tokens,
        validation_documents=space.validation_documents,
    )
    return scored_run(outcome, config, prepared, seed), outcome.model


def scored_run(
    outcome: FitOutcome, config: dict[str, Any], prepared: Prepared, seed: int
) -> SeedRun:
    """A trained model's run: its predictions on the test split and their scores."""
    predictions = predict_split(outcome.model, prepared.x["test"], config).argmax(axis=1)
    truth = prepared.y["test"]
    return SeedRun(
        seed=seed,
        accuracy=float(np.mean(predictions == truth)),
        macro_f1=macro_f1(truth, predictions, len(prepared.classes)),
        best_epoch=outcome.best_epoch,
        train_seconds=round(outcome.seconds, 3),
        predictions=tuple(int(p) for p in predictions),
    )


def keep_trial_run(
    folder: Path,
    candidate: Candidate,
    config: dict[str, Any],
    prepared: Prepared,
    outcome: FitOutcome,
    seed: int,
) -> None:
    """Save a candidate's first search trial as the evidence would have measured it.

    The first trial trains as the evidence's first repetition does: the run's seed, the run's
    own split, the same epochs and early stopping. When it stays the candidate's only trial (a
    large run whose time budget allows one round), `trial_runs` gives it to the evidence, which
    then does not train it a second time. The search itself never reads this file."""
    run = scored_run(outcome, config, prepared, seed)
    cost = _measure_cost(outcome.model, prepared, candidate)
    write_json(
        _cache_file(folder, candidate.key, seed),
        {"config": config, "run": asdict(run), "cost": asdict(cost)},
    )


def trial_runs(
    folder: Path, finalists: dict[str, TrialRecord], records: Sequence[TrialRecord], seed: int
) -> list[CandidateEvidence]:
    """The finalists whose search ran them once only, each with that trial as its first
    repetition (saved by `keep_trial_run`). A finalist chosen among several trials is trained
    again instead: its best trial's score on the test split would carry the luck that made it
    win on validation."""
    known = []
    for key, trial in finalists.items():
        alone = sum(record.candidate == key for record in records) == 1
        if not alone or trial.slot != 0:
            continue
        saved = _cached_run(_cache_file(folder, key, seed), trial.config)
        if saved is not None and saved[1] is not None:
            known.append(CandidateEvidence(key, trial.config, (saved[0],), saved[1]))
    return known


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
    """Accuracy of `a` minus `b` over the repetitions both have. The bootstrap resamples the
    test documents and the repetitions, each jointly for both options (both were trained on a
    repetition's same documents and scored on the same test documents), so the interval covers
    the test sample, the training sample and the seed. An option with a single run (a
    yardstick) is paired with every repetition of the other."""
    rng = np.random.default_rng(seed)
    runs_a, runs_b = _paired_runs(a, b)
    correct_a = np.array([np.array(r.predictions) == truth for r in runs_a], dtype=np.float64)
    correct_b = np.array([np.array(r.predictions) == truth for r in runs_b], dtype=np.float64)
    documents, repetitions = len(truth), len(runs_a)
    differences = []
    for start in range(0, resamples, 500):
        size = min(500, resamples - start)
        weights = rng.multinomial(documents, np.full(documents, 1 / documents), size=size).T
        per_run = (correct_a - correct_b) @ weights / documents  # (repetitions, size)
        pick = rng.integers(0, repetitions, size=(repetitions, size))
        differences.append(np.take_along_axis(per_run, pick, axis=0).mean(axis=0))
    samples = np.concatenate(differences) * 100
    observed = float((correct_a.mean() - correct_b.mean()) * 100)
    p_value = min(1.0, 2 * min(np.mean(samples <= 0), np.mean(samples >= 0)))
    low, high = np.percentile(samples, [2.5, 97.5])
    return PairedDifference(
        a.candidate, b.candidate, observed, float(low), float(high), float(p_value)
    )


def _paired_runs(a: CandidateEvidence, b: CandidateEvidence) -> tuple[list[SeedRun], list[SeedRun]]:
    """The runs of `a` and `b` matched by repetition (its seed)."""
    if len(a.runs) == 1 or len(b.runs) == 1:
        count = max(len(a.runs), len(b.runs))
        return [*a.runs] * (count // len(a.runs)), [*b.runs] * (count // len(b.runs))
    of_b = {run.seed: run for run in b.runs}
    shared = [run for run in a.runs if run.seed in of_b]
    return shared, [of_b[run.seed] for run in shared]
