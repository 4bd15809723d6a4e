"""Several processes on one search, through a real PostgreSQL server on 127.0.0.1: the run's
`recommend` process and two `embrec worker` processes share the studies; every trial slot runs
exactly once, none is lost, and the run then finishes with its evidence as usual."""

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
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES
from tests.helpers import write_reviews_sample, write_tiny_space

pytestmark = pytest.mark.slow

TRIALS = 4
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


def test_two_workers_and_the_run_share_one_study_and_run_every_slot_once(
    postgres: str, tmp_path: Path
) -> None:
    import optuna

    started = time.monotonic()
    data = write_reviews_sample(EXAMPLES / "customer_reviews.txt", tmp_path / "reviews.txt")
    space, out = write_tiny_space(tmp_path), tmp_path / "run"
    run = embrec(
        tmp_path,
        "recommend",
        str(data),
        "--space",
        str(space),
        "--trials",
        str(TRIALS),
        "--seeds",
        "1",
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

    report = json.loads((out / "report.json").read_text())
    assert report["search"]["trials_per_candidate"] == TRIALS
    assert report["search"]["stopped_by"] == "trials"
    assert sorted((t["candidate"], t["slot"]) for t in report["search"]["trials"]) == sorted(
        (key, slot) for key in CANDIDATES for slot in range(TRIALS)
    )
    assert "--storage" in report["command"] and (out / "model" / "model.keras").is_file()
    logs = [(tmp_path / f"worker-{n}.log").read_text() for n in (1, 2)]
    assert all("The search is over" in log for log in logs), logs
