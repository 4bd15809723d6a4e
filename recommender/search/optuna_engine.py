"""Optuna engine: one study per candidate in one storage (SQLite in the run directory, or any
Optuna storage URL shared by several processes), equal trials each.

Each trial has a slot, its place in the candidate's budget (round 0, 1, ...). The run's
`recommend` process (the coordinator) opens a round by enqueuing one WAITING trial per candidate;
any process (the coordinator or an `embrec worker`) claims a waiting trial by moving it to
RUNNING, which the storage does atomically (a row lock in PostgreSQL/MySQL, the database lock in
SQLite): two processes never run the same slot. Only the coordinator enqueues, so a slot is never
enqueued twice. A trial whose process died (a dead pid on this machine, or no heartbeat for
GRACE_SECONDS from another) is marked failed and its slot enqueued again; it is then sampled with
the same seed, so it runs what the lost trial would have.

A candidate's slots run in order: a process claims a candidate's slot only once its earlier slots
are done. Each trial's sampler then sees, and its pruner compares it with, the same earlier
trials however many processes share the search, so the search samples and prunes as a single
process would; processes run different candidates side by side.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from recommender.batches import epoch_documents
from recommender.errors import UserError
from recommender.evidence import keep_trial_run
from recommender.models import TFIDF, Candidate
from recommender.prepare import Prepared
from recommender.search.engine import (
    Budget,
    CtrlC,
    FailureStreak,
    OnTrial,
    RoundClock,
    SearchOutcome,
    TrialRecord,
    one_line,
    trial_seed,
)
from recommender.search.trial import fit_candidate
from recommender.space import SearchSpace

if TYPE_CHECKING:
    from recommender.search.workers import LocalWorkers

CONTROL_STUDY = "embrec-search"  # its user attributes: rounds opened, and how the search ended
HEARTBEAT_SECONDS = 10
GRACE_SECONDS = 60
POLL_SECONDS = 0.5


@dataclass(frozen=True)
class OptunaEngine:
    storage_url: str
    trial_runs: Path | None = None  # where each candidate's first trial leaves its test run

    @property
    def name(self) -> str:
        return "optuna"

    def run(
        self,
        prepared: Prepared,
        candidates: Sequence[Candidate],
        space: SearchSpace,
        budget: Budget,
        *,
        seed: int,
        on_trial: OnTrial | None = None,
        helpers: LocalWorkers | None = None,
    ) -> SearchOutcome:
        """Coordinate the search until every candidate has its budget, taking trials too unless
        `helpers` (workers on this machine) are running them."""
        with CtrlC().installed() as ctrl_c:
            search = _Search(
                self.storage_url, prepared, candidates, space, budget.trials, seed, self.trial_runs
            )
            return search.coordinate(budget, on_trial, ctrl_c, helpers)

    def work(
        self,
        prepared: Prepared,
        candidates: Sequence[Candidate],
        space: SearchSpace,
        trials: int,
        *,
        seed: int,
        on_trial: OnTrial | None = None,
        parent: int | None = None,
    ) -> int:
        """Take trials of a search that a coordinator runs, until it says the search is over
        (or the `parent` process that started this one is gone); returns how many it ran."""
        with CtrlC().installed() as ctrl_c:
            search = _Search(
                self.storage_url, prepared, candidates, space, trials, seed, self.trial_runs
            )
            return search.work(on_trial, ctrl_c, parent)


def load_trials(storage_url: str, candidate_keys: Sequence[str]) -> list[TrialRecord]:
    """All finished trials of a run's studies, in candidate then slot order: a slot re-run
    after a kill gets a later trial number but keeps its place, so a resumed run lists its
    trials as an uninterrupted one would."""
    optuna = _optuna()
    storage = _storage(optuna, storage_url)
    records = []
    for key in candidate_keys:
        study = _open_study(optuna, storage, storage_url, key)
        mine = [_record(key, t, slot) for t, slot in _slots(study) if t.state.is_finished()]
        records.extend(sorted(mine, key=_in_slot_order))
    return records


def create_studies(storage_url: str, candidate_keys: Sequence[str]) -> None:
    """The storage's tables and the run's studies, made by one process before any worker opens
    them (two processes creating SQLite tables at once can fail)."""
    optuna = _optuna()
    storage = _storage(optuna, storage_url)
    for key in (*candidate_keys, CONTROL_STUDY):
        _open_study(optuna, storage, storage_url, key)


def _in_slot_order(record: TrialRecord) -> tuple[bool, int, int]:
    return (record.slot is None, record.slot or 0, record.number)


class _Search:
    def __init__(
        self,
        storage_url: str,
        prepared: Prepared,
        candidates: Sequence[Candidate],
        space: SearchSpace,
        trials: int,
        seed: int,
        trial_runs: Path | None = None,
    ) -> None:
        self.optuna = _optuna()
        self.storage_url = storage_url
        self.storage = _storage(self.optuna, storage_url)
        self.max_epochs, self.patience = space.epochs(
            epoch_documents(prepared.x["train"], space.epoch_tokens)
        )
        self.studies = {
            c.key: _open_study(self.optuna, self.storage, storage_url, c.key, self.max_epochs)
            for c in candidates
        }
        self.control = _open_study(self.optuna, self.storage, storage_url, CONTROL_STUDY)
        self.candidates = list(candidates)
        self.prepared, self.space, self.trials, self.seed = prepared, space, trials, seed
        self.trial_runs = trial_runs
        self.owner = f"{socket.gethostname()}:{os.getpid()}"
        self.failures = FailureStreak()

    def coordinate(
        self,
        budget: Budget,
        on_trial: OnTrial | None,
        ctrl_c: CtrlC,
        helpers: LocalWorkers | None = None,
    ) -> SearchOutcome:
        clock = RoundClock(budget.seconds, budget.reserve_rounds)
        self._recover()
        seen = self._finished()
        # a search the time budget ended stays ended; one ended by its trials may get more
        stopped_by = "time" if self.control.user_attrs.get("stopped_by") == "time" else None
        self.control.set_user_attr("stopped_by", stopped_by)
        while True:
            slots = self._slot_states()
            opened = max(self._opened(), *(max(s, default=-1) + 1 for s in slots.values()))
            done = [all(slots[k].get(r) == "done" for k in slots) for r in range(opened)]
            if clock.round_started is not None and all(done):
                clock.end_round()
            claimed = all("waiting" not in states.values() for states in slots.values())
            may_open = claimed and (budget.seconds is None or all(done))
            if stopped_by is None and opened >= budget.trials:
                stopped_by = "trials"
            if stopped_by is None and may_open:
                if clock.allows_round():
                    self._open_round(opened)
                    clock.start_round()
                    continue
                stopped_by = "time"
            if (helpers is None or not helpers.alive()) and self._run_next(ctrl_c):
                seen = self._report_new(seen, on_trial)
                continue
            # before leaving too: the last trials may be a worker's, finished since the last look
            seen = self._report_new(seen, on_trial)
            if stopped_by is not None and all(done):
                break
            ctrl_c.raise_pending()  # while workers train, Ctrl-C lands here
            time.sleep(POLL_SECONDS)
            self._recover()
        with ctrl_c.held_back():
            self.control.set_user_attr("stopped_by", stopped_by)
        records = load_trials(self.storage_url, [c.key for c in self.candidates])
        return SearchOutcome("optuna", tuple(records), stopped_by, opened)

    def work(self, on_trial: OnTrial | None, ctrl_c: CtrlC, parent: int | None) -> int:
        ran = 0
        while parent is None or os.getppid() == parent:
            record = self._run_next(ctrl_c)
            if record is not None:
                ran += 1
                if on_trial is not None:
                    on_trial(record)
                continue
            if self.control.user_attrs.get("stopped_by"):
                return ran
            time.sleep(POLL_SECONDS)
        return ran

    def _opened(self) -> int:
        return int(self.control.user_attrs.get("rounds", 0))

    def _open_round(self, number: int) -> None:
        for candidate in self.candidates:
            self._enqueue(candidate, number)
        self.control.set_user_attr("rounds", number + 1)

    def _enqueue(self, candidate: Candidate, slot: int) -> None:
        """A waiting trial for `slot`; the space's known-good first trials come with their
        values fixed, so the sampler draws only what they leave out."""
        fixed = self.space.first_config(candidate.strategy, slot) or {}
        self.studies[candidate.key].enqueue_trial(fixed, user_attrs={"slot": slot})

    def _slot_states(self) -> dict[str, dict[int, str]]:
        """Per candidate, each slot's state: waiting, running or done (a slot whose trial was
        interrupted has no state until it is enqueued again)."""
        return {key: _states(self.optuna, _slots(study)) for key, study in self.studies.items()}

    def _recover(self) -> None:
        """Fail the trials of processes that died; enqueue again the slots they held."""
        running = self.optuna.trial.TrialState.RUNNING
        for study in self.studies.values():
            for trial in study.get_trials(deepcopy=False, states=(running,)):
                if _abandoned(trial):
                    self.storage.set_trial_state_values(
                        trial._trial_id, self.optuna.trial.TrialState.FAIL
                    )
            self.optuna.storages.fail_stale_trials(study)
        states = self._slot_states()
        for candidate in self.candidates:
            for number in range(self._opened()):
                if number not in states[candidate.key]:
                    self._enqueue(candidate, number)

    def _finished(self) -> set[tuple[str, int]]:
        return {
            (key, t.number)
            for key, study in self.studies.items()
            for t in study.get_trials(deepcopy=False)
            if t.state.is_finished()
        }

    def _report_new(
        self, seen: set[tuple[str, int]], on_trial: OnTrial | None
    ) -> set[tuple[str, int]]:
        """Announce the trials finished since `seen` (by this process or a worker)."""
        now = self._finished()
        if on_trial is not None:
            for key, study in self.studies.items():
                for trial, slot in _slots(study):
                    if (key, trial.number) in now - seen:
                        on_trial(_record(key, trial, slot))
        return now

    def _run_next(self, ctrl_c: CtrlC) -> TrialRecord | None:
        """Claim the waiting trial of the earliest round (candidates in order) whose candidate
        has no earlier slot still to finish, and run it."""
        waiting = []
        for index, candidate in enumerate(self.candidates):
            trials = _slots(self.studies[candidate.key])
            states = _states(self.optuna, trials)
            waiting += [
                (slot, index, trial._trial_id, candidate)
                for trial, slot in trials
                if slot is not None
                and _slot_state(self.optuna, trial) == "waiting"
                and all(states.get(earlier) == "done" for earlier in range(slot))
            ]
        for slot, _, trial_id, candidate in sorted(waiting):
            if claim(self.optuna, self.storage, trial_id, self.owner, ctrl_c):
                record = self._run(candidate, slot, trial_id, ctrl_c)
                self.failures.add(record)
                return record
        return None

    def _run(self, candidate: Candidate, slot: int, trial_id: int, ctrl_c: CtrlC) -> TrialRecord:
        optuna = self.optuna
        study = self.studies[candidate.key]
        study.sampler = optuna.samplers.TPESampler(
            seed=trial_seed(self.seed, candidate.key, slot),
            n_startup_trials=max(3, self.trials // 3),
        )
        trial = optuna.trial.Trial(study, trial_id)
        with _Heartbeat(self.storage, trial_id):
            try:
                value = self._objective(trial, candidate, slot, ctrl_c)
                state, values = optuna.trial.TrialState.COMPLETE, [value]
            except optuna.TrialPruned:
                state, values = optuna.trial.TrialState.PRUNED, None
            except Exception as error:  # recorded, so a resumed search counts this trial as run
                with ctrl_c.held_back():
                    trial.set_user_attr("error", one_line(error))
                state, values = optuna.trial.TrialState.FAIL, None
            except BaseException:  # Ctrl-C: failed without an error, so its slot is run again
                study.tell(trial, state=optuna.trial.TrialState.FAIL)
                raise
            with ctrl_c.held_back():
                study.tell(trial, values, state=state)
        return _record(candidate.key, study.trials[trial.number], slot)

    def _objective(self, trial: Any, candidate: Candidate, slot: int, ctrl_c: CtrlC) -> float:
        """The trial's training seed is fixed by its slot, not by Optuna's trial number: a trial
        re-run after a kill gets a new number but must train as the lost one would.

        A tf-idf fit has no training noise beyond how its cross-validation folds are shuffled:
        a configuration an earlier trial fitted takes that trial's score instead of a refit."""
        config = self.space.sample(trial, candidate.strategy)
        with ctrl_c.held_back():
            trial.set_user_attr("config", json.dumps(config))
        earlier = self._scored(candidate, config) if candidate.strategy == TFIDF else None
        if earlier is not None:
            with ctrl_c.held_back():
                trial.set_user_attr("best_epoch", earlier.user_attrs.get("best_epoch", 1))
                trial.set_user_attr("seconds", 0.0)
                trial.set_user_attr("same_as_trial", earlier.number)
            return float(earlier.value)

        def report(epoch: int, val_accuracy: float) -> None:
            with ctrl_c.held_back():
                trial.report(val_accuracy, epoch)
                hopeless = trial.should_prune()
            if hopeless:
                raise self.optuna.TrialPruned(f"pruned after epoch {epoch}")

        with ctrl_c.at_once():
            outcome = fit_candidate(
                candidate,
                config,
                self.prepared,
                seed=self.seed + slot,
                max_epochs=self.max_epochs,
                patience=self.patience,
                batch_size=self.space.batch_size,
                epoch_tokens=self.space.epoch_tokens,
                validation_documents=self.space.validation_documents,
                on_epoch=report,
            )
            if slot == 0 and self.trial_runs is not None:
                keep_trial_run(
                    self.trial_runs, candidate, config, self.prepared, outcome, self.seed
                )
        with ctrl_c.held_back():
            trial.set_user_attr("best_epoch", outcome.best_epoch)
            trial.set_user_attr("seconds", round(outcome.seconds, 3))
        return float(outcome.val_accuracy)  # type: ignore[arg-type]

    def _scored(self, candidate: Candidate, config: dict[str, Any]) -> Any | None:
        """The first complete trial of `candidate` with this configuration, if any."""
        wanted = json.dumps(config)
        for trial in self.studies[candidate.key].get_trials(deepcopy=False):
            done = trial.state == self.optuna.trial.TrialState.COMPLETE
            if done and trial.user_attrs.get("config") == wanted:
                return trial
        return None


def claim(optuna: Any, storage: Any, trial_id: int, owner: str, ctrl_c: CtrlC) -> bool:
    """Move a waiting trial to RUNNING as `owner`, with its first heartbeat; False when another
    process claimed it first (the storage changes a trial's state atomically)."""
    with ctrl_c.held_back():
        try:
            mine = storage.set_trial_state_values(trial_id, optuna.trial.TrialState.RUNNING)
        except optuna.exceptions.UpdateFinishedTrialError:
            return False
        if mine:
            storage.set_trial_user_attr(trial_id, "owner", owner)
            storage.record_heartbeat(trial_id)
        return bool(mine)


class _Heartbeat:
    """Records a running trial's heartbeat in the storage, so other processes can tell a trial
    whose process died (no heartbeat for GRACE_SECONDS) from a slow one."""

    def __init__(self, storage: Any, trial_id: int) -> None:
        self.storage, self.trial_id = storage, trial_id
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._beat, daemon=True)

    def __enter__(self) -> None:
        self.thread.start()

    def __exit__(self, *exception: object) -> None:
        self.stop.set()
        self.thread.join()

    def _beat(self) -> None:
        while not self.stop.wait(HEARTBEAT_SECONDS):
            self.storage.record_heartbeat(self.trial_id)


def _optuna() -> Any:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    # heartbeats are "experimental" since Optuna 2.9; the warning would fill the console
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    return optuna


def _storage(optuna: Any, url: str) -> Any:
    """The storage behind every study of the run, with heartbeats for finding dead workers."""
    from sqlalchemy.exc import ArgumentError, DatabaseError

    try:
        return optuna.storages.RDBStorage(
            url, heartbeat_interval=HEARTBEAT_SECONDS, grace_period=GRACE_SECONDS
        )
    except (ArgumentError, ImportError, DatabaseError) as error:
        cause = getattr(error, "orig", None) or error
        if url.startswith("sqlite:///") and isinstance(error, DatabaseError):
            raise _damaged(url, cause) from error
        raise UserError(
            f"the search's study storage cannot be opened ({one_line(cause)})",
            where=_shown(url),
            fix="pass --storage with a reachable database URL such as "
            "postgresql://user@host/db (pip install 'embrec[postgres]'), or leave it out",
        ) from error


def pruner(optuna: Any, max_epochs: int) -> Any:
    """The median pruner, judging a trial only once half of its epochs are done. Early
    epochs say little about where a trial ends: on long texts a mean-pooling model may sit near
    chance for two epochs and then overtake a CNN that learned fast and stopped early."""
    return optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=max(1, max_epochs // 2))


def _open_study(optuna: Any, storage: Any, url: str, key: str, max_epochs: int = 0) -> Any:
    """A candidate's study; `max_epochs` sets its pruner (not needed to read finished trials)."""
    from sqlalchemy.exc import DatabaseError

    try:
        return optuna.create_study(
            study_name=key,
            storage=storage,
            direction="maximize",
            pruner=pruner(optuna, max_epochs),
            load_if_exists=True,
        )
    except DatabaseError as error:
        raise _damaged(url, error.orig or error) from error


def _damaged(url: str, cause: BaseException) -> UserError:
    """A damaged study database, or not one at all."""
    return UserError(
        f"the search's study database cannot be read ({one_line(cause)})",
        where=_shown(url),
        fix="move it away and rerun the same command; the search then starts again",
    )


def _shown(url: str) -> str:
    """A storage URL for an error line: the SQLite file, or the URL without its password."""
    if url.startswith("sqlite:///"):
        return url.removeprefix("sqlite:///")
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _abandoned(trial: Any) -> bool:
    """A RUNNING trial that no live process runs: one this engine did not claim (no slot), one
    whose process died between claiming it and naming itself (so it has no heartbeat either),
    or one claimed by a process of this machine that has died."""
    if "slot" not in trial.user_attrs:
        return True
    if "owner" not in trial.user_attrs:
        started = trial.datetime_start or datetime.now()
        return (datetime.now() - started).total_seconds() > GRACE_SECONDS
    host, _, pid = str(trial.user_attrs["owner"]).rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another machine's: its heartbeat tells
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _slots(study: Any) -> list[tuple[Any, int | None]]:
    """Each trial with its slot. Studies of older versions have no slot attribute: their
    finished trials (not those a killed process left) fill the slots in order."""
    found = []
    next_slot = 0
    for trial in study.get_trials(deepcopy=False):
        slot = trial.user_attrs.get("slot")
        if slot is None and _counted(trial):
            slot, next_slot = next_slot, next_slot + 1
        found.append((trial, slot))
    return found


def _counted(trial: Any) -> bool:
    """A finished trial that spends its slot: failed by an interrupted process does not."""
    name = trial.state.name
    return name in ("COMPLETE", "PRUNED") or (name == "FAIL" and "error" in trial.user_attrs)


def _states(optuna: Any, trials: list[tuple[Any, int | None]]) -> dict[int, str]:
    """Each slot's state: waiting, running or done (a slot whose trial was interrupted has no
    state until it is enqueued again; then its latest trial's)."""
    states = {}
    for trial, slot in trials:
        state = _slot_state(optuna, trial)
        if slot is not None and state is not None:
            states[slot] = state
    return states


def _slot_state(optuna: Any, trial: Any) -> str | None:
    if trial.state == optuna.trial.TrialState.WAITING:
        return "waiting"
    if trial.state == optuna.trial.TrialState.RUNNING:
        return "running"
    return "done" if _counted(trial) else None


def _record(key: str, trial: Any, slot: int | None) -> TrialRecord:
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
        slot=slot,
    )
