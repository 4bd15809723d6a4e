"""Is embrec's recommendation right on the given sets?

For each of MR, TREC, CR and SMS, on the fixed splits of ../shared/ANCHORS.md (written by
`../shared/data/given_splits.py` into RUNS/splits): the default command exactly as a new user
runs it, `embrec recommend train.csv --out RUN` (the venv's `embrec`, in a subprocess; plus
`--args` if given), then `embrec predict RUN/model --input test.csv` scores the exported model on
the official test split. "current" is the code the venv runs: this working tree, uncommitted
edits included. Each run gets its own empty vectors cache, as a new user has. Printed, one row
per set: the recommendation and its verdict (RUN/report.json), the exported model's test
accuracy, the ground truth (ANCHORS.md's measured CNN strategies and peers, hard-coded below),
the regret (best ground-truth CNN strategy minus the exported model, in points, as ANCHORS.md
defines it), the gap to the best peer and the run's seconds to recommendation (report.json's
`seconds`).

    python benchmarks/bench_verdicts.py [--sets mr trec cr sms tweets] [--runs DIR] [--fresh]
        [--args "EXTRA EMBREC ARGS"] [--baseline GIT_REF] [--json FILE]

`tweets` (TweetEval emoji, its official splits; not run unless named) has no ground truth in
ANCHORS.md: its row has the exported model's accuracy only (`bench_peers.py` gives its peers).

(One extra flag alone must be attached, `--args=--no-yardsticks`, or argparse takes it for one
of its own.)

`--runs DIR` keeps the run folders (default: a new temporary folder); a run whose report.json is
already there is reused unless `--fresh`, so an interrupted benchmark resumes (an unfinished run
folder is resumed by embrec itself). `--baseline REF` also runs the same commands with the code
of REF (a temporary `git worktree`, same venv), set by set, so both are timed in one run on one
machine; their rows are printed side by side.

Time on 2 cores: the four sets took 26 minutes with the default command (256 to 489 s to
recommendation each, then predicting); `--baseline` adds the older code's runs. The smoke check
`--sets trec --args "--trials 1 --seeds 1 --no-learning-curve --no-yardsticks"` took about 1
minute per version of the code (2 minutes with `--baseline HEAD`). Figures: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("EMBREC_SHARED_DATA", ROOT.parent / "shared" / "data"))
SETS = ("mr", "trec", "cr", "sms")
# A set from further afield, without ground truth in ANCHORS.md: TweetEval emoji (45,000 tweets,
# 20 classes; its official train and test splits), written beside the given splits by
# `write_further_splits`. Not run unless named.
FURTHER = ("tweets",)

# Ground truth, copied from ../shared/ANCHORS.md, "Measured here: what a fixed model and the
# simple peers score on the given sets": test accuracy % on these very splits of a fixed
# Kim-style CNN (GloVe 6B 50d, mean of 3 seeds) per embedding strategy, and of the peers.
# Reference figures measured there, not results of this benchmark.
CNN = {
    "mr": {"learned": 74.1, "frozen": 71.7, "fine-tuned": 74.7, "multichannel": 73.5},
    "trec": {"learned": 89.7, "frozen": 84.7, "fine-tuned": 90.3, "multichannel": 90.3},
    "cr": {"learned": 80.7, "frozen": 76.2, "fine-tuned": 79.2, "multichannel": 79.1},
    "sms": {"learned": 98.5, "frozen": 98.1, "fine-tuned": 98.7, "multichannel": 98.5},
}
PEER_NAMES = (
    "fastText",
    "fastText 25 ep + bigrams",
    "fastText + GloVe",
    "fastText 25 ep + bigrams + GloVe",
    "TF-IDF + LR",
)
PEERS = {
    "mr": dict(zip(PEER_NAMES, (73.2, 76.0, 74.9, 76.2, 77.0), strict=True)),
    "trec": dict(zip(PEER_NAMES, (82.2, 89.2, 85.4, 89.8, 89.2), strict=True)),
    "cr": dict(zip(PEER_NAMES, (78.5, 81.2, 80.3, 82.4, 82.3), strict=True)),
    "sms": dict(zip(PEER_NAMES, (98.0, 98.5, 98.3, 98.7, 98.4), strict=True)),
}


def write_further_splits(splits: Path) -> None:
    """SPLITS/tweets/train.csv and test.csv (text,label) from TweetEval emoji's files: one tweet
    a line (split on \\n only: some tweets hold other breaks); labels are its class numbers."""
    folder = SHARED / "datasets" / "tweeteval_emoji"
    target = splits / "tweets"
    target.mkdir(parents=True, exist_ok=True)
    for part in ("train", "test"):
        texts = (folder / f"{part}_text.txt").read_text(encoding="utf-8").split("\n")
        labels = (folder / f"{part}_labels.txt").read_text(encoding="utf-8").split()
        with open(target / f"{part}.csv", "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["text", "label"])
            writer.writerows(zip(texts[: len(labels)], labels, strict=True))


def best(scores: dict[str, float]) -> tuple[str, float]:
    """The top name (ties joined by ' / ') and its score."""
    top = max(scores.values())
    return " / ".join(name for name, score in scores.items() if score == top), top


def labels_of(path: Path) -> list[str]:
    with open(path, newline="", encoding="utf-8") as f:
        return [row["label"] for row in csv.DictReader(f)]


def add_worktree(ref: str, folder: Path) -> str:
    """Check REF out into `folder`; returns its commit."""
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--verify", f"{ref}^{{commit}}"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(folder), commit], check=True
    )
    # The search spaces ship as recommender.spaces only when installed (pyproject.toml maps
    # search_spaces/ there); without this link the venv's editable install would answer that
    # import with the working tree's spaces instead of REF's.
    spaces = folder / "recommender" / "spaces"
    if not spaces.exists():
        spaces.symlink_to("../search_spaces")
    return commit


@contextmanager
def code_versions(baseline: str | None, prefix: str, suffix: str = "") -> Iterator[list[dict]]:
    """The code to run: the venv's, and with `baseline` also that git ref's from a temporary
    worktree (same venv), removed at the end. Each: label, slug (for file names), command (the
    `embrec` CLI), env and cwd for its subprocesses."""
    codes: list[dict[str, Any]] = [
        {
            "label": "current",
            "slug": "current" + suffix,
            "command": [str(Path(sys.executable).with_name("embrec"))],
            "env": {},
            "cwd": None,
        }
    ]
    worktree = None
    try:
        if baseline:
            worktree = Path(tempfile.mkdtemp(prefix=prefix)) / "tree"
            commit = add_worktree(baseline, worktree)
            codes.append(
                {
                    "label": f"{baseline} ({commit[:8]})",
                    "slug": re.sub(r"[^A-Za-z0-9._-]", "_", baseline) + f"-{commit[:8]}" + suffix,
                    "command": [sys.executable, "-c", "from recommender.cli import app; app()"],
                    "env": {"PYTHONPATH": str(worktree)},
                    "cwd": str(worktree),
                }
            )
        yield codes
    finally:
        if worktree is not None:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(worktree)],
                check=False,
            )
            shutil.rmtree(worktree.parent, ignore_errors=True)


def run_set(
    name: str, code: dict[str, Any], splits: Path, runs: Path, extra: list[str], fresh: bool
) -> dict[str, Any]:
    """embrec's default command on one set with one version of the code, and its scores."""
    run = runs / f"{name}-{code['slug']}"
    log, predictions = runs / f"{run.name}.log", runs / f"{run.name}.predictions.csv"
    test = splits / name / "test.csv"
    cache = runs / f"{run.name}.cache"  # each run reads its vectors cold, as a new user's does
    for folder in (run, cache) if fresh else ():
        shutil.rmtree(folder, ignore_errors=True)
    env = {**os.environ, **code["env"], "EMBREC_CACHE_DIR": str(cache)}
    steps = [["predict", str(run / "model"), "--input", str(test), "--output", str(predictions)]]
    if not (run / "report.json").is_file():  # else a finished run, reused
        steps.insert(0, ["recommend", str(splits / name / "train.csv"), "--out", str(run), *extra])
    with open(log, "a", encoding="utf-8") as out:
        for step in steps:
            out.write(f"$ {shlex.join(step)}\n")
            out.flush()
            subprocess.run(
                [*code["command"], *step],
                check=True,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=code["cwd"],
            )
    report = json.loads((run / "report.json").read_text())
    truth, predicted = labels_of(test), labels_of(predictions)
    if len(truth) != len(predicted):
        raise RuntimeError(f"{len(predicted)} predictions for {len(truth)} test rows ({log})")
    exported = 100 * sum(p == t for p, t in zip(predicted, truth, strict=True)) / len(truth)
    decision = report["recommendation"]
    key = decision["recommended"]
    chosen = next((e for e in report["evidence"] if e["candidate"] == key), {})
    best_strategy, best_score = best(CNN[name]) if name in CNN else (None, None)
    best_peer, peer_score = best(PEERS[name]) if name in PEERS else (None, None)
    return {
        "set": name,
        "code": code["label"],
        "run": str(run),
        "recommended": key,
        "encoder": chosen.get("config", {}).get("encoder"),
        "verdict": decision["verdict"],
        "exported": round(exported, 2),
        "best_strategy": best_strategy,
        "best_strategy_score": best_score,
        "recommended_strategy_score": CNN.get(name, {}).get(key.partition(":")[0]),
        "regret": None if best_score is None else round(best_score - exported, 2),
        "best_peer": best_peer,
        "best_peer_score": peer_score,
        "minus_best_peer": None if peer_score is None else round(exported - peer_score, 2),
        "seconds": report["seconds"],
    }


def points(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def recommended(row: dict[str, Any]) -> str:
    encoder = f" + {row['encoder']}" if row["encoder"] else ""
    return f"{row['recommended']}{encoder} ({row['verdict']})"


def print_tables(rows: Sequence[dict[str, Any]], baseline: bool) -> None:
    print()
    print(
        "| set | recommended (verdict) | exported model test % | ground truth's best strategy "
        "(score) | recommended strategy's ground-truth score | regret | best peer | exported "
        "minus best peer | seconds to recommendation |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        if row["code"] != "current":
            continue
        if "error" in row:
            print(f"| {row['set'].upper()} | failed: {row['error']} |" + " - |" * 7)
            continue
        score = row["recommended_strategy_score"]
        truth = row["best_strategy"] is not None
        print(
            f"| {row['set'].upper()} | {recommended(row)} | {row['exported']:.1f} | "
            + (
                f"{row['best_strategy']} ({row['best_strategy_score']:.1f}) | "
                f"{'-' if score is None else f'{score:.1f}'} | {row['regret']:.1f} | "
                f"{row['best_peer']} ({row['best_peer_score']:.1f}) | "
                f"{row['minus_best_peer']:+.1f} | "
                if truth
                else "- | - | - | - | - | "
            )
            + f"{row['seconds']:.0f} |"
        )
    if baseline:
        print()
        print("| set | code | recommended (verdict) | exported model test % | regret | seconds |")
        print("|---|---|---|---|---|---|")
        for row in rows:
            if "error" in row:
                print(
                    f"| {row['set'].upper()} | {row['code']} | failed: {row['error']} |"
                    + " - |" * 3
                )
                continue
            print(
                f"| {row['set'].upper()} | {row['code']} | {recommended(row)} | "
                f"{row['exported']:.1f} | {points(row['regret'])} | {row['seconds']:.0f} |"
            )
    print()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", nargs="+", choices=SETS + FURTHER, default=list(SETS))
    parser.add_argument("--runs", type=Path, default=None, help="run folders (default: a temp)")
    parser.add_argument("--fresh", action="store_true", help="rerun finished runs in --runs")
    parser.add_argument(
        "--args", default="", help='extra `embrec recommend` arguments ("--x 1 --y", or --args=--x)'
    )
    parser.add_argument("--baseline", default=None, help="also run the code of this git ref")
    parser.add_argument("--json", type=Path, default=None, help="also write the rows here")
    args = parser.parse_args(argv)
    runs = (args.runs or Path(tempfile.mkdtemp(prefix="bench-verdicts-"))).resolve()
    runs.mkdir(parents=True, exist_ok=True)
    extra = shlex.split(args.args)
    # runs with other extra arguments go to other folders, never reused for these
    suffix = f"-{hashlib.sha1(args.args.encode()).hexdigest()[:8]}" if extra else ""
    splits = runs / "splits"
    subprocess.run([sys.executable, str(SHARED / "given_splits.py"), str(splits)], check=True)
    write_further_splits(splits)
    print(f"runs: {runs}; cpus: {os.cpu_count()}; embrec args: {extra or 'none'}")
    rows: list[dict[str, Any]] = []
    with code_versions(args.baseline, "bench-verdicts-tree-", suffix) as codes:
        for name in args.sets:
            for code in codes:
                try:
                    row = run_set(name, code, splits, runs, extra, args.fresh)
                    print(
                        f"  {name} [{code['label']}]: {recommended(row)}, exported "
                        f"{row['exported']:.1f}%, regret {points(row['regret'])}, "
                        f"{row['seconds']:.0f} s"
                    )
                except (subprocess.CalledProcessError, RuntimeError, OSError, KeyError) as error:
                    log = runs / f"{name}-{code['slug']}.log"
                    reason = (
                        f"exit status {error.returncode}"
                        if isinstance(error, subprocess.CalledProcessError)
                        else f"{type(error).__name__}: {error}"
                    )
                    row = {"set": name, "code": code["label"], "error": f"{reason}, see {log}"}
                    print(f"  {name} [{code['label']}]: {row['error']}")
                rows.append(row)
                if args.json:
                    args.json.write_text(json.dumps(rows, indent=1))
    print_tables(rows, baseline=args.baseline is not None)


if __name__ == "__main__":
    main()
