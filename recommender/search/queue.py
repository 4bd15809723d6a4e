"""Jobs that any process sharing a run's Optuna storage may take, as they take the search's
trials: the evidence's finalist runs, when every repetition trains on the run's own split.

A job is one trial of the queue's study: the coordinator enqueues it WAITING with its
description as a user attribute; a process claims it by moving it to RUNNING (atomic in the
storage: a row lock in PostgreSQL/MySQL, the database lock in SQLite), runs it with heartbeats,
and stores its result as a user attribute. A job whose process died (a dead pid on this
machine, or no heartbeat for GRACE_SECONDS from another) is failed and enqueued again, so no job
is lost and none is taken twice while its process lives. The study's `state` attribute tells
workers whether to wait for jobs ("pending": the search still runs; "open") or leave ("over";
"stopped" when a job failed and the run stopped with its error: a resumed run opens it again).
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from recommender.search.engine import CtrlC, Engine, one_line
from recommender.search.optuna_engine import (
    POLL_SECONDS,
    OptunaEngine,
    _abandoned,
    _Heartbeat,
    _optuna,
    _storage,
    claim,
)

QUEUE_STUDY = "embrec-evidence"
Execute = Callable[[dict[str, Any]], dict[str, Any]]  # a job's description -> its result


def job_queue(engine: Engine) -> JobQueue | None:
    """The run's queue, in its search's storage; None for an engine without one (KerasTuner)."""
    return JobQueue(engine.storage_url) if isinstance(engine, OptunaEngine) else None


class JobFailed(RuntimeError):
    """A job raised an error in the process that ran it (its message, on one line)."""


class JobQueue:
    def __init__(self, storage_url: str) -> None:
        self.optuna = _optuna()
        self.storage = _storage(self.optuna, storage_url)
        self.study = self.optuna.create_study(
            study_name=QUEUE_STUDY, storage=self.storage, load_if_exists=True
        )
        self.owner = f"{socket.gethostname()}:{os.getpid()}"

    @property
    def state(self) -> str:
        return str(self.study.user_attrs.get("state", "over"))

    def set_state(self, state: str) -> None:
        """ "pending" before the search, "open" while jobs may come, "over" to send workers home
        ("stopped" when the run stopped with a job's error)."""
        self.study.set_user_attr("state", state)

    def run(
        self,
        jobs: Sequence[dict[str, Any]],
        execute: Execute,
        *,
        take: Callable[[], bool],
        ctrl_c: CtrlC,
    ) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
        """Enqueue the `jobs` not already queued or done and yield (job, result) as each is
        done, by any process; this one takes jobs too while `take()` says so (no local worker
        is alive). A job that failed with an error raises `JobFailed`, and the queue is
        "stopped", so the workers waiting on it leave."""
        wanted = [json.dumps(job, sort_keys=True) for job in jobs]
        reported: set[str] = set()
        self._enqueue_missing(wanted, errors_too=True)  # a resumed run tries a failed job again
        while True:
            for key, trial in self._latest(wanted).items():
                if key in reported or not trial.state.is_finished():
                    continue
                if "error" in trial.user_attrs:
                    self.set_state("stopped")
                    raise JobFailed(trial.user_attrs["error"])
                if trial.state == self.optuna.trial.TrialState.COMPLETE:
                    reported.add(key)
                    yield json.loads(key), json.loads(trial.user_attrs["result"])
            if len(reported) == len(wanted):
                return
            self._recover(wanted)
            if take() and self.take_one(execute, ctrl_c):
                continue
            ctrl_c.raise_pending()
            time.sleep(POLL_SECONDS)

    def work(self, execute: Execute, ctrl_c: CtrlC, parent: int | None) -> int:
        """Take jobs until the coordinator says the queue is over or stopped (or the `parent`
        process that started this one is gone); returns how many this process ran."""
        ran = 0
        while parent is None or os.getppid() == parent:
            if self.take_one(execute, ctrl_c):
                ran += 1
                continue
            if self.state in ("over", "stopped"):
                return ran
            time.sleep(POLL_SECONDS)
        return ran

    def take_one(self, execute: Execute, ctrl_c: CtrlC) -> bool:
        """Claim the first waiting job and run it; False when none was waiting."""
        waiting = self.optuna.trial.TrialState.WAITING
        for trial in self.study.get_trials(deepcopy=False, states=(waiting,)):
            if claim(self.optuna, self.storage, trial._trial_id, self.owner, ctrl_c):
                self._run(trial._trial_id, json.loads(trial.user_attrs["job"]), execute, ctrl_c)
                return True
        return False

    def _run(self, trial_id: int, job: dict[str, Any], execute: Execute, ctrl_c: CtrlC) -> None:
        states = self.optuna.trial.TrialState
        with _Heartbeat(self.storage, trial_id):
            try:
                with ctrl_c.at_once():
                    result = execute(job)
            except Exception as error:  # recorded: the coordinator stops with it
                with ctrl_c.held_back():
                    self.storage.set_trial_user_attr(trial_id, "error", one_line(error))
                    self.storage.set_trial_state_values(trial_id, states.FAIL)
                return
            except BaseException:  # Ctrl-C: failed without an error, so it is enqueued again
                self.storage.set_trial_state_values(trial_id, states.FAIL)
                raise
            with ctrl_c.held_back():
                self.storage.set_trial_user_attr(trial_id, "result", json.dumps(result))
                self.storage.set_trial_state_values(trial_id, states.COMPLETE, [0.0])

    def _latest(self, wanted: Sequence[str]) -> dict[str, Any]:
        """Each wanted job's latest trial (a job run again after its process died has several)."""
        chosen = set(wanted)
        latest: dict[str, Any] = {}
        for trial in self.study.get_trials(deepcopy=False):
            key = trial.user_attrs.get("job")
            if key in chosen:
                latest[key] = trial
        return latest

    def _enqueue_missing(self, wanted: Sequence[str], errors_too: bool = False) -> None:
        """Enqueue each wanted job with no trial that is waiting, running or done: one whose
        process died, and with `errors_too` one that failed with an error."""
        latest = self._latest(wanted)
        states = self.optuna.trial.TrialState
        for key in wanted:
            trial = latest.get(key)
            failed = trial is not None and trial.state == states.FAIL
            if trial is None or (failed and (errors_too or "error" not in trial.user_attrs)):
                self.study.enqueue_trial({}, user_attrs={"job": key, "slot": 0})

    def _recover(self, wanted: Sequence[str]) -> None:
        """Fail the jobs of processes that died, and enqueue them again."""
        running = self.optuna.trial.TrialState.RUNNING
        for trial in self.study.get_trials(deepcopy=False, states=(running,)):
            if _abandoned(trial):
                self.storage.set_trial_state_values(
                    trial._trial_id, self.optuna.trial.TrialState.FAIL
                )
        self.optuna.storages.fail_stale_trials(self.study)
        self._enqueue_missing(wanted)
