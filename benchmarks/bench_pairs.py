"""Do word pairs help? Pool or tf-idf settings with and without `bigram_buckets`.

For each set, on the fixed splits of ../shared/ANCHORS.md (written by
`../shared/data/given_splits.py`; validation drawn from the training file as embrec draws it,
the official test split scored), every combination of learning rate (1e-3, 5e-3) and dropout
(0.1, 0.5), and for the pooling encoder of pooling (mean, mean-max) with a learned 100-d layer
(tf-idf has one setting: it is solved, not trained by steps),
trained as the evidence trains (quick space's step budget, early stopping on validation) over 3
seeds, once with words only and once per `--buckets` value ("auto" sizes the rows from the
training split's distinct pairs, see `models.bucket_count`). Printed: a row per setting, then
the mean gain of each bucket value over words only per set and its time ratio (both measured in
this run).

    python benchmarks/bench_pairs.py [--sets cr mr] [--buckets 65536 auto]
        [--strategy learned|fine-tuned|...|tf-idf]

About 6 minutes per set and bucket value on 2 cores (tf-idf: about 2).
"""

from __future__ import annotations

import argparse
import itertools
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from recommender.data import load_splits
from recommender.evidence import seed_run
from recommender.models import AUTO_BUCKETS, LINEAR, TFIDF, Candidate, bucket_count
from recommender.prepare import prepare
from recommender.space import load_space
from recommender.text import tokenize_all
from recommender.vectors import load_vectors

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("EMBREC_SHARED_DATA", ROOT.parent / "shared" / "data"))
SEEDS = 3


def score(candidate: Candidate, config: dict, prepared, space) -> tuple[float, float]:
    """Mean test accuracy (%) and mean seconds over SEEDS seeds."""
    accuracies, seconds = [], []
    for seed in range(SEEDS):
        started = time.perf_counter()
        run, _ = seed_run(candidate, config, prepared, space, seed)
        seconds.append(time.perf_counter() - started)
        accuracies.append(run.accuracy * 100)
    return float(np.mean(accuracies)), float(np.mean(seconds))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", default=["cr", "mr"])
    parser.add_argument("--buckets", nargs="+", default=["65536"])
    parser.add_argument("--strategy", default="learned")
    args = parser.parse_args(argv)
    buckets = [value if value == AUTO_BUCKETS else int(value) for value in args.buckets]
    splits_dir = Path(tempfile.mkdtemp(prefix="bench-pairs-"))
    subprocess.run([sys.executable, str(SHARED / "given_splits.py"), str(splits_dir)], check=True)
    space = load_space("quick")
    columns = " | ".join(f"{b} rows %" for b in buckets)
    print(f"| set | setting | words only % | {columns} |")
    print("|---|---|---|" + "---|" * len(buckets))
    summary = []
    for name in args.sets:
        folder = splits_dir / name
        dataset, splits = load_splits(folder / "train.csv", test=folder / "test.csv", seed=0)
        tokens = tokenize_all(dataset.texts)
        vectors = load_vectors("glove-6b-50d", {t for doc in tokens for t in doc})
        prepared = prepare(
            tokens, dataset.labels, splits, [vectors], max_vocabulary=50_000, max_length=400, seed=0
        )
        pretrained = args.strategy not in ("learned", TFIDF)
        candidate = Candidate(args.strategy, vectors.name if pretrained else None)
        gains: dict[object, list[float]] = {b: [] for b in buckets}
        ratios: dict[object, list[float]] = {b: [] for b in buckets}
        for setting in settings(args.strategy):
            words, words_s = score(candidate, {**setting, "bigram_buckets": 0}, prepared, space)
            cells = []
            for value in buckets:
                pairs, pairs_s = score(
                    candidate, {**setting, "bigram_buckets": value}, prepared, space
                )
                gains[value].append(pairs - words)
                ratios[value].append(pairs_s / words_s)
                cells.append(f"{pairs:.1f} ({pairs - words:+.1f})")
            label = ", ".join(f"{k} {v}" for k, v in setting.items() if k != "encoder")
            print(f"| {name} | {label} | {words:.1f} | {' | '.join(cells)} |", flush=True)
        rows = bucket_count({"bigram_buckets": AUTO_BUCKETS}, prepared.x["train"])
        summary.append((name, rows, gains, ratios))
    print()
    for name, rows, gains, ratios in summary:
        for value in buckets:
            print(
                f"{name}: {value} rows{f' ({rows:,})' if value == AUTO_BUCKETS else ''}: word "
                f"pairs {np.mean(gains[value]):+.2f} points on average, "
                f"{np.mean(ratios[value]):.1f}x the time"
            )


def settings(strategy: str) -> list[dict[str, object]]:
    """The settings compared: the pool's, or the tf-idf model's one (it is solved, with C by
    cross-validation: no learning rate, no dropout, no pooling, no dimension)."""
    grid = list(itertools.product([1e-3, 5e-3], [0.1, 0.5]))
    if strategy == TFIDF:
        return [{"encoder": LINEAR}]
    return [
        {
            "encoder": "pool",
            "pooling": pooling,
            "hidden_units": 0,
            "learning_rate": rate,
            "dropout": dropout,
            "embedding_dim": 100,
        }
        for pooling, (rate, dropout) in itertools.product(["mean", "mean-max"], grid)
    ]


if __name__ == "__main__":
    main()
