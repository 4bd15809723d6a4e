"""How much faster `--jobs N` makes the search and the evidence than one process, in one run.

One `embrec recommend` per `--jobs` value on the same data and command, with a validation file
of its own (every fifth line of DATA), so that every repetition of the evidence trains on the
run's one split and its runs are queued for every process of the run, as on large data. The
clock is read at each stage the run announces. Printed per `--jobs` value: seconds of the search
stage, of the evidence stage and of the whole run, each as a ratio to the first `--jobs` value's,
and whether the evidence's test accuracies equal the first run's (they should within the
rounding of one thread against several).

    python benchmarks/bench_workers.py [DATA] [--jobs 1 2] [--seeds 3] [--workdir DIR]

DATA defaults to MR (../shared/data/datasets/mr/rt-polarity.all, "LABEL text" lines). The
learning curve and the yardsticks are off (they run after the evidence, in the run's process).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = Path(os.environ.get("EMBREC_SHARED_DATA", ROOT.parent / "shared" / "data"))
MR = SHARED / "datasets" / "mr" / "rt-polarity.all"
AFTER_EVIDENCE = ("yardsticks", "learning_curve", "export")


def split_off_validation(data: Path, workdir: Path) -> tuple[Path, Path]:
    """Every fifth line of a line-per-document file as the validation file, the rest as data."""
    lines = [line for line in data.read_bytes().split(b"\n") if line.strip()]  # any encoding
    train, validation = workdir / f"train{data.suffix}", workdir / f"validation{data.suffix}"
    train.write_bytes(b"\n".join(x for i, x in enumerate(lines) if i % 5) + b"\n")
    validation.write_bytes(b"\n".join(lines[::5]) + b"\n")
    return train, validation


def run(train: Path, validation: Path, out: Path, jobs: int, seeds: int) -> dict[str, Any]:
    from recommender.api import recommend
    from recommender.config import RunConfig

    marks: dict[str, float] = {}

    def events(kind: str, payload: dict[str, Any]) -> None:
        marks.setdefault(kind, time.perf_counter())

    started = time.perf_counter()
    result = recommend(
        RunConfig(
            data=str(train),
            validation=str(validation),
            out=str(out),
            seed=0,
            seeds=seeds,
            more_seeds=0,
            learning_curve=False,
            yardsticks=False,
        ),
        events,
        jobs=jobs,
    )
    ended = time.perf_counter()
    after = min(marks[kind] for kind in AFTER_EVIDENCE if kind in marks)
    return {
        "search": marks["evidence"] - marks["search"],
        "evidence": after - marks["evidence"],
        "total": ended - started,
        "accuracies": {
            e.candidate: [round(run.accuracy, 4) for run in e.runs] for e in result.evidence
        },
        "method": result.report["evidence_method"],
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data", nargs="?", type=Path, default=MR)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-workers-"))
    workdir.mkdir(parents=True, exist_ok=True)
    print(f"data: {args.data}; cpus: {os.cpu_count()}; work: {workdir}")
    train, validation = split_off_validation(args.data, workdir)
    rows = {}
    for jobs in args.jobs:
        rows[jobs] = run(train, validation, workdir / f"run-jobs-{jobs}", jobs, args.seeds)
        print(f"--jobs {jobs}: {rows[jobs]}")
    first = rows[args.jobs[0]]
    print()
    print("| --jobs | search s | evidence s | whole run s | evidence as the first's |")
    print("|---|---|---|---|---|")
    for jobs, row in rows.items():
        ratios = [row[k] / first[k] for k in ("search", "evidence", "total")]
        same = row["accuracies"] == first["accuracies"]
        print(
            f"| {jobs} | {row['search']:.0f} ({ratios[0]:.2f}x) | {row['evidence']:.0f} "
            f"({ratios[1]:.2f}x) | {row['total']:.0f} ({ratios[2]:.2f}x) | "
            f"{'identical' if same else 'differs'} |"
        )


if __name__ == "__main__":
    main()
