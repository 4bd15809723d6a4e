"""Interruption and crashes, on real `embrec recommend` processes: kill -9 at each stage loses at
most the step in flight and the resumed run ends exactly where an uninterrupted one does (same
trials, seed runs and verdict: the determinism check too); Ctrl-C stops cleanly with a resume
hint; a second process on the same run directory is refused, a dead one's lock does not block.
"""

from __future__ import annotations

import errno
import json
import os
import shlex
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from collections import Counter
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from recommender import files
from recommender.cli import app
from recommender.config import lock_run
from recommender.vectors import CACHE_ENV
from tests.conftest import EXAMPLES
from tests.helpers import write_reviews_sample, write_tiny_space

pytestmark = pytest.mark.slow

CANDIDATES = ("learned", "frozen:glove-6b-50d", "fine-tuned:glove-6b-50d")
TRIALS, SEEDS = 2, 2  # the tiny space's budget per candidate; --seeds


@dataclass(frozen=True)
class Workspace:
    folder: Path
    data: Path
    space: Path

    def args(self, out: Path) -> list[str]:
        return [
            "recommend",
            str(self.data),
            "--space",
            str(self.space),
            "--more-seeds",
            "0",
            "--seeds",
            str(SEEDS),
            "--no-learning-curve",
            "--out",
            str(out),
        ]


@dataclass
class Process:
    """A running `embrec recommend`; its output goes to files (a full pipe would block it)."""

    popen: subprocess.Popen
    stdout: Path
    stderr: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def finish(self, timeout: float = 300) -> tuple[int, str, str]:
        code = self.popen.wait(timeout=timeout)
        return code, self.stdout.read_text(), self.stderr.read_text()


def start(
    workspace: Workspace, out: Path, *extra: str, new_session: bool = False, **env: str
) -> Process:
    """`embrec recommend` with the workspace's arguments and `extra` ones; in a process group of
    its own with `new_session` (as a terminal starts it)."""
    logs = workspace.folder / "logs"
    logs.mkdir(exist_ok=True)
    number = len(list(logs.iterdir()))
    stdout, stderr = logs / f"{number}.out", logs / f"{number}.err"
    environment = {**os.environ, "NO_COLOR": "1", "COLUMNS": "120", **env}
    with open(stdout, "w") as out_file, open(stderr, "w") as err_file:
        popen = subprocess.Popen(
            [sys.executable, "-m", "recommender.cli", *workspace.args(out), *extra],
            stdout=out_file,
            stderr=err_file,
            env=environment,
            cwd=workspace.folder,
            start_new_session=new_session,
        )
    return Process(popen, stdout, stderr)


def wait_for(condition: Callable[[], bool], process: Process, what: str) -> None:
    deadline = time.monotonic() + 300
    while not condition():
        if process.popen.poll() is not None:
            pytest.fail(
                f"the run ended ({process.popen.returncode}) before {what}: "
                f"{process.stderr.read_text()[-2000:]}"
            )
        if time.monotonic() > deadline:
            process.popen.kill()
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.02)


def trials(out: Path) -> list[tuple[int, str]]:
    """(trial id, state) of every trial in the run's study.db, read-only; [] while unreadable."""
    database = out / "study.db"
    if not database.exists():
        return []
    try:
        with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=0.2)) as db:
            return list(db.execute("SELECT trial_id, state FROM trials"))
    except sqlite3.Error:
        return []


def lock_holder(out: Path) -> int | None:
    try:
        return int((out / ".lock").read_text())
    except (OSError, ValueError):
        return None


# Each stage as seen from outside, in the run directory.
STAGES: dict[str, Callable[[Path], bool]] = {
    "profile": lambda out: (out / "config.json").exists() and not (out / "profile.json").exists(),
    "a trial": lambda out: (
        "RUNNING" in (states := [state for _, state in trials(out)])
        and sum(state in ("COMPLETE", "PRUNED") for state in states) >= 2
    ),
    "evidence": lambda out: 1 <= len(list((out / "evidence").glob("*.json"))) < 6,
    "export": lambda out: (out / "model").is_dir() and not (out / "report.json").exists(),
}


def assert_nothing_half_written(out: Path) -> None:
    """Every file a run reads back is whole: each JSON parses, a model is a complete archive.
    (Hidden temporary files and staging folders are never read; they are not checked.)"""

    def visible(pattern: str) -> list[Path]:
        found = out.rglob(pattern)
        return [
            p for p in found if not any(part.startswith(".") for part in p.relative_to(out).parts)
        ]

    for path in visible("*.json"):
        json.loads(path.read_text())
    for path in visible("*.keras"):
        with zipfile.ZipFile(path) as archive:
            assert archive.testzip() is None


def outcome(out: Path) -> dict[str, Any]:
    """What a finished run decided, without the interrupted trials a kill left behind."""
    report = json.loads((out / "report.json").read_text())
    finished = [t for t in report["search"]["trials"] if t["error"] != "interrupted"]
    return {
        "trials": [(t["candidate"], t["state"], t["value"], t["config"]) for t in finished],
        "budget": Counter(t["candidate"] for t in finished),
        "evidence": {
            entry["candidate"]: [
                (r["seed"], r["accuracy"], r["predictions"]) for r in entry["runs"]
            ]
            for entry in report["evidence"]
        },
        "recommendation": {
            key: report["recommendation"][key] for key in ("recommended", "verdict", "tied")
        },
    }


@pytest.fixture(scope="module", autouse=True)
def private_cache(tmp_path_factory: pytest.TempPathFactory):
    """Vectors rows are cached in a fresh folder (the runs inherit it), never ~/.cache."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(CACHE_ENV, str(tmp_path_factory.mktemp("cache")))
        yield


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    folder = tmp_path_factory.mktemp("interrupt")
    data = write_reviews_sample(EXAMPLES / "customer_reviews.txt", folder / "reviews.txt")
    return Workspace(folder, data, write_tiny_space(folder))


@pytest.fixture(scope="module")
def reference(workspace: Workspace) -> Path:
    """One uninterrupted run, the yardstick of every interrupted one."""
    out = workspace.folder / "reference"
    code, _, stderr = start(workspace, out).finish()
    assert code == 0, stderr
    return out


def test_the_reference_run_is_complete_and_records_its_seeds(reference: Path) -> None:
    result = outcome(reference)
    assert result["budget"] == {candidate: TRIALS for candidate in CANDIDATES}
    assert {c: [run[0] for run in runs] for c, runs in result["evidence"].items()} == {
        candidate: [0, 1] for candidate in CANDIDATES
    }
    report = json.loads((reference / "report.json").read_text())
    assert report["config"]["seed"] == 0 and "--seed 0" in report["command"]
    recipe = {"python", "embrec", "keras", "tensorflow", "optuna", "numpy", "platform", "cpus"}
    assert recipe <= set(report["versions"])


def test_kill_9_at_every_stage_then_resume_ends_as_an_uninterrupted_run(
    workspace: Workspace, reference: Path
) -> None:
    out = workspace.folder / "killed"
    for stage, reached in STAGES.items():
        process = start(workspace, out)
        wait_for(lambda reached=reached: reached(out), process, f"the run to reach {stage}")
        process.popen.send_signal(signal.SIGKILL)
        process.popen.wait()
        assert reached(out), f"the kill came after {stage}"
        assert_nothing_half_written(out)
    damaged = sorted((out / "evidence").glob("*.json"))[0]  # as an older version could leave it
    damaged.write_text(damaged.read_text()[:100])
    code, stdout, stderr = start(workspace, out).finish()
    assert code == 0, stderr
    assert "Resuming" in stdout
    assert json.loads(damaged.read_text())["run"]["seed"] in (0, 1)  # measured again
    assert not list(out.rglob(f"*{files.TEMPORARY_SUFFIX}"))  # a killed write's leftovers go
    assert not list((out / "model").glob(".export-*"))  # and so does a killed export's staging
    report = json.loads((out / "report.json").read_text())
    assert any(t["error"] == "interrupted" for t in report["search"]["trials"])
    assert outcome(out) == outcome(reference)
    assert (out / "model" / "model.keras").is_file()


def test_resume_finishes_a_killed_run_from_its_run_directory_alone(
    workspace: Workspace, reference: Path
) -> None:
    """`--resume RUN_DIR` needs none of the options again: they come from its config.json."""
    out = workspace.folder / "resumed"
    process = start(workspace, out)
    wait_for(lambda: STAGES["a trial"](out), process, "the run to reach a trial")
    process.popen.send_signal(signal.SIGKILL)
    process.popen.wait()
    resumed = subprocess.run(
        [sys.executable, "-m", "recommender.cli", "recommend", "--resume", str(out)],
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1", "COLUMNS": "120"},
        cwd=workspace.folder,
        timeout=300,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert f"Resuming: {out}" in resumed.stdout
    assert outcome(out) == outcome(reference)


def test_a_second_process_is_refused_and_ctrl_c_stops_cleanly(
    workspace: Workspace, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    first = start(workspace, out)
    wait_for(lambda: lock_holder(out) == first.pid, first, "the first run to lock")
    first.popen.send_signal(signal.SIGSTOP)  # holds its lock, and leaves trials for the third run
    code, _, stderr = start(workspace, out).finish()
    assert code == 2
    assert stderr.strip().splitlines() == [
        f"error: another embrec process (pid {first.pid}) is using {out}. Wait for it or pass "
        "another --out."
    ]
    first.popen.send_signal(signal.SIGKILL)
    first.popen.wait()
    assert lock_holder(out) == first.pid  # the file stays, with no process holding its lock
    before = max((trial_id for trial_id, _ in trials(out)), default=-1)

    third = start(workspace, out, TTY_COMPATIBLE="1", TTY_INTERACTIVE="1")
    wait_for(
        lambda: any(i > before and state == "RUNNING" for i, state in trials(out)),
        third,
        "a trial of the resumed run",
    )
    third.popen.send_signal(signal.SIGINT)
    code, stdout, stderr = third.finish(timeout=60)
    assert code == 130
    assert stderr.strip().splitlines()[-1] == "interrupted. Resume with: " + shlex.join(
        ["embrec", *workspace.args(out)]
    )
    assert "Traceback" not in stderr
    hide, show = "\x1b[?25l", "\x1b[?25h"  # the live display hides the cursor while it runs
    assert hide in stdout and stdout.rindex(show) > stdout.rindex(hide)
    # the interrupted trial is recorded as failed (so a resume runs it again), not left
    # half-written; the known-good first trials queued for the other candidates wait, untouched
    states = [state for i, state in trials(out) if i > before]
    assert states.count("FAIL") == 1 and set(states) <= {"FAIL", "WAITING"}


def test_an_export_is_refused_while_a_run_holds_the_directory(
    reference: Path,
) -> None:
    with lock_run(reference):  # as a resumed `embrec recommend` on it would
        result = CliRunner().invoke(
            app, ["export", str(reference), "--strategy", "learned"], env={"NO_COLOR": "1"}
        )
    assert result.exit_code == 2
    assert result.output.strip() == (
        f"error: another embrec process (pid {os.getpid()}) is using {reference}. Wait for it or "
        "pass another --out."
    )
    assert not (reference / "model-learned").exists()


def test_a_full_disk_while_writing_the_report(reference: Path, monkeypatch) -> None:
    def full_disk(handle: int, write: object) -> None:
        os.close(handle)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    before = (reference / "report.json").read_bytes()
    monkeypatch.setattr(files, "_write_to_disk", full_disk)
    result = CliRunner().invoke(app, ["report", str(reference)], env={"NO_COLOR": "1"})
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.output.strip() == (
        f"error: {reference / 'report.json'}: cannot write the file (no space left on device). "
        "Free some space on that disk (or point the output elsewhere) and rerun the command."
    )
    assert (reference / "report.json").read_bytes() == before
    assert not list(reference.rglob(f"*{files.TEMPORARY_SUFFIX}"))


def children(pid: int) -> list[int]:
    """The child processes of `pid` (Linux)."""
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


def ended(pid: int) -> bool:
    """Gone, or a zombie no one has reaped yet (what an orphan can be inside a container)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return True
    return "\nState:\tZ" in status


def wait_until_ended(pids: list[int], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not all(ended(pid) for pid in pids):
        assert time.monotonic() < deadline, f"workers {pids} outlived their run"
        time.sleep(0.1)


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="finds workers through /proc")
def test_jobs_workers_stop_with_their_run_and_the_resumed_run_ends_as_one_process_does(
    workspace: Workspace, reference: Path
) -> None:
    """`--jobs 2`: Ctrl-C at the terminal (SIGINT to the whole process group) stops the run and
    its workers; after kill -9 of the run alone its workers leave by themselves; the resumed
    run then ends as the uninterrupted run in one process did (trials, evidence, verdict)."""
    out = workspace.folder / "jobs"
    process = start(workspace, out, "--jobs", "2", new_session=True)
    wait_for(lambda: STAGES["a trial"](out), process, "the run to reach a trial")
    workers = children(process.pid)
    assert len(workers) == 2
    os.killpg(process.pid, signal.SIGINT)
    code, _, stderr = process.finish(timeout=120)
    assert code == 130 and "Traceback" not in stderr, stderr
    wait_until_ended(workers)

    process = start(workspace, out, "--jobs", "2")
    wait_for(lambda: len(children(process.pid)) == 2, process, "the workers to start")
    workers = children(process.pid)
    wait_for(lambda: STAGES["a trial"](out), process, "the run to reach a trial")
    process.popen.send_signal(signal.SIGKILL)
    process.popen.wait()
    wait_until_ended(workers)  # each ends its trial, sees its run gone and leaves

    code, _, stderr = start(workspace, out, "--jobs", "2").finish()
    assert code == 0, stderr
    ours, theirs = outcome(out), outcome(reference)
    assert ours["budget"] == theirs["budget"] and ours["evidence"] == theirs["evidence"]
    assert ours["recommendation"] == theirs["recommendation"]
    assert [t[:2] + t[3:] for t in ours["trials"]] == [t[:2] + t[3:] for t in theirs["trials"]]
    for mine, its in zip(ours["trials"], theirs["trials"], strict=True):
        assert mine[2] == pytest.approx(its[2], abs=0.01)  # 1 thread each, not 2: rounding


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="finds workers through /proc")
def test_evidence_runs_the_workers_took_survive_a_kill_and_the_resume_ends_as_one_process(
    workspace: Workspace,
) -> None:
    """With a validation file every repetition trains on the run's split, so `--jobs 2` workers
    take the evidence's runs. kill -9 of the run in the middle of its evidence: the workers
    leave, and the resumed run takes up the runs they held and ends with the evidence and the
    verdict of an uninterrupted run in one process."""
    validation = workspace.folder / "validation.txt"
    lines = (EXAMPLES / "customer_reviews.txt").read_text(encoding="utf-8").split("\n")
    validation.write_text("\n".join(lines[4::9]) + "\n", encoding="utf-8")
    given = ("--validation", str(validation))
    reference = workspace.folder / "queued-reference"
    code, _, stderr = start(workspace, reference, *given).finish()
    assert code == 0, stderr

    out = workspace.folder / "queued"
    process = start(workspace, out, *given, "--jobs", "2")
    wait_for(lambda: len(children(process.pid)) == 2, process, "the workers to start")
    workers = children(process.pid)
    wait_for(lambda: STAGES["evidence"](out), process, "the run to reach its evidence")
    process.popen.send_signal(signal.SIGKILL)
    process.popen.wait()
    wait_until_ended(workers)
    code, _, stderr = start(workspace, out, *given, "--jobs", "2").finish()
    assert code == 0, stderr

    ours, theirs = outcome(out), outcome(reference)
    assert ours["recommendation"] == theirs["recommendation"]
    for candidate, runs in theirs["evidence"].items():  # 1 thread each, not 2: rounding
        assert [seed for seed, *_ in ours["evidence"][candidate]] == [seed for seed, *_ in runs]
        for (_, mine, _), (_, its, _) in zip(ours["evidence"][candidate], runs, strict=True):
            assert mine == pytest.approx(its, abs=0.02)
    report = json.loads((out / "report.json").read_text())
    assert "queued for every process" in report["evidence_method"]
