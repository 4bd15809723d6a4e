"""Domain vectors on two out-of-domain datasets: pretraining speed, and whether they win.

For each dataset this measures, in one run:

1. words per second of `embrec pretrain` (word2vec and fastText, default settings but one pass,
   as words/s does not depend on the number of passes; gensim workers = the cores this process
   may use) on the dataset's pretraining corpus;
2. `embrec recommend --unlabeled CORPUS` with the general GloVe 6B 50d (the built-in) as the
   other vectors source: the test accuracy (mean +/- sd over seeds) of every option, which one was
   recommended, and the run's own verdict on whether domain pretraining paid for its cost.

Datasets (../shared/data/datasets, or $EMBREC_SHARED_DATA/datasets; real data):

    code_language_id  3,972 source files of 262 languages (the languages with fewer than 3 files,
                      which cannot be split, left out); the labelled file itself is the corpus,
                      so only its training split is pretrained on (GloVe covers 15% of its types)
    tweeteval_emoji   the first --tweets tweets of TweetEval emoji's training split are labelled;
                      the corpus is the whole training split (45,000 tweets), from which the run
                      drops every tweet of its own validation and test splits (GloVe: 42%).
                      TweetEval's unlabelled test tweets are never used.

    python benchmarks/bench_pretrain.py [--space quick] [--seeds 3] [--tweets 10000]
        [--datasets code_language_id tweeteval_emoji] [--workdir DIR] [--no-yardsticks]

--no-yardsticks skips the TF-IDF yardstick, which is slow on code_language_id (229 classes, long
files): with its features capped (`yardsticks.COEFFICIENT_BUDGET`) it took 665 s and 2.7 GB there;
before the cap, over 17 minutes and 20 GB.

Writes WORKDIR/results.json and prints a Markdown table; each run directory stays in WORKDIR.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("EMBREC_SHARED_DATA", REPO.parent / "shared" / "data")) / "datasets"
DATASETS = ("code_language_id", "tweeteval_emoji")


def code_language_id(workdir: Path, _: int) -> tuple[Path, Path]:
    """All parts joined into one CSV (label, text) without the languages of under 3 files
    (recommend needs one each for training, validation and test); the corpus is that file."""
    csv.field_size_limit(1 << 30)
    target = workdir / "code_language_id.csv"
    parts = sorted((SHARED / "code_language_id").glob("code_lang.part*.csv"))
    if not parts:
        sys.exit(f"no code_lang.part*.csv in {SHARED / 'code_language_id'}; set EMBREC_SHARED_DATA")
    rows = []
    for part in parts:
        with open(part, newline="", encoding="utf-8") as f:
            rows += [(row["label"], row["text"]) for row in csv.DictReader(f)]
    counts = Counter(label for label, _ in rows)
    kept = [row for row in rows if counts[row[0]] >= 3]
    print(f"  {len(kept):,} of {len(rows):,} files kept (languages with 3 or more)", flush=True)
    with open(target, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["label", "text"])
        writer.writerows(kept)
    return target, target


def tweeteval_emoji(workdir: Path, tweets: int) -> tuple[Path, Path]:
    """The first `tweets` training tweets as CSV (text, label); the corpus is every training
    tweet, one a line (TweetEval's own file)."""
    folder = SHARED / "tweeteval_emoji"
    texts = (folder / "train_text.txt").read_text(encoding="utf-8").split("\n")
    labels = (folder / "train_labels.txt").read_text(encoding="utf-8").split("\n")
    target = workdir / "tweeteval_emoji.csv"
    with open(target, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["text", "label"])
        for text, label in list(zip(texts, labels, strict=False))[:tweets]:
            if label.strip():
                writer.writerow([text, label.strip()])
    return target, folder / "train_text.txt"


def pretraining_speed(corpus: Path, data: Path, workdir: Path) -> dict[str, Any]:
    """words/s of each algorithm (default settings, one pass) on the dataset's corpus."""
    from recommender.data import load_dataset
    from recommender.pretrain import Corpus, Settings, train

    if corpus == data:  # the labelled file: its texts (the run uses the training split only)
        source = Corpus(texts=load_dataset(data).texts, origin=str(data))
    else:
        source = Corpus.from_paths([str(corpus)])
    speeds = {}
    for algorithm in ("word2vec", "fasttext"):
        _, result = train(source, Settings(algorithm=algorithm, epochs=1), workdir)
        speeds[algorithm] = {
            "words": result.words,
            "epochs": result.epochs,
            "vocabulary": result.vocabulary_size,
            "train_seconds": round(result.train_seconds, 1),
            "seconds": round(result.seconds, 1),
            "words_per_second": round(result.words_per_second),
            "workers": result.workers,
        }
        print(f"  {algorithm}: {speeds[algorithm]}", flush=True)
    return speeds


def recommend(
    data: Path, corpus: Path, out: Path, space: str, seeds: int, yardsticks: bool
) -> dict[str, Any]:
    from recommender.api import recommend as run_recommend
    from recommender.config import RunConfig

    config = RunConfig(
        data=str(data),
        out=str(out),
        unlabeled=str(corpus),
        space=space,
        seeds=seeds,
        yardsticks=yardsticks,
        learning_curve=False,
    )

    def events(kind: str, payload: dict[str, Any]) -> None:
        if kind in ("pretrained", "search", "evidence", "export"):
            print(f"  {time.strftime('%H:%M:%S')} {kind}", flush=True)

    started = time.perf_counter()
    report = run_recommend(config, events).report
    domain = report["domain_vectors"]
    return {
        "wall_seconds": round(time.perf_counter() - started, 1),
        "command": report["command"],
        "coverage": {
            c["vectors"]: {"types": round(c["type_rate"], 3), "tokens": round(c["token_rate"], 3)}
            for c in report["profile"]["coverage"]
        },
        "options": {
            e["candidate"]: {
                "accuracy_mean": round(e["accuracy_mean"], 4),
                "accuracy_sd": round(e["accuracy_sd"], 4),
                "encoder": e["config"].get("encoder"),
            }
            for e in report["evidence"]
        },
        "yardsticks": {y["candidate"]: round(y["accuracy_mean"], 4) for y in report["yardsticks"]},
        "recommended": report["recommendation"]["recommended"],
        "verdict": report["recommendation"]["verdict"],
        "domain": {
            key: domain[key]
            for key in (
                "verdict",
                "sentence",
                "dropped_lines",
                "words",
                "epochs",
                "vocabulary_size",
                "train_seconds",
                "words_per_second",
            )
        },
        "neighbours": {c["vectors"]: c.get("neighbours") for c in report["profile"]["coverage"]},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=DATASETS)
    parser.add_argument("--space", default="quick")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--tweets", type=int, default=10_000, help="labelled tweets to use")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--no-yardsticks", action="store_true", help="skip the TF-IDF yardstick")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="bench-pretrain-"))
    workdir.mkdir(parents=True, exist_ok=True)
    builders = {"code_language_id": code_language_id, "tweeteval_emoji": tweeteval_emoji}
    results: dict[str, Any] = {"space": args.space, "seeds": args.seeds, "tweets": args.tweets}
    for name in args.datasets:
        print(f"{name}:", flush=True)
        data, corpus = builders[name](workdir, args.tweets)
        results[name] = {
            "pretraining": pretraining_speed(corpus, data, workdir),
            "recommend": recommend(
                data,
                corpus,
                workdir / f"run-{name}",
                args.space,
                args.seeds,
                not args.no_yardsticks,
            ),
        }
        (workdir / "results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))
    print(f"\nresults: {workdir / 'results.json'}\n")
    print("| dataset | option | test accuracy % (mean +/- sd) |")
    print("|---|---|---|")
    for name in args.datasets:
        run = results[name]["recommend"]
        for option, score in sorted(run["options"].items(), key=lambda o: -o[1]["accuracy_mean"]):
            mark = " (recommended)" if option == run["recommended"] else ""
            print(
                f"| {name} | {option}{mark} | {score['accuracy_mean'] * 100:.1f} +/- "
                f"{score['accuracy_sd'] * 100:.1f} |"
            )
        print(f"\n{name}: {run['domain']['sentence']}.\n", file=sys.stdout)


if __name__ == "__main__":
    main()
