"""Several processes, or machines, on one Optuna search: the run's `recommend` process writes
what a trial needs (the encoded splits and matrices, the space, the plan) into the run directory
once; `embrec worker RUN_DIR` loads them instead of preprocessing again and takes trials from
the shared storage until the coordinator says the search is over.

`recommend --jobs N` starts N such workers on this machine itself (`local_workers`), each with
its share of the cores: a small model's step uses two or more threads poorly, so N processes
with fewer threads each run more trials per minute than one process with all of them."""

from __future__ import annotations

import os
import signal
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

from recommender.errors import UserError
from recommender.files import TEMPORARY_SUFFIX, read_json, write_json
from recommender.models import Candidate
from recommender.prepare import Prepared
from recommender.search.engine import TRIAL_RUNS, OnTrial
from recommender.space import SearchSpace, space_from_dict
from recommender.text import Vocabulary

PLAN_FILE = "search_plan.json"
PREPARED_FILE = "prepared.npz"
STOP_GRACE_SECONDS = 5.0  # a worker sees the search end within a poll (0.5 s), then leaves


@dataclass(frozen=True)
class Plan:
    """What a worker needs besides the arrays: the storage, the candidates, the space, the seed
    and the trial budget per candidate (for the sampler's start-up trials)."""

    storage: str
    candidates: tuple[str, ...]
    space: dict[str, Any]
    seed: int
    trials: int


def write_plan(run_dir: Path, plan: Plan, prepared: Prepared) -> None:
    """The arrays first, then the plan: a worker that finds the plan finds whole arrays."""
    arrays: dict[str, np.ndarray] = {}
    for field in fields(Prepared):
        value = getattr(prepared, field.name)
        if isinstance(value, dict):  # split or vectors name -> array
            arrays |= {f"{field.name}:{key}": array for key, array in value.items()}
        elif isinstance(value, Vocabulary):
            arrays[field.name] = np.array(value.words, dtype=str)
        else:  # the class names, the sequence length
            arrays[field.name] = np.array(value)
    _write_npz(run_dir / PREPARED_FILE, arrays)
    write_json(run_dir / PLAN_FILE, plan.__dict__)


def read_plan(run_dir: Path) -> tuple[Plan, Prepared]:
    data = read_json(run_dir / PLAN_FILE)
    if data is None or not (run_dir / PREPARED_FILE).is_file():
        raise UserError(
            f"no search to join (no {PLAN_FILE} yet)",
            where=str(run_dir),
            fix="start `embrec recommend ... --out RUN_DIR` (with the Optuna engine) first and "
            "wait for its search to begin, or give a copy of its run directory",
        )
    values: dict[str, Any] = {}
    arrays = mapped_npz(run_dir / PREPARED_FILE)
    for field in fields(Prepared):
        if str(field.type).startswith("dict"):
            prefix = f"{field.name}:"
            values[field.name] = {
                key.removeprefix(prefix): array
                for key, array in arrays.items()
                if key.startswith(prefix)
            }
        elif field.name == "vocabulary":
            values[field.name] = Vocabulary(tuple(str(w) for w in arrays[field.name]))
        elif field.name == "sequence_length":
            values[field.name] = int(arrays[field.name])
        else:
            values[field.name] = tuple(str(name) for name in arrays[field.name])
    plan = Plan(**{**data, "candidates": tuple(data["candidates"])})
    return plan, Prepared(**values)


def run_worker(
    run_dir: Path,
    storage: str | None = None,
    on_trial: OnTrial | None = None,
    parent: int | None = None,
) -> int:
    """Take trials of a run's search until it is over; returns how many this process ran.
    `storage` overrides the plan's URL (the same database seen from another machine). A worker
    started by `recommend --jobs` names its `parent`: it waits for the plan while that process
    prepares the data, and leaves if that process dies."""
    from recommender.search.optuna_engine import POLL_SECONDS, OptunaEngine

    while parent is not None and not (run_dir / PLAN_FILE).exists():  # started with the run
        if os.getppid() != parent:
            return 0
        time.sleep(POLL_SECONDS)
    plan, prepared = read_plan(run_dir)
    engine = OptunaEngine(storage or plan.storage, run_dir / TRIAL_RUNS)
    candidates = [Candidate.from_key(key) for key in plan.candidates]
    return engine.work(
        prepared,
        candidates,
        space_from_dict(plan.space),
        plan.trials,
        seed=plan.seed,
        on_trial=on_trial,
        parent=parent,
    )


class LocalWorkers:
    """`embrec worker` processes that `recommend --jobs N` runs on this machine. They start with
    the run, so that loading their backend overlaps its profiling, and wait for its search plan."""

    def __init__(self, run_dir: Path, jobs: int) -> None:
        (run_dir / PLAN_FILE).unlink(missing_ok=True)  # an earlier attempt's: wait for this one's
        environment = {**os.environ, **worker_environment(jobs)}
        self.processes: list[subprocess.Popen[bytes]] = []
        for number in range(1, jobs + 1):
            with open(run_dir / f"worker-{number}.log", "wb") as log:
                self.processes.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "recommender.cli", "worker", str(run_dir)]
                        + ["--parent", str(os.getpid())],
                        stdin=subprocess.DEVNULL,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        env=environment,
                    )
                )

    def alive(self) -> bool:
        """Whether any is still running; the run's process takes trials itself once none is
        (a worker that could not start, or was killed, leaves its trials to it)."""
        return any(process.poll() is None for process in self.processes)

    def stop(self, grace: float = STOP_GRACE_SECONDS) -> None:
        """Give them `grace` seconds to leave by themselves (they do once the search is over),
        then interrupt them: a trial one of them had begun is run again when the run resumes."""
        for process in self.processes:
            try:
                process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                process.send_signal(signal.SIGINT)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextmanager
def local_workers(run_dir: Path, jobs: int) -> Iterator[LocalWorkers | None]:
    """`jobs` workers on the run's search while the block runs, each writing RUN/worker-N.log;
    None for one job (the run's process searches alone, with every core)."""
    if jobs <= 1:
        yield None
        return
    workers = LocalWorkers(run_dir, jobs)
    try:
        yield workers
    except BaseException:
        workers.stop(grace=0)
        raise
    workers.stop()


def worker_environment(jobs: int) -> dict[str, str]:
    """Each of `jobs` workers gets an equal share of this machine's cores (at least one) for
    each backend's thread pools, and takes GPU memory as it needs it rather than all at once
    (the workers share the device)."""
    threads = str(max(1, _cores() // jobs))
    environment = {
        "TF_NUM_INTRAOP_THREADS": threads,
        "TF_NUM_INTEROP_THREADS": threads,
        "OMP_NUM_THREADS": threads,  # PyTorch's and oneDNN's pools
        "TF_FORCE_GPU_ALLOW_GROWTH": "true",
        "XLA_PYTHON_CLIENT_PREALLOCATE": "false",
    }
    if threads == "1":  # JAX's CPU backend has no thread-count setting but this one
        flags = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
        environment["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {flags}".strip()
    return environment


def _cores() -> int:
    """Cores this process may use (a container's or a CPU set's limit, not the machine's)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def mapped_npz(path: Path) -> dict[str, np.ndarray]:
    """The arrays of an uncompressed .npz (as `np.savez` writes it), each memory-mapped read-only
    where it lies in the file: the workers on one machine then share one copy of the encoded
    splits and matrices in the page cache, where `np.load` would give each its own."""
    arrays: dict[str, np.ndarray] = {}
    with zipfile.ZipFile(path) as archive, open(path, "rb") as stream:
        for member in archive.infolist():
            if member.compress_type != zipfile.ZIP_STORED:
                raise ValueError(f"{path}: {member.filename} is compressed; it cannot be mapped")
            stream.seek(member.header_offset)
            local = stream.read(30)  # the local header; its name and extra field follow it
            name_length, extra_length = struct.unpack("<HH", local[26:30])
            stream.seek(member.header_offset + 30 + name_length + extra_length)
            version = np.lib.format.read_magic(stream)
            header = (
                np.lib.format.read_array_header_1_0
                if version == (1, 0)
                else np.lib.format.read_array_header_2_0
            )
            shape, fortran, dtype = header(stream)
            key = member.filename.removesuffix(".npy")
            if not shape or 0 in shape:  # a scalar or an empty array: nothing to map
                with archive.open(member) as small:
                    arrays[key] = np.lib.format.read_array(small, allow_pickle=False)
                continue
            arrays[key] = np.memmap(
                path,
                dtype=dtype,
                mode="r",
                shape=shape,
                order="F" if fortran else "C",
                offset=stream.tell(),
            )
    return arrays


def _write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """numpy's .npz written as `files.write_text` writes text: temporary file, fsync, rename."""
    handle, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=TEMPORARY_SUFFIX
    )
    try:
        with os.fdopen(handle, "wb") as stream:
            np.savez(stream, **arrays)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def plan_for(
    storage: str, candidates: Sequence[Candidate], space: SearchSpace, seed: int, trials: int
) -> Plan:
    return Plan(storage, tuple(c.key for c in candidates), space.to_dict(), seed, trials)
