"""What every search engine shares: the trial record, the budget (trials and time), the round
clock, Ctrl-C handling and the finished search saved in the run directory.

An engine runs one search per candidate and gives each the same number of trials: candidates
take turns, one trial each, and a round (one trial per candidate) once started is finished, so
a time limit or an interruption never leaves the strategies with unequal budgets.
"""

from __future__ import annotations

import signal
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from recommender.errors import UserError
from recommender.files import read_json, write_json

if TYPE_CHECKING:  # config.py reads ENGINES: importing it stays light
    from recommender.models import Candidate
    from recommender.prepare import Prepared
    from recommender.search.workers import LocalWorkers
    from recommender.space import SearchSpace

MAX_CONSECUTIVE_FAILURES = 3
OUTCOME_FILE = "search.json"
ENGINES = ("optuna", "keras-tuner-bayesian", "keras-tuner-hyperband")


class SearchFailed(UserError, RuntimeError):
    """Several trials in a row failed: the problem is not one unlucky configuration."""


@dataclass(frozen=True)
class TrialRecord:
    """A finished trial, frozen: evidence and decisions read records, never live models."""

    candidate: str
    number: int
    state: str  # "complete" | "pruned" | "failed"
    value: float | None  # best validation accuracy
    config: dict[str, Any]
    best_epoch: int | None
    seconds: float | None
    error: str | None = None
    slot: int | None = None  # its place in the candidate's budget: round 0, 1, ...

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Budget:
    """Trials per candidate, and optionally wall-clock seconds: whichever ends first.

    `reserve_rounds` is the time kept for the stages after the search, in lengths of its
    longest round (a round trains every candidate once, as one repetition of the evidence
    does): a round starts only when the time left covers it and the reserve."""

    trials: int
    seconds: float | None = None
    reserve_rounds: float = 0.0


@dataclass(frozen=True)
class SearchOutcome:
    """The trials of a finished search, which limit ended it and how many trials each got."""

    engine: str
    records: tuple[TrialRecord, ...]
    stopped_by: str  # "trials" | "time"
    trials_per_candidate: int

    def summary(self) -> dict[str, Any]:
        """report.json's account of the search, beside its trials."""
        return {
            "engine": self.engine,
            "stopped_by": self.stopped_by,
            "trials_per_candidate": self.trials_per_candidate,
        }

    def to_dict(self) -> dict[str, Any]:
        return {**self.summary(), "trials": [r.to_dict() for r in self.records]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SearchOutcome:
        records = tuple(TrialRecord(**record) for record in data["trials"])
        return cls(data["engine"], records, data["stopped_by"], data["trials_per_candidate"])


OnTrial = Callable[[TrialRecord], None]


class Engine(Protocol):
    """One search engine: Optuna, or KerasTuner with one of its algorithms."""

    @property
    def name(self) -> str: ...

    def run(
        self,
        prepared: Prepared,
        candidates: Sequence[Candidate],
        space: SearchSpace,
        budget: Budget,
        *,
        seed: int,
        on_trial: OnTrial | None = None,
    ) -> SearchOutcome:
        """Run (or resume) the search until the budget is spent."""
        ...


def search(
    engine: Engine,
    run_dir: Path,
    prepared: Prepared,
    candidates: Sequence[Candidate],
    space: SearchSpace,
    budget: Budget,
    *,
    seed: int,
    on_trial: OnTrial | None = None,
    helpers: LocalWorkers | None = None,
) -> SearchOutcome:
    """Run the search once per run: a resumed run reads the finished search from search.json
    (a search ended by the time budget must not grow when the run is resumed). `helpers`:
    worker processes on this machine that run the trials (`recommend --jobs`; Optuna only)."""
    from recommender.search.optuna_engine import OptunaEngine, create_studies
    from recommender.search.workers import plan_for, write_plan

    saved = read_json(run_dir / OUTCOME_FILE)
    if saved is not None and saved.get("engine") == engine.name:
        return SearchOutcome.from_dict(saved)
    if isinstance(engine, OptunaEngine):  # `embrec worker RUN_DIR` joins through these files
        create_studies(engine.storage_url, [c.key for c in candidates])  # before workers come
        plan = plan_for(engine.storage_url, candidates, space, seed, budget.trials)
        write_plan(run_dir, plan, prepared)
        outcome = engine.run(
            prepared, candidates, space, budget, seed=seed, on_trial=on_trial, helpers=helpers
        )
    else:
        outcome = engine.run(prepared, candidates, space, budget, seed=seed, on_trial=on_trial)
    write_json(run_dir / OUTCOME_FILE, outcome.to_dict())
    return outcome


def check_jobs(jobs: int, engine: str) -> None:
    """`--jobs`: at least one, and more only where trials can run in several processes."""
    if jobs < 1:
        raise UserError(f"--jobs must be at least 1, got {jobs}", fix="pass --jobs 1 or more")
    if jobs > 1 and engine != "optuna":
        raise UserError(
            f"--jobs needs --engine optuna (the {engine} engine runs one trial at a time)",
            fix="drop --jobs, or pass --engine optuna",
        )


def best_trials(records: Sequence[TrialRecord]) -> dict[str, TrialRecord]:
    """The best completed trial of each candidate. Ties go to the earlier slot, not the earlier
    trial number: a slot re-run after a kill gets a new number, and must win as it would have."""
    best: dict[str, TrialRecord] = {}
    for record in records:
        if record.state != "complete" or record.value is None:
            continue
        current = best.get(record.candidate)
        if current is None or (record.value, -_place(record)) > (
            current.value,
            -_place(current),
        ):
            best[record.candidate] = record
    return best


def _place(record: TrialRecord) -> int:
    return record.number if record.slot is None else record.slot


class RoundClock:
    """Applies the time budget at round boundaries. The first round of a search always runs
    (every candidate needs a trial to be compared); a later round starts only when the time left
    covers the longest round so far (and `reserve_rounds` more of it, kept for what follows the
    search), so the budget is overrun by at most the amount a round runs longer than that one
    (in practice, less than one trial)."""

    def __init__(self, seconds: float | None, reserve_rounds: float = 0.0) -> None:
        self.seconds = seconds
        self.reserve_rounds = reserve_rounds
        self.started = time.monotonic()
        self.longest = 0.0
        self.rounds = 0
        self.round_started: float | None = None

    def allows_round(self) -> bool:
        if self.seconds is None or self.rounds == 0:
            return True
        needed = self.longest * (1 + self.reserve_rounds)
        return time.monotonic() - self.started + needed <= self.seconds

    def start_round(self) -> None:
        self.round_started = time.monotonic()

    def end_round(self) -> None:
        if self.round_started is not None:
            self.longest = max(self.longest, time.monotonic() - self.round_started)
            self.rounds += 1
            self.round_started = None


class FailureStreak:
    """Stops the search when several trials in a row fail."""

    def __init__(self) -> None:
        self.count = 0

    def add(self, record: TrialRecord) -> None:
        self.count = self.count + 1 if record.state == "failed" else 0
        if self.count >= MAX_CONSECUTIVE_FAILURES:
            raise SearchFailed(
                f"{self.count} trials in a row failed; the last with: {record.error}",
                fix="check the data and the search space, or run with --debug",
            )


def one_line(error: BaseException) -> str:
    first = (str(error).strip().splitlines() or [""])[0]
    return f"{type(error).__name__}: {first[:200]}"


def trial_seed(seed: int, key: str, number: int) -> int:
    """The sampler seed of a candidate's trial slot: a resumed search samples as a fresh one."""
    return (seed * 1_000_003 + zlib.crc32(key.encode()) + number * 7919) % (2**31)


class CtrlC:
    """Where Ctrl-C lands during the search. While a model trains it stops the training at once;
    while an engine writes its state it waits for the write to end: a KeyboardInterrupt inside
    SQLAlchemy can leave this process holding the SQLite lock, and one inside KerasTuner's JSON
    writes can leave a half-written file, so that resuming would fail instead of going on."""

    def __init__(self) -> None:
        self.training = False
        self.pending = False

    @contextmanager
    def installed(self) -> Iterator[CtrlC]:
        """Catch SIGINT for the block (signals reach the main thread only); one held back is
        raised when the block ends."""
        if threading.current_thread() is not threading.main_thread():
            yield self
            return
        previous = signal.signal(signal.SIGINT, self._received)
        try:
            yield self
        finally:
            signal.signal(signal.SIGINT, previous)
        self.raise_pending()

    def _received(self, signum: int, frame: Any) -> None:
        if self.training:
            raise KeyboardInterrupt
        self.pending = True

    def raise_pending(self) -> None:
        if self.pending:
            self.pending = False
            raise KeyboardInterrupt

    @contextmanager
    def at_once(self) -> Iterator[None]:
        """Training: Ctrl-C (also one pressed just before) interrupts it at once."""
        self.raise_pending()
        self.training = True
        try:
            yield
        finally:
            self.training = False

    @contextmanager
    def held_back(self) -> Iterator[None]:
        """A write in the middle of training: Ctrl-C waits for it to end."""
        training, self.training = self.training, False
        try:
            yield
        finally:
            self.training = training
        if training:
            self.raise_pending()


# RUN/trial_runs: each candidate's first trial scored on the test split, for the evidence only
# (`evidence.trial_runs`); the search never reads it
TRIAL_RUNS = "trial_runs"


def engine_for(name: str, run_dir: Path, storage: str | None) -> Engine:
    """The engine a run's configuration names (`storage`: an Optuna storage URL; None keeps the
    study in RUN/study.db)."""
    if name == "optuna":
        from recommender.search.optuna_engine import OptunaEngine

        return OptunaEngine(storage or default_storage(run_dir), run_dir / TRIAL_RUNS)
    from recommender.search.keras_tuner_engine import KerasTunerEngine

    return KerasTunerEngine(run_dir / "keras_tuner", name.removeprefix("keras-tuner-"))


def default_storage(run_dir: Path) -> str:
    return f"sqlite:///{(run_dir / 'study.db').resolve()}"
