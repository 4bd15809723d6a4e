"""Optuna engine: one study per candidate in one SQLite file, equal trials each.

Candidates take turns (round-robin), so an interrupted or time-limited search always leaves
every strategy with the same number of trials. Each trial's sampler is seeded from the run
seed, the candidate and the trial number, so a resumed search samples what an uninterrupted
one would have, and trains it with the same seed.
"""

from __future__ import annotations

import json
import signal
import threading
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from recommender.errors import UserError
from recommender.models import Candidate
from recommender.prepare import Prepared
from recommender.search.trial import fit_candidate
from recommender.space import SearchSpace

MAX_CONSECUTIVE_FAILURES = 3


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

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def run_search(
    prepared: Prepared,
    candidates: Sequence[Candidate],
    space: SearchSpace,
    *,
    trials_per_candidate: int,
    storage_url: str,
    seed: int,
    on_trial: Callable[[TrialRecord], None] | None = None,
) -> list[TrialRecord]:
    """Run (or resume) the search until every candidate has `trials_per_candidate` trials."""
    with _CtrlC().installed() as ctrl_c:
        return _run_search(
            prepared, candidates, space, trials_per_candidate, storage_url, seed, on_trial, ctrl_c
        )


def _run_search(
    prepared: Prepared,
    candidates: Sequence[Candidate],
    space: SearchSpace,
    trials_per_candidate: int,
    storage_url: str,
    seed: int,
    on_trial: Callable[[TrialRecord], None] | None,
    ctrl_c: _CtrlC,
) -> list[TrialRecord]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    studies = {c.key: _open_study(optuna, storage_url, c.key) for c in candidates}
    for study in studies.values():
        _fail_interrupted_trials(optuna, study)
    failures_in_a_row = 0
    for round_number in range(trials_per_candidate):
        for candidate in candidates:
            study = studies[candidate.key]
            if _budget_used(optuna, study) > round_number:
                continue
            study.sampler = optuna.samplers.TPESampler(
                seed=_trial_seed(seed, candidate.key, round_number),
                n_startup_trials=max(3, trials_per_candidate // 3),
            )
            study.optimize(
                _objective(optuna, candidate, prepared, space, seed + round_number, ctrl_c),
                n_trials=1,
                catch=(Exception,),
            )
            ctrl_c.raise_pending()  # one held back while Optuna wrote: the trial is saved whole
            record = _record(candidate.key, study.trials[-1])
            failures_in_a_row = failures_in_a_row + 1 if record.state == "failed" else 0
            if on_trial is not None:
                on_trial(record)
            if failures_in_a_row >= MAX_CONSECUTIVE_FAILURES:
                raise SearchFailed(
                    f"{failures_in_a_row} trials in a row failed; the last with: {record.error}",
                    fix="check the data and the search space, or run with --debug",
                )
    return load_trials(storage_url, [c.key for c in candidates])


def load_trials(storage_url: str, candidate_keys: Sequence[str]) -> list[TrialRecord]:
    """All finished trials of a run's studies, in candidate then trial order."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    records = []
    for key in candidate_keys:
        study = _open_study(optuna, storage_url, key)
        records.extend(
            _record(key, t) for t in study.trials if t.state != optuna.trial.TrialState.RUNNING
        )
    return records


def best_trials(records: Sequence[TrialRecord]) -> dict[str, TrialRecord]:
    """The best completed trial of each candidate (ties: the earlier trial)."""
    best: dict[str, TrialRecord] = {}
    for record in records:
        if record.state != "complete" or record.value is None:
            continue
        current = best.get(record.candidate)
        if current is None or record.value > current.value:  # type: ignore[operator]
            best[record.candidate] = record
    return best


def _open_study(optuna: Any, storage_url: str, key: str) -> Any:
    from sqlalchemy.exc import DatabaseError

    try:
        return optuna.create_study(
            study_name=key,
            storage=storage_url,
            direction="maximize",
            pruner=optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=1),
            load_if_exists=True,
        )
    except DatabaseError as error:  # a damaged file, or not SQLite at all
        raise UserError(
            f"the search's study database cannot be read ({_one_line(error.orig or error)})",
            where=storage_url.removeprefix("sqlite:///"),
            fix="move it away and rerun the same command; the search then starts again",
        ) from error


def _fail_interrupted_trials(optuna: Any, study: Any) -> None:
    """A trial left RUNNING by a killed process is marked failed; its slot is re-run."""
    for trial in study.trials:
        if trial.state == optuna.trial.TrialState.RUNNING:
            study.tell(trial.number, state=optuna.trial.TrialState.FAIL)


def _budget_used(optuna: Any, study: Any) -> int:
    """Finished trials, not counting those an interrupted or killed process left (re-run)."""
    return sum(
        1
        for t in study.trials
        if t.state != optuna.trial.TrialState.FAIL or "error" in t.user_attrs
    )


def _one_line(error: Exception) -> str:
    first = (str(error).strip().splitlines() or [""])[0]
    return f"{type(error).__name__}: {first[:200]}"


def _trial_seed(seed: int, key: str, number: int) -> int:
    return (seed * 1_000_003 + zlib.crc32(key.encode()) + number * 7919) % (2**31)


def _objective(
    optuna: Any,
    candidate: Candidate,
    prepared: Prepared,
    space: SearchSpace,
    seed: int,
    ctrl_c: _CtrlC,
) -> Callable[[Any], float]:
    """The trial's training seed is fixed by its slot in the budget, not by Optuna's trial
    number: a trial re-run after a kill gets a new number but must train as the lost one would."""

    def objective(trial: Any) -> float:
        config = space.sample(trial, candidate.strategy)
        trial.set_user_attr("config", json.dumps(config))

        def report(epoch: int, val_accuracy: float) -> None:
            with ctrl_c.held_back():
                trial.report(val_accuracy, epoch)
                hopeless = trial.should_prune()
            if hopeless:
                raise optuna.TrialPruned(f"pruned after epoch {epoch}")

        try:
            with ctrl_c.at_once():
                outcome = fit_candidate(
                    candidate,
                    config,
                    prepared,
                    seed=seed,
                    max_epochs=space.max_epochs,
                    patience=space.patience,
                    batch_size=space.batch_size,
                    on_epoch=report,
                )
        except optuna.TrialPruned:
            raise
        except Exception as error:  # recorded, so a resumed search counts this trial as run
            trial.set_user_attr("error", _one_line(error))
            raise
        trial.set_user_attr("best_epoch", outcome.best_epoch)
        trial.set_user_attr("seconds", round(outcome.seconds, 3))
        return float(outcome.val_accuracy)  # type: ignore[arg-type]

    return objective


class _CtrlC:
    """Where Ctrl-C lands during the search. While a model trains it stops the training at once;
    while Optuna writes to the study it waits for the write to end: a KeyboardInterrupt inside
    SQLAlchemy can leave this process holding the SQLite lock, so that recording the interrupted
    trial then fails ("database is locked") with a traceback instead of the resume hint."""

    def __init__(self) -> None:
        self.training = False
        self.pending = False

    @contextmanager
    def installed(self) -> Iterator[_CtrlC]:
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
        """A write to the study in the middle of training: Ctrl-C waits for it to end."""
        training, self.training = self.training, False
        try:
            yield
        finally:
            self.training = training
        if training:
            self.raise_pending()


def _record(key: str, trial: Any) -> TrialRecord:
    state = {"COMPLETE": "complete", "PRUNED": "pruned"}.get(trial.state.name, "failed")
    seconds = trial.user_attrs.get("seconds")
    if seconds is None and trial.datetime_complete and trial.datetime_start:
        seconds = (trial.datetime_complete - trial.datetime_start).total_seconds()
    return TrialRecord(
        candidate=key,
        number=trial.number,
        state=state,
        value=trial.value,
        config=json.loads(trial.user_attrs.get("config", "{}")),
        best_epoch=trial.user_attrs.get("best_epoch"),
        seconds=seconds,
        error=trial.user_attrs.get("error", "interrupted" if state == "failed" else None),
    )
