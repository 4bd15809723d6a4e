"""KerasTuner engine: one tuner (Bayesian optimisation or Hyperband) per candidate, in
RUN/keras_tuner/<candidate>, trained by the same `fit_candidate()` as the Optuna engine.

KerasTuner keeps each project on disk (overwrite=False), so a resumed search reloads it: finished
trials are kept and a trial a killed process left running is retried with the same values. Its
JSON files are written atomically (see `_save_state`), so a kill never leaves one half-written.
Candidates take turns as with Optuna: each tuner's `max_trials` is raised by one per round.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from recommender.batches import epoch_documents
from recommender.files import write_text
from recommender.models import Candidate
from recommender.prepare import Prepared
from recommender.search.engine import (
    Budget,
    CtrlC,
    FailureStreak,
    OnTrial,
    RoundClock,
    SearchOutcome,
    TrialRecord,
    trial_seed,
)
from recommender.search.trial import fit_candidate
from recommender.space import SearchSpace

OBJECTIVE = "val_accuracy"


class HyperParametersSuggester:
    """Answers `SearchSpace.sample()`'s questions from a KerasTuner `HyperParameters`: it
    registers each parameter the first time and returns the value the oracle chose for it.
    `fixed` overrides a choice (to declare every encoder's parameters before the first trial)."""

    def __init__(self, hp: Any, fixed: dict[str, Any] | None = None) -> None:
        self.hp = hp
        self.fixed = fixed or {}

    def suggest_float(self, name: str, low: float, high: float, *, log: bool = False) -> float:
        return self.hp.Float(name, low, high, sampling="log" if log else "linear")

    def suggest_int(self, name: str, low: int, high: int, *, log: bool = False) -> int:
        return self.hp.Int(name, low, high, sampling="log" if log else "linear")

    def suggest_categorical(self, name: str, choices: list[Any]) -> Any:
        value = self.hp.Choice(name, choices)
        return self.fixed.get(name, value)


@dataclass(frozen=True)
class KerasTunerEngine:
    directory: Path
    algorithm: str  # "bayesian" | "hyperband"

    @property
    def name(self) -> str:
        return f"keras-tuner-{self.algorithm}"

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
        with CtrlC().installed() as ctrl_c:
            tuners = {
                c.key: self._tuner(c, prepared, space, budget, seed, ctrl_c) for c in candidates
            }
            clock, failures = RoundClock(budget.seconds, budget.reserve_rounds), FailureStreak()
            stopped_by, rounds = "trials", 0
            for number in range(budget.trials):
                if all(_ended(t) > number for t in tuners.values()):
                    rounds += 1
                    continue  # a round an earlier process finished
                if not clock.allows_round():
                    stopped_by = "time"
                    break
                clock.start_round()
                for candidate in candidates:
                    tuner = tuners[candidate.key]
                    if _ended(tuner) > number:
                        continue
                    tuner.oracle.max_trials = number + 1
                    tuner.search()
                    record = _records(candidate, tuner, space)[-1]
                    if on_trial is not None:
                        on_trial(record)
                    failures.add(record)
                clock.end_round()
                rounds += 1
            records = [r for c in candidates for r in _records(c, tuners[c.key], space)]
            return SearchOutcome(self.name, tuple(records), stopped_by, rounds)

    def _tuner(
        self,
        candidate: Candidate,
        prepared: Prepared,
        space: SearchSpace,
        budget: Budget,
        seed: int,
        ctrl_c: CtrlC,
    ) -> Any:
        import keras_tuner

        objective = keras_tuner.Objective(OBJECTIVE, direction="max")
        common = {
            "objective": objective,
            "seed": trial_seed(seed, candidate.key, 0),
            "max_consecutive_failed_trials": budget.trials + 1,  # FailureStreak decides
        }
        max_epochs, patience = space.epochs(
            epoch_documents(prepared.x["train"], space.epoch_tokens)
        )
        if self.algorithm == "hyperband":
            oracle = _oracle_class(keras_tuner.oracles.HyperbandOracle)(
                max_epochs=max_epochs, hyperband_iterations=None, **common
            )
        else:
            oracle = _oracle_class(keras_tuner.oracles.BayesianOptimizationOracle)(
                max_trials=budget.trials, **common
            )

        def fit(trial: Any) -> dict[str, float]:
            hp = trial.hyperparameters
            fixed = space.first_config(candidate.strategy, int(trial.trial_id))
            if fixed and "tuner/trial_id" not in hp.values:  # not a Hyperband continuation
                hp.values.update(fixed)  # a known-good first trial, recorded as its values
            config = space.sample(HyperParametersSuggester(hp), candidate.strategy)
            with ctrl_c.at_once():
                outcome = fit_candidate(
                    candidate,
                    config,
                    prepared,
                    seed=seed + int(trial.trial_id),
                    max_epochs=int(hp.values.get("tuner/epochs", max_epochs)),
                    patience=patience,
                    batch_size=space.batch_size,
                    epoch_tokens=space.epoch_tokens,
                    validation_documents=space.validation_documents,
                )
            return {
                OBJECTIVE: float(outcome.val_accuracy),  # type: ignore[arg-type]
                "best_epoch": float(outcome.best_epoch),
                "seconds": round(outcome.seconds, 3),
            }

        with contextlib.redirect_stdout(io.StringIO()):  # "Reloading Tuner from ..."
            tuner = _tuner_class(keras_tuner)(
                fit,
                oracle=oracle,
                directory=str(self.directory),
                project_name=candidate.key.replace(":", "-"),
                overwrite=False,
            )
        tuner.oracle.verbose = 0  # KerasTuner's own display would print over the progress bar
        if not tuner.oracle.trials and not tuner.oracle.hyperparameters.space:
            _declare(tuner.oracle, space, candidate.strategy)
        return tuner


def _tuner_class(keras_tuner: Any) -> type:
    """A tuner that trains with `fit_candidate()` (so training is written once, in trial.py)."""

    class Tuner(keras_tuner.engine.base_tuner.BaseTuner):
        def __init__(self, fit: Any, **kwargs: Any) -> None:
            self.fit = fit
            super().__init__(**kwargs)

        def run_trial(self, trial: Any, *args: Any, **kwargs: Any) -> dict[str, float]:
            return self.fit(trial)

        def save(self) -> None:  # as BaseTuner.save: a worker leaves the oracle to the chief
            if not self._is_worker():
                self.oracle.save()
            _save_state(self._get_tuner_fname(), self)

    return Tuner


def _oracle_class(base: Any) -> type:
    """`base` (a KerasTuner oracle class) writing oracle.json and trial_*/trial.json atomically,
    at the paths `Oracle.save` and `Oracle._save_trial` use.

    A new trial's trial.json is written just before the oracle.json that records it: after a
    kill between the two, the reloaded oracle would count that trial among its `max_trials`
    without ever running it. It is forgotten instead, so it is created again (same id, and the
    same values, from the oracle's state before it)."""

    class Oracle(base):
        def save(self) -> None:
            _save_state(self._get_oracle_fname(), self)

        def _save_trial(self, trial: Any) -> None:
            _save_state(os.path.join(self._get_trial_dir(trial.trial_id), "trial.json"), trial)

        def reload(self) -> None:
            super().reload()
            for trial_id in set(self.trials) - set(self.start_order):
                del self.trials[trial_id]

    return Oracle


def _save_state(path: str, stateful: Any) -> None:
    """What KerasTuner's `save_json` writes (its `load_json` reads it back), written atomically.
    KerasTuner itself writes with a plain open(path, "w"): a kill in the middle of it leaves a
    cut-short JSON file, and a resumed search can then no longer reload the project."""
    write_text(Path(path), json.dumps(stateful.get_state()))


def _declare(oracle: Any, space: SearchSpace, strategy: str) -> None:
    """Tell a new oracle every parameter of the space (each encoder's too), so that the first
    trial is sampled like the others instead of taking each parameter's default."""
    hp = oracle.get_space()
    for encoder in space.encoders:
        space.sample(HyperParametersSuggester(hp, {"encoder": encoder}), strategy)
    oracle.update_space(hp)


def _ended(tuner: Any) -> int:
    """Trials that spent their turn (a trial left running by a killed process has not)."""
    return sum(t.status in ("COMPLETED", "FAILED") for t in tuner.oracle.trials.values())


def _records(candidate: Candidate, tuner: Any, space: SearchSpace) -> list[TrialRecord]:
    """The ended trials of a tuner as records, in trial order."""
    records = []
    trials = sorted(tuner.oracle.trials.values(), key=lambda t: int(t.trial_id))
    for trial in trials:
        if trial.status not in ("COMPLETED", "FAILED"):
            continue
        complete = trial.status == "COMPLETED"
        hp = trial.hyperparameters.copy()
        metrics = trial.metrics
        records.append(
            TrialRecord(
                candidate=candidate.key,
                number=int(trial.trial_id),
                state="complete" if complete else "failed",
                value=float(trial.score) if complete else None,
                config=space.sample(HyperParametersSuggester(hp), candidate.strategy),
                best_epoch=int(metrics.get_last_value("best_epoch")) if complete else None,
                seconds=float(metrics.get_last_value("seconds")) if complete else None,
                error=None if complete else _last_line(trial.message),
                slot=int(trial.trial_id),
            )
        )
    return records


def _last_line(message: str | None) -> str:
    """KerasTuner keeps a failed trial's traceback: the error is its last line that starts
    with an error's name (a message may run on over more lines, as Keras' do)."""
    lines = [line.strip() for line in (message or "").splitlines() if line.strip()]
    named = [line for line in lines if _ERROR_LINE.match(line)]
    return (named or lines or ["failed"])[-1][:200]


_ERROR_LINE = re.compile(r"^[\w.]*(Error|Exception)(:|$)")
