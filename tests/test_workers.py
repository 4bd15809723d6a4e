"""Several processes on one search. Through a real PostgreSQL server on 127.0.0.1: the run's
`recommend` process and two `embrec worker` processes share the studies; every trial slot runs
exactly once, none is lost, and the evidence's runs (one split: a validation file) are shared
the same way. Through the run
directory's SQLite file: a time budget ends a search shared with a worker at a round boundary,
with equal trials per candidate, and the worker leaves by itself."""

from __future__ import annotations

import glob
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from recommender.files import read_json
from recommender.models import candidates_for
from recommender.search.engine import OUTCOME_FILE, Budget, TrialRecord, default_storage, search
from recommender.search.optuna_engine import CONTROL_STUDY, OptunaEngine
from recommender.search.queue import QUEUE_STUDY
from recommender.search.workers import local_workers, plan_for, read_plan, write_plan
from recommender.space import load_space
from tests.conftest import EXAMPLES
from tests.helpers import tiny_prepared, write_reviews_sample, write_tiny_space

TRIALS = 4
SEEDS = 2
CANDIDATES = ("learned", "frozen:glove-6b-50d", "fine-tuned:glove-6b-50d")


def _postgres_bin() -> Path | None:
    """Debian's postgresql package keeps initdb and pg_ctl out of PATH."""
    found = shutil.which("pg_ctl") or next(
        iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), reverse=True)), None
    )
    return Path(found).parent if found else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    """A throwaway PostgreSQL server (PostgreSQL refuses to run as root: as user postgres)."""
    binaries = _postgres_bin()
    if binaries is None:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    pytest.importorskip("psycopg", reason="psycopg is not installed (pip install -e '.[postgres]')")
    as_user: list[str] = []
    folder = Path(tempfile.mkdtemp(prefix="embrec-postgres-"))
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            pytest.skip("running as root without runuser: cannot start PostgreSQL as postgres")
        shutil.chown(folder, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = folder / "data", _free_port()
    try:
        subprocess.run(
            [*as_user, str(binaries / "initdb"), "-D", str(data), "-A", "trust", "-U", "embrec"],
            check=True,
            capture_output=True,
        )
        options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        start = [*as_user, str(binaries / "pg_ctl"), "-D", str(data), "-o", options, "-w"]
        subprocess.run(
            [*start, "-l", str(folder / "log"), "start"], check=True, capture_output=True
        )
        yield f"postgresql://embrec@127.0.0.1:{port}/postgres"
    finally:
        if (data / "postmaster.pid").exists():
            stop = [*as_user, str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]
            subprocess.run(stop, capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def embrec(folder: Path, *args: str) -> subprocess.Popen:
    log = open(folder / f"{args[0]}-{len(list(folder.glob('*.log')))}.log", "w")  # noqa: SIM115
    return subprocess.Popen(
        [sys.executable, "-m", "recommender.cli", *args],
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=folder,
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "120"},
    )


@pytest.mark.slow
def test_two_workers_and_the_run_share_one_study_and_run_every_slot_once(
    postgres: str, tmp_path: Path
) -> None:
    import optuna

    started = time.monotonic()
    data = write_reviews_sample(EXAMPLES / "customer_reviews.txt", tmp_path / "reviews.txt")
    # a validation file of its own: every repetition of the evidence trains on the run's split,
    # so the workers take the evidence's runs too
    validation = tmp_path / "validation.txt"
    validation.write_text(
        "\n".join((EXAMPLES / "customer_reviews.txt").read_text().split("\n")[4::9]) + "\n"
    )
    space, out = write_tiny_space(tmp_path), tmp_path / "run"
    run = embrec(
        tmp_path,
        "recommend",
        str(data),
        "--validation",
        str(validation),
        "--space",
        str(space),
        "--trials",
        str(TRIALS),
        "--more-seeds",
        "0",
        "--seeds",
        str(SEEDS),
        "--no-yardsticks",
        "--no-learning-curve",
        "--storage",
        postgres,
        "--out",
        str(out),
    )
    deadline = time.monotonic() + 300
    while not (out / "search_plan.json").exists():
        assert run.poll() is None, (tmp_path / "recommend-0.log").read_text()[-3000:]
        assert time.monotonic() < deadline, "the run never started its search"
        time.sleep(0.1)
    workers = [embrec(tmp_path, "worker", str(out)) for _ in range(2)]
    assert run.wait(timeout=600) == 0, (tmp_path / "recommend-0.log").read_text()[-3000:]
    for worker in workers:
        assert worker.wait(timeout=60) == 0  # they leave once the search is over
    print(f"recommend with two workers on PostgreSQL: {time.monotonic() - started:.0f}s")

    storage = optuna.storages.RDBStorage(postgres)
    owners = set()
    for key in CANDIDATES:
        trials = optuna.load_study(study_name=key, storage=storage).get_trials()
        assert all(t.state.is_finished() for t in trials)  # none waiting, none left running
        ran = [t for t in trials if t.state.name != "FAIL" or "error" in t.user_attrs]
        assert sorted(t.user_attrs["slot"] for t in ran) == list(range(TRIALS)), key
        owners |= {t.user_attrs["owner"] for t in ran}
    assert len(owners) >= 2, f"only {owners} ran trials: the workers never joined"
    queue = optuna.load_study(study_name=QUEUE_STUDY, storage=storage)
    assert queue.user_attrs["state"] == "over"  # the workers were told to leave
    jobs = [json.loads(t.user_attrs["job"]) for t in queue.get_trials()]
    assert all(t.state.name == "COMPLETE" for t in queue.get_trials())
    assert sorted((j["candidate"], j["repetition"]) for j in jobs) == sorted(
        (key, repetition) for key in CANDIDATES for repetition in range(SEEDS)
    )  # each finalist's runs, each once

    report = json.loads((out / "report.json").read_text())
    assert report["search"]["trials_per_candidate"] == TRIALS
    assert report["search"]["stopped_by"] == "trials"
    assert sorted((t["candidate"], t["slot"]) for t in report["search"]["trials"]) == sorted(
        (key, slot) for key in CANDIDATES for slot in range(TRIALS)
    )
    assert "--storage" in report["command"] and (out / "model" / "model.keras").is_file()
    logs = [(tmp_path / f"worker-{n}.log").read_text() for n in (1, 2)]
    assert all("The search is over" in log for log in logs), logs
    assert all("The evidence is in" in log for log in logs), logs
    assert [len(e["runs"]) for e in report["evidence"]] == [SEEDS] * len(CANDIDATES)
    assert "queued for every process" in report["evidence_method"]


# Far more rounds than the budget can hold: only the time can end this search. How many rounds
# fit depends on the machine (on a busy 2-core one, only the first, which always runs, as the
# worker's start-up is in it).
MANY_TRIALS = 50
BUDGET_SECONDS = 20.0
HOLD_SECONDS = 3.0  # longer than a worker takes to leave (about 2 s on a busy 2-core machine)


def test_a_time_budget_ends_a_search_shared_with_a_worker_at_a_round_boundary(
    tmp_path: Path,
) -> None:
    """The run's search (in this process) and an `embrec worker` share the run's study.db: the
    time, not the trials, ends the search; every candidate has the same slots, each run once,
    the worker's trials among them; and the worker leaves by itself, starting nothing more."""
    import optuna

    prepared = tiny_prepared()
    tiny = write_tiny_space(tmp_path)
    tiny.write_text(tiny.read_text().replace("max_epochs = 2", "max_epochs = 1"))
    space = load_space(str(tiny))
    candidates = candidates_for(space.strategies, ("glove-6b-50d",))
    keys = [c.key for c in candidates]
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    storage = default_storage(run_dir)
    budget = Budget(MANY_TRIALS, seconds=BUDGET_SECONDS)
    # search() writes the plan as it begins, and then blocks: written here first (the same), so
    # the worker starts, as a user's would, while the search's first round runs
    write_plan(run_dir, plan_for(storage, candidates, space, 0, budget.trials), prepared)
    optuna.storages.RDBStorage(storage)  # its tables, before two processes open the file
    worker = embrec(tmp_path, "worker", str(run_dir))
    log = tmp_path / "worker-0.log"
    mine, its = (f"{socket.gethostname()}:{pid}" for pid in (os.getpid(), worker.pid))

    def waiting(slot: int) -> int:
        return sum(
            t.state.name == "WAITING" and t.user_attrs["slot"] == slot
            for key in keys
            for t in optuna.load_study(study_name=key, storage=storage).get_trials()
        )

    seen: list[TrialRecord] = []

    def on_trial(record: TrialRecord) -> None:
        """Called in the run's search loop. At a round's first trial (this process's: it opens the
        round and takes a slot at once) it waits until the worker has taken the rest, so the
        worker's trials end every round, the last one included. At a round's last trial (the
        worker's) the worker, with no slot left, must wait for the run's word, not leave."""
        seen.append(record)
        late = time.monotonic() - started - BUDGET_SECONDS
        assert record.slot == 0 or late < 120, f"round {record.slot} ended {late:.0f}s late"
        announced = [r.slot for r in seen].count(record.slot)
        deadline = time.monotonic() + 180  # the first round's wait holds its start-up
        while announced == 1 and waiting(record.slot):
            assert worker.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, f"the worker took no trial:\n{log.read_text()}"
            time.sleep(0.1)
        hold = time.monotonic() + HOLD_SECONDS
        while announced == len(keys) and time.monotonic() < hold:
            assert worker.poll() is None, f"the worker left a running search:\n{log.read_text()}"
            time.sleep(0.1)

    try:
        started = time.monotonic()
        outcome = search(
            OptunaEngine(storage),
            run_dir,
            prepared,
            candidates,
            space,
            budget,
            seed=0,
            on_trial=on_trial,
        )
        searched = time.monotonic() - started
        assert worker.wait(timeout=60) == 0, log.read_text()[-3000:]  # it leaves by itself
        left = time.monotonic() - started - searched
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    rounds = outcome.trials_per_candidate
    print(
        f"{rounds} round(s) in {searched:.1f}s ({BUDGET_SECONDS:g}s budget); worker: +{left:.1f}s"
    )

    assert outcome.stopped_by == "time" and 1 <= rounds < MANY_TRIALS
    assert read_json(run_dir / OUTCOME_FILE)["stopped_by"] == "time"
    control = optuna.load_study(study_name=CONTROL_STUDY, storage=storage)
    assert control.user_attrs["stopped_by"] == "time" and control.user_attrs["rounds"] == rounds
    owners: Counter[str] = Counter()
    for key in keys:
        trials = optuna.load_study(study_name=key, storage=storage).get_trials()
        states = [(t.state.name, t.user_attrs.get("error")) for t in trials]
        assert all(state in ("COMPLETE", "PRUNED") for state, _ in states), (key, states)
        # every slot of every round, each run once, and none started after the search ended
        assert sorted(t.user_attrs["slot"] for t in trials) == list(range(rounds)), key
        owners.update(t.user_attrs["owner"] for t in trials)
    assert owners == {mine: rounds, its: 2 * rounds}, owners
    assert f"this worker ran {2 * rounds} trial(s)" in log.read_text()

    expected = sorted((key, slot) for key in keys for slot in range(rounds))
    assert sorted((r.candidate, r.slot) for r in outcome.records) == expected
    assert all(r.state in ("complete", "pruned") for r in outcome.records)
    assert sorted((r.candidate, r.slot) for r in seen) == expected  # the worker's trials too


def test_jobs_run_the_trials_in_worker_processes_and_search_as_one_process_does(
    tmp_path: Path,
) -> None:
    """`recommend --jobs 2`: two worker processes on this machine run every trial (the run's
    process only coordinates), each slot once, and the search samples, trains and prunes just
    as the same search run by one process."""
    import optuna

    prepared = tiny_prepared()
    space = load_space(str(write_tiny_space(tmp_path)))
    candidates = candidates_for(space.strategies, ("glove-6b-50d",))
    outcomes, owners = {}, {}
    for jobs in (1, 2):
        run_dir = tmp_path / f"jobs-{jobs}"
        run_dir.mkdir()
        storage = default_storage(run_dir)
        with local_workers(run_dir, jobs) as helpers:
            outcome = search(
                OptunaEngine(storage),
                run_dir,
                prepared,
                candidates,
                space,
                Budget(TRIALS),
                seed=0,
                helpers=helpers,
            )
        outcomes[jobs] = {
            (r.candidate, r.slot): (r.state, r.value, r.config) for r in outcome.records
        }
        owners[jobs] = Counter(
            t.user_attrs["owner"]
            for c in candidates
            for t in optuna.load_study(study_name=c.key, storage=storage).get_trials()
        )

    assert len(outcomes[2]) == len(candidates) * TRIALS
    assert outcomes[2] == outcomes[1]
    this_process = f"{socket.gethostname()}:{os.getpid()}"
    assert owners[1] == {this_process: len(candidates) * TRIALS}
    assert len(owners[2]) == 2 and this_process not in owners[2], owners[2]
    assert sum(owners[2].values()) == len(candidates) * TRIALS  # none run twice
    logs = [(tmp_path / "jobs-2" / f"worker-{n}.log").read_text() for n in (1, 2)]
    assert all("The search is over" in log for log in logs), logs


def test_a_worker_whose_run_has_died_leaves_without_taking_a_trial(tmp_path: Path) -> None:
    """A `--jobs` worker outlives a run killed with -9 only until it looks for its next trial."""
    import optuna

    from recommender.search.workers import run_worker

    prepared = tiny_prepared()
    space = load_space(str(write_tiny_space(tmp_path)))
    candidates = candidates_for(("learned",), ())
    storage = default_storage(tmp_path)
    write_plan(tmp_path, plan_for(storage, candidates, space, 0, TRIALS), prepared)
    study = optuna.create_study(study_name="learned", storage=storage, direction="maximize")
    study.enqueue_trial({}, user_attrs={"slot": 0})

    assert run_worker(tmp_path, parent=os.getppid() + 1_000_000) == 0  # no such parent
    assert [t.state.name for t in study.get_trials()] == ["WAITING"]


def test_workers_map_the_prepared_arrays_instead_of_each_loading_a_copy(tmp_path: Path) -> None:
    """A worker reads the run's encoded splits and matrices memory-mapped from prepared.npz (the
    page cache holds one copy for every worker on the machine), and gets exactly what the
    coordinator prepared."""
    import numpy as np

    prepared = tiny_prepared()
    space = load_space("quick")
    candidates = candidates_for(("learned", "frozen"), ("glove-6b-50d",))
    write_plan(tmp_path, plan_for("sqlite:///study.db", candidates, space, 0, 2), prepared)
    _plan, read = read_plan(tmp_path)
    assert (read.classes, read.vocabulary, read.sequence_length) == (
        prepared.classes,
        prepared.vocabulary,
        prepared.sequence_length,
    )
    for name in ("x", "y", "matrices", "covered"):
        ours, theirs = getattr(prepared, name), getattr(read, name)
        assert ours.keys() == theirs.keys()
        for key, array in theirs.items():
            assert isinstance(array, np.memmap) and not array.flags.writeable
            np.testing.assert_array_equal(array, ours[key])
    x, _y = read.xy("train")
    assert isinstance(x, np.memmap)  # one split is trained on as it lies, not copied
