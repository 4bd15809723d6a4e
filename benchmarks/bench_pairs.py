"""Do word pairs help the pooling encoder? Pool settings with and without `bigram_buckets`.

For each set, on the fixed splits of ../shared/ANCHORS.md (written by
`../shared/data/given_splits.py`; validation drawn from the training file as embrec draws it,
the official test split scored), every combination of pooling (mean, mean-max), learning rate
(1e-3, 5e-3) and dropout (0.1, 0.5) for a learned 100-d layer, trained as the evidence trains
(quick space's step budget, early stopping on validation) over 3 seeds, once with words only
and once with word pairs in `--buckets` rows. Printed: each pair of rows, then the mean gain
of pairs per set and the time ratio (both measured in this run).

    python benchmarks/bench_pairs.py [--sets cr mr] [--buckets 65536] [--strategy learned]

About 6 minutes per set on 2 cores.
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
from recommender.models import Candidate
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
    parser.add_argument("--buckets", type=int, default=65536)
    parser.add_argument("--strategy", default="learned")
    args = parser.parse_args(argv)
    splits_dir = Path(tempfile.mkdtemp(prefix="bench-pairs-"))
    subprocess.run([sys.executable, str(SHARED / "given_splits.py"), str(splits_dir)], check=True)
    space = load_space("quick")
    print("| set | pooling | lr | dropout | words only % | with pairs % | gain | time ratio |")
    print("|---|---|---|---|---|---|---|---|")
    summary = []
    for name in args.sets:
        folder = splits_dir / name
        dataset, splits = load_splits(folder / "train.csv", test=folder / "test.csv", seed=0)
        tokens = tokenize_all(dataset.texts)
        vectors = load_vectors("glove-6b-50d", {t for doc in tokens for t in doc})
        prepared = prepare(
            tokens, dataset.labels, splits, [vectors], max_vocabulary=50_000, max_length=400, seed=0
        )
        pretrained = args.strategy != "learned"
        candidate = Candidate(args.strategy, vectors.name if pretrained else None)
        gains, ratios = [], []
        for pooling, rate, dropout in itertools.product(
            ["mean", "mean-max"], [1e-3, 5e-3], [0.1, 0.5]
        ):
            config = {
                "encoder": "pool",
                "pooling": pooling,
                "hidden_units": 0,
                "learning_rate": rate,
                "dropout": dropout,
                "embedding_dim": 100,
            }
            words, words_s = score(candidate, {**config, "bigram_buckets": 0}, prepared, space)
            pairs, pairs_s = score(
                candidate, {**config, "bigram_buckets": args.buckets}, prepared, space
            )
            gains.append(pairs - words)
            ratios.append(pairs_s / words_s)
            print(
                f"| {name} | {pooling} | {rate:g} | {dropout:g} | {words:.1f} | {pairs:.1f} "
                f"| {pairs - words:+.1f} | {pairs_s / words_s:.1f}x |",
                flush=True,
            )
        summary.append((name, float(np.mean(gains)), float(np.mean(ratios))))
    print()
    for name, gain, ratio in summary:
        print(f"{name}: word pairs {gain:+.2f} points on average, {ratio:.1f}x the time")


if __name__ == "__main__":
    main()
