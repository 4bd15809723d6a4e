"""Run configuration: everything that defines a run, saved as config.json in its directory so
the run can be resumed or reproduced."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from recommender.errors import ConfigError
from recommender.files import TEMPORARY_SUFFIX, write_json
from recommender.search.engine import ENGINES
from recommender.text import check_options

CONFIG_FILE = "config.json"
FINAL_FITS = ("all", "holdout")
LOCK_FILE = ".lock"


@dataclass(frozen=True)
class RunConfig:
    data: str
    out: str
    text_column: str | None = None
    label_column: str | None = None
    vectors: tuple[str, ...] = ("glove-6b-50d",)
    space: str = "quick"
    trials: int | None = None  # per candidate; None takes the space's trials_per_strategy
    seeds: int = 3  # repetitions of each finalist in the evidence
    more_seeds: int = 6  # repetitions that may be added while the evidence cannot decide
    seed: int = 0
    test_fraction: float = 0.2
    validation_fraction: float = 0.1
    max_vocabulary: int = 50_000
    max_length: int = 400
    min_effect: float = 0.5
    yardsticks: bool = True
    unlabeled: str | None = None  # a corpus to pretrain domain vectors on
    learning_curve: bool | None = None  # None: on for small and medium data
    engine: str = "optuna"  # or keras-tuner-bayesian, keras-tuner-hyperband
    time_budget: float | None = None  # seconds for the whole run (budget.RunClock); None: none
    storage: str | None = None  # an Optuna storage URL; None: RUN/study.db
    final: str = "all"  # what the exported model trains on: all labels, or all but the test split
    final_models: int = 3  # models (seeds) the exported model averages; tf-idf's is always one
    test: str | None = None  # the user's own test split (a file read as DATA is); None: drawn
    validation: str | None = None  # the user's own validation split; None: drawn from DATA
    tokenizer: str = "unicode"  # or "ascii" (Keras' built-in rules; see recommender.text)
    lowercase: bool | None = None  # None: chosen from the vectors (cased files keep case)
    split: str = "auto"  # "words", "characters" (scripts without spaces) or "auto": from the data
    punctuation: str = "auto"  # keep (marks as tokens) or drop; auto: keep, drop with ascii

    def __post_init__(self) -> None:
        checks = [
            ("--seeds", self.seeds >= 1, "at least 1"),
            ("--more-seeds", self.more_seeds >= 0, "zero or more"),
            ("--final", self.final in FINAL_FITS, " or ".join(FINAL_FITS)),
            ("--final-models", self.final_models >= 1, "at least 1"),
            ("--trials", self.trials is None or self.trials >= 1, "at least 1"),
            ("--min-effect", self.min_effect >= 0, "zero or more"),
            ("test_fraction", 0 < self.test_fraction < 0.9, "between 0 and 0.9"),
            ("validation_fraction", 0 < self.validation_fraction < 0.9, "between 0 and 0.9"),
            ("max_vocabulary", self.max_vocabulary >= 1, "at least 1"),
            ("max_length", self.max_length >= 1, "at least 1"),
        ]
        for name, ok, expected in checks:
            if not ok:
                raise ConfigError(
                    f"{name} must be {expected}, got {getattr(self, _field(name), None)!r}",
                    fix=f"pass a value {expected}",
                )
        check_options(self.tokenizer, self.split, self.punctuation)
        if self.engine not in ENGINES:
            raise ConfigError(
                f"--engine must be one of {', '.join(ENGINES)}, got {self.engine!r}",
                fix="pass one of those names",
            )
        if self.time_budget is not None and not self.time_budget > 0:
            raise ConfigError(
                f"--time-budget must be above 0, got {self.time_budget!r} seconds",
                fix="pass a duration such as 90s, 10m or 1h",
            )
        if self.storage is not None and self.engine != "optuna":
            raise ConfigError(
                "--storage needs --engine optuna (KerasTuner keeps its trials in the run folder)",
                fix="drop --storage or pass --engine optuna",
            )
        if not self.vectors:
            raise ConfigError(
                "no vectors source given", fix="pass --vectors glove-6b-50d or a file"
            )
        if len(set(self.vectors)) != len(self.vectors):
            raise ConfigError("a vectors source is listed twice", fix="list each --vectors once")

    @property
    def run_dir(self) -> Path:
        return Path(self.out)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["vectors"] = list(self.vectors)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunConfig:
        known = {f.name for f in fields(cls)}
        if "tokenizer" not in data:  # saved before the tokeniser options: Keras' ASCII rules
            data = {**data, "tokenizer": "ascii", "lowercase": True}
        if "punctuation" not in data:  # saved before --punctuation: deleted
            data = {**data, "punctuation": "drop"}
        return cls(
            **{**{k: v for k, v in data.items() if k in known}, "vectors": tuple(data["vectors"])}
        )

    def save(self) -> None:
        write_json(self.run_dir / CONFIG_FILE, self.to_dict())


def _field(option: str) -> str:
    """The field behind a command-line option: --more-seeds -> more_seeds."""
    return option.lstrip("-").replace("-", "_")


def parse_duration(text: str) -> float:
    """Seconds from '90s', '10m', '1.5h' or a bare number of seconds (--time-budget)."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", text.lower())
    seconds = float(match.group(1)) * _UNITS[match.group(2)] if match else 0.0
    if seconds <= 0:
        raise ConfigError(
            f"--time-budget must be a duration above 0, got {text!r}",
            fix="pass a number with s, m or h, such as 90s, 10m or 1h",
        )
    return seconds


_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600}


def load_config(run_dir: Path) -> RunConfig:
    """The configuration saved in a run directory (`--resume`), pointing at that directory."""
    path = run_dir / CONFIG_FILE
    if not path.is_file():
        raise ConfigError(
            f"not an embrec run directory (no {CONFIG_FILE})",
            where=str(run_dir),
            fix="pass the --out folder of an embrec recommend run",
        )
    try:
        return replace(RunConfig.from_dict(json.loads(path.read_text())), out=str(run_dir))
    except (ValueError, KeyError, TypeError):
        raise ConfigError(
            f"holds a {CONFIG_FILE} that is not an embrec run configuration",
            where=str(run_dir),
            fix="pass the folder of an embrec recommend run",
        ) from None


@contextmanager
def open_run(config: RunConfig) -> Iterator[bool]:
    """Prepare the run directory and hold its lock (see `lock_run`) until the block ends. Yields
    True when it resumes an earlier run with the same options; a directory holding a different
    run (or other files) is refused, never overwritten."""
    directory = config.run_dir
    saved_path = directory / CONFIG_FILE
    if saved_path.exists():
        _check_same_run(config, saved_path)  # refuse another run without touching its folder
    elif directory.exists() and (not directory.is_dir() or any(_foreign(directory))):
        raise ConfigError(
            "exists and is not an embrec run directory",
            where=str(directory),
            fix="pass a new or empty --out directory",
        )
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigError(
            f"cannot create the run directory ({error.strerror})",
            where=str(directory),
            fix="pass an --out directory you can write to",
        ) from None
    with lock_run(directory):
        resumed = saved_path.exists()  # again under the lock: another process may have won
        if resumed:
            _check_same_run(config, saved_path)
            _remove_temporary_files(directory)
        else:
            config.save()
        yield resumed


@contextmanager
def lock_run(directory: Path) -> Iterator[None]:
    """Hold an exclusive lock on RUN/.lock so that a second embrec process on the same run
    directory is refused instead of interleaving its writes. The kernel drops the lock when the
    holder dies (even by kill -9), so a leftover lock file never blocks a resume."""
    try:
        import fcntl
    except ImportError:  # not POSIX: run unlocked
        yield
        return
    try:
        handle = open(directory / LOCK_FILE, "a+", encoding="utf-8")  # noqa: SIM115
    except OSError as error:
        raise ConfigError(
            f"cannot write in the run directory ({error.strerror})",
            where=str(directory),
            fix="pass an --out directory you can write to",
        ) from None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise ConfigError(
                f"another embrec process (pid {holder}) is using {directory}",
                fix="wait for it or pass another --out",
            ) from None
        handle.truncate(0)
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _foreign(directory: Path) -> Iterator[Path]:
    """Entries that embrec did not leave there (its lock file and temporary files are its own)."""
    return (p for p in directory.iterdir() if p.name != LOCK_FILE and not _is_temporary(p))


def _is_temporary(path: Path) -> bool:
    return path.name.startswith(".") and path.name.endswith(TEMPORARY_SUFFIX) and path.is_file()


def _remove_temporary_files(directory: Path) -> None:
    """Temporary files of a write that a killed process never finished (under the lock, no
    other process is writing): never read, so only tidied away."""
    for path in directory.rglob(f".*{TEMPORARY_SUFFIX}"):
        if _is_temporary(path):
            path.unlink(missing_ok=True)


def _check_same_run(config: RunConfig, saved_path: Path) -> None:
    """Resume only a run with exactly these options."""
    directory = config.run_dir
    try:
        saved = RunConfig.from_dict(json.loads(saved_path.read_text()))
    except (ValueError, KeyError, TypeError):
        raise ConfigError(
            "holds a config.json that is not an embrec run configuration",
            where=str(directory),
            fix="pass a new --out directory",
        ) from None
    if replace(saved, out=config.out) != config:
        changed = [
            f.name for f in fields(config) if getattr(saved, f.name) != getattr(config, f.name)
        ]
        raise ConfigError(
            f"holds another run (its options differ in: {', '.join(changed)})",
            where=str(directory),
            fix="pass a new --out directory, or the same options to resume that run",
        )
