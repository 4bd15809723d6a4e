"""The tf-idf option against the scikit-learn TF-IDF yardstick it mirrors, on the same split.

The tf-idf option is a Keras model (`models._tfidf_model`) whose weights are a logistic
regression's, C by cross-validation (`linear.fit_tfidf`); the yardstick is scikit-learn's
`TfidfVectorizer(sublinear_tf=True)` of word 1-2 grams and a logistic regression, C by
cross-validation (`yardsticks.run_yardsticks`). They should score alike: the option hashes its
word pairs into rows and caps its vocabulary at 50,000 words, the yardstick keeps every term.

For each set, on the fixed splits of ../shared/ANCHORS.md (written by
`../shared/data/given_splits.py`; the validation split drawn from the training file as embrec
draws it) and with `imdb` on IMDB's official halves (24,996 reviews each; 13% of the training
reviews are longer than 400 tokens, the most a run encodes): the option trained as the evidence
trains it (`evidence.seed_run`, on the training split), the yardstick fitted on the same
training split; both scored once on the test split. Printed: a row per set with both
accuracies, their difference and the option's seconds (cross-validation included).

    python benchmarks/bench_tfidf.py [--sets mr cr sms trec imdb]

About 5 minutes on 2 cores with every set (IMDB most of it).
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = Path(os.environ.get("EMBREC_SHARED_DATA", ROOT.parent / "shared" / "data"))


def write_imdb(folder: Path) -> None:
    """IMDB's official halves as `label,text` train.csv and test.csv in `folder`."""
    csv.field_size_limit(1 << 30)
    folder.mkdir(parents=True, exist_ok=True)
    for part in ("train", "test"):
        with (folder / f"{part}.csv").open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(["label", "text"])
            for path in sorted((SHARED / "datasets" / "imdb").glob(f"imdb_{part}.part*.csv")):
                with path.open(newline="", encoding="utf-8") as handle:
                    for row in csv.DictReader(handle):
                        writer.writerow([row["label"], row["text"]])


def one_set(folder: Path) -> tuple[float, float, float]:
    """(option %, yardstick %, the option's seconds) on one set's split."""
    from recommender.data import load_splits
    from recommender.evidence import seed_run
    from recommender.models import AUTO_BUCKETS, LINEAR, TFIDF, Candidate
    from recommender.prepare import prepare
    from recommender.space import load_space
    from recommender.text import tokenize_all
    from recommender.yardsticks import run_yardsticks

    dataset, splits = load_splits(folder / "train.csv", test=folder / "test.csv", seed=0)
    tokens = tokenize_all(dataset.texts)
    prepared = prepare(
        tokens, dataset.labels, splits, [], max_vocabulary=50_000, max_length=400, seed=0
    )
    config = {"encoder": LINEAR, "bigram_buckets": AUTO_BUCKETS}
    started = time.perf_counter()
    run, _ = seed_run(Candidate(TFIDF), config, prepared, load_space("quick"), 0)
    seconds = time.perf_counter() - started
    yardstick = run_yardsticks(
        dataset.texts.take(splits.train),
        prepared.y["train"],
        dataset.texts.take(splits.test),
        prepared.y["test"],
        len(prepared.classes),
        seed=0,
    )[0]
    return 100 * run.accuracy, 100 * yardstick.accuracy_mean, seconds


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", default=["mr", "cr", "sms", "trec", "imdb"])
    args = parser.parse_args(argv)
    splits_dir = Path(tempfile.mkdtemp(prefix="bench-tfidf-"))
    subprocess.run([sys.executable, str(SHARED / "given_splits.py"), str(splits_dir)], check=True)
    if "imdb" in args.sets:
        write_imdb(splits_dir / "imdb")
    print("| set | tf-idf option % | TF-IDF yardstick % | option minus yardstick | option s |")
    print("|---|---|---|---|---|")
    for name in args.sets:
        option, yardstick, seconds = one_set(splits_dir / name)
        print(
            f"| {name} | {option:.2f} | {yardstick:.2f} | {option - yardstick:+.2f} | "
            f"{seconds:.0f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
