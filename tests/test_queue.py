"""The evidence's job queue in a run's study storage: every job's result arrives once, a job
whose process died is run again, an error stops the run with its message, and a worker leaves
when the queue is over."""

from __future__ import annotations

import json
import socket
import subprocess
from pathlib import Path

import pytest

from recommender.search.engine import CtrlC, default_storage
from recommender.search.queue import JobFailed, JobQueue

JOBS = [{"candidate": "learned", "repetition": r} for r in range(3)]


def doubled(job: dict) -> dict:
    return {"twice": job["repetition"] * 2}


def test_each_job_runs_once_and_one_whose_process_died_runs_again(tmp_path: Path) -> None:
    queue = JobQueue(default_storage(tmp_path))
    queue._enqueue_missing([json.dumps(job, sort_keys=True) for job in JOBS])
    lost = queue.study.get_trials()[1]  # claimed by a process that then died
    dead = subprocess.Popen(["true"])
    dead.wait()
    queue.storage.set_trial_state_values(lost._trial_id, queue.optuna.trial.TrialState.RUNNING)
    queue.storage.set_trial_user_attr(lost._trial_id, "owner", f"{socket.gethostname()}:{dead.pid}")
    ran: list[dict] = []

    def execute(job: dict) -> dict:
        ran.append(job)
        return doubled(job)

    results = list(queue.run(JOBS, execute, take=lambda: True, ctrl_c=CtrlC()))
    assert sorted((job["repetition"], result["twice"]) for job, result in results) == [
        (0, 0),
        (1, 2),
        (2, 4),
    ]
    assert sorted(job["repetition"] for job in ran) == [0, 1, 2]  # the lost one, run again
    # asked again (a resumed run): the results are read back, nothing is trained twice
    again = list(queue.run(JOBS, execute, take=lambda: True, ctrl_c=CtrlC()))
    assert len(again) == 3 and len(ran) == 3


def test_a_job_that_fails_stops_the_run_and_runs_again_when_it_resumes(tmp_path: Path) -> None:
    queue = JobQueue(default_storage(tmp_path))

    def broken(job: dict) -> dict:
        raise ValueError(f"no memory left for repetition {job['repetition']}")

    queue.set_state("open")
    with pytest.raises(JobFailed, match="no memory left for repetition 0"):
        list(queue.run(JOBS[:1], broken, take=lambda: True, ctrl_c=CtrlC()))
    # a worker waiting on another machine learns that the run stopped, and leaves
    assert JobQueue(default_storage(tmp_path)).work(doubled, CtrlC(), parent=None) == 0
    assert queue.state == "stopped"
    # the run resumed (say with more memory): the job is tried again
    [(job, result)] = queue.run(JOBS[:1], doubled, take=lambda: True, ctrl_c=CtrlC())
    assert result == {"twice": 0}


def test_a_worker_takes_the_waiting_jobs_and_leaves_when_the_queue_is_over(
    tmp_path: Path,
) -> None:
    queue = JobQueue(default_storage(tmp_path))
    queue.set_state("open")
    queue._enqueue_missing([json.dumps(job, sort_keys=True) for job in JOBS])

    def then_over(job: dict) -> dict:
        if job["repetition"] == 2:
            queue.set_state("over")
        return doubled(job)

    worker = JobQueue(default_storage(tmp_path))
    assert worker.work(then_over, CtrlC(), parent=None) == 3
    done = queue.study.get_trials()
    assert [json.loads(t.user_attrs["result"])["twice"] for t in done] == [0, 2, 4]
    assert {t.user_attrs["owner"] for t in done} == {worker.owner}
