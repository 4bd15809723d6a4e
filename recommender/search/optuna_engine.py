"""Optuna engine: one study per candidate in one SQLite file, equal trials each.

Candidates take turns (round-robin), so an interrupted or time-limited search always leaves
every strategy with the same number of trials. Each trial's sampler is seeded from the run
seed, the candidate and the trial number, so a resumed search samples what an uninterrupted
one would have.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Sequence
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
                _objective(optuna, candidate, prepared, space, seed),
                n_trials=1,
                catch=(Exception,),
            )
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
    return optuna.create_study(
        study_name=key,
        storage=storage_url,
        direction="maximize",
        pruner=optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=1),
        load_if_exists=True,
    )


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
    optuna: Any, candidate: Candidate, prepared: Prepared, space: SearchSpace, seed: int
) -> Callable[[Any], float]:
    def objective(trial: Any) -> float:
        config = space.sample(trial, candidate.strategy)
        trial.set_user_attr("config", json.dumps(config))

        def report(epoch: int, val_accuracy: float) -> None:
            trial.report(val_accuracy, epoch)
            if trial.should_prune():
                raise optuna.TrialPruned(f"pruned after epoch {epoch}")

        try:
            outcome = fit_candidate(
                candidate,
                config,
                prepared,
                seed=seed + trial.number,
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
