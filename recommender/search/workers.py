"""Several processes, or machines, on one Optuna search: the run's `recommend` process writes
what a trial needs (the encoded splits and matrices, the space, the plan) into the run directory
once; `embrec worker RUN_DIR` loads them instead of preprocessing again and takes trials from
the shared storage until the coordinator says the search is over."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np

from recommender.errors import UserError
from recommender.files import TEMPORARY_SUFFIX, read_json, write_json
from recommender.models import Candidate
from recommender.prepare import Prepared
from recommender.search.engine import OnTrial
from recommender.space import Param, SearchSpace
from recommender.text import Vocabulary

PLAN_FILE = "search_plan.json"
PREPARED_FILE = "prepared.npz"


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
    with np.load(run_dir / PREPARED_FILE, allow_pickle=False) as arrays:
        for field in fields(Prepared):
            if str(field.type).startswith("dict"):
                prefix = f"{field.name}:"
                values[field.name] = {
                    key.removeprefix(prefix): arrays[key]
                    for key in arrays.files
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


def run_worker(run_dir: Path, storage: str | None = None, on_trial: OnTrial | None = None) -> int:
    """Take trials of a run's search until it is over; returns how many this process ran.
    `storage` overrides the plan's URL (the same database seen from another machine)."""
    from recommender.search.optuna_engine import OptunaEngine

    plan, prepared = read_plan(run_dir)
    engine = OptunaEngine(storage or plan.storage)
    candidates = [Candidate.from_key(key) for key in plan.candidates]
    return engine.work(
        prepared,
        candidates,
        space_from_dict(plan.space),
        plan.trials,
        seed=plan.seed,
        on_trial=on_trial,
    )


def space_from_dict(data: dict[str, Any]) -> SearchSpace:
    """A space from `SearchSpace.to_dict()` (validated when the run read its TOML file)."""
    search = data["search"]
    return SearchSpace(
        name="plan",
        trials_per_strategy=search["trials_per_strategy"],
        max_epochs=search["max_epochs"],
        patience=search["patience"],
        batch_size=search["batch_size"],
        strategies=tuple(search["strategies"]),
        encoders=tuple(search["encoders"]),
        common=_params(data["common"]),
        encoder_params={name: _params(table) for name, table in data["encoder"].items()},
        strategy_params={name: _params(table) for name, table in data["strategy"].items()},
    )


def _params(table: dict[str, dict[str, Any]]) -> tuple[Param, ...]:
    params = []
    for name, spec in table.items():
        if "choices" in spec:
            params.append(Param(name, "choice", choices=tuple(spec["choices"])))
        else:
            whole = isinstance(spec["low"], int) and isinstance(spec["high"], int)
            params.append(
                Param(name, "int" if whole else "float", spec["low"], spec["high"], spec["log"])
            )
    return tuple(params)


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
