"""The exported model as an average of trainings (`--final-models`): what it buys on test data.

For each finished run of `bench_verdicts.py` / `bench_peers.py` in RUNS (the default command on
the fixed splits of ../shared/ANCHORS.md), the configuration the run exported is trained again
as its final model was (every labelled document of train.csv, the median best epoch of its
evidence) with seeds 0 to K-1, and each model is scored on the official test split, which no
run saw. Printed per set: each single model's accuracy, their mean and spread, and the mean
accuracy of the average of k consecutive models (k = 2, 3, 5; every run of k seeds taken
cyclically from the K, so the average's figure is itself a mean over K draws). A tf-idf run is
left out: its fit has no seed, so its trainings are one model.

    python benchmarks/bench_verdicts.py --runs RUNS      # first, the runs
    python benchmarks/bench_members.py --runs RUNS [--sets mr trec cr sms] [--models 6]

About 1 minute per set for a pooling model, 4 for a CNN, on 2 cores (K = 6).
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def test_split(path: Path, text_column: str, label_column: str) -> tuple[list[str], list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return [row[text_column] for row in rows], [row[label_column] for row in rows]


def one_run(run: Path, test_csv: Path, models: int) -> dict[str, object] | None:
    """Test probabilities of `models` final models of the run's exported configuration, scored
    singly and averaged; None for a tf-idf run."""
    from recommender import api
    from recommender.models import TFIDF, Candidate
    from recommender.space import load_space
    from recommender.text import tokenize_all

    config, report = api._finished_run(run)
    key = report["model"]["candidate"]
    if Candidate.from_key(key).strategy == TFIDF:
        return None
    chosen = api._evidence_from_dict(next(e for e in report["evidence"] if e["candidate"] == key))
    dataset, splits = api._load_splits(config)
    inputs = api._config_inputs(config, dataset)
    seeds = range(config.seed, config.seed + models)
    final, trained = api.train_final_models(
        config, load_space(config.space), inputs, splits, chosen, seeds
    )
    text_column, label_column = config.text_column or "text", config.label_column or "label"
    texts, labels = test_split(test_csv, text_column, label_column)
    truth = np.array([final.classes.index(label) for label in labels])
    ids = final.vocabulary.encode(tokenize_all(texts, inputs.rules), final.sequence_length)
    probabilities = [model.predict(ids, batch_size=512, verbose=0) for model in trained]

    def accuracy(members: list[int]) -> float:
        mean = np.mean([probabilities[i] for i in members], axis=0)
        return float(np.mean(mean.argmax(axis=1) == truth) * 100)

    singles = [accuracy([i]) for i in range(models)]
    averages = {
        k: statistics.mean(
            accuracy([(start + i) % models for i in range(k)]) for start in range(models)
        )
        for k in (2, 3, 5)
        if k <= models
    }
    return {"candidate": key, "singles": singles, "averages": averages}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=Path, required=True)
    parser.add_argument("--sets", nargs="+", default=["mr", "trec", "cr", "sms"])
    parser.add_argument("--models", type=int, default=6, help="trainings per set (K)")
    args = parser.parse_args()
    print("| set | exported | single models % | mean (sd) | average of 2 | of 3 | of 5 |")
    print("|---|---|---|---|---|---|---|")
    for name in args.sets:
        run = args.runs / f"{name}-current"
        row = one_run(run, args.runs / "splits" / name / "test.csv", args.models)
        if row is None:
            print(f"| {name.upper()} | tf-idf: one model (its fit has no seed) | | | | | |")
            continue
        singles, averages = row["singles"], row["averages"]
        cells = [f"{averages[k]:.2f}" if k in averages else "-" for k in (2, 3, 5)]
        print(
            f"| {name.upper()} | {row['candidate']} | "
            + " ".join(f"{s:.1f}" for s in singles)
            + f" | {statistics.mean(singles):.2f} ({statistics.stdev(singles):.2f}) | "
            + " | ".join(cells)
            + " |",
            flush=True,
        )


if __name__ == "__main__":
    main()
