"""What does cutting long texts cost? The head alone against head and tail, on IMDB.

A run encodes every text to one sequence length (the 99th percentile of the training texts'
lengths, at most 400 tokens); a longer text keeps its first quarter of that length and its last
three quarters (`text.head_length`), where it used to keep its first tokens only. IMDB's
reviews are the given set with long texts (13% of the 25,000 training reviews are past 400
tokens): trained on its official training half, scored on its official test half (25,000), each
model is fitted on the texts cut three ways:

- head: the first 400 tokens (the previous cut);
- head+tail: embrec's cut (`Vocabulary.encode`);
- whole: no cut (TF-IDF only: an embedding model needs one length).

Models: `tfidf`, TF-IDF word 1-2 grams (sublinear tf) + logistic regression with C = 16 (one
fit; what the cut changes, not the best C); `pool`, embrec's learned embedding (100 dimensions)
with mean-max pooling, 3 epochs of Adam (learning rate 2e-3, batch 64), `--seeds` seeds;
`cnn`, the same with Kim's CNN (100 filters of widths 3, 4 and 5), 2 epochs (slow: about
5 minutes an epoch on 2 cores). Printed: test accuracy % per model and cut, and head+tail's
difference to the head.

    python benchmarks/bench_cut.py [--models tfidf pool cnn] [--seeds 2]

About 8 minutes on 2 cores with the defaults (`tfidf pool`).
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = Path(os.environ.get("EMBREC_SHARED_DATA", ROOT.parent / "shared" / "data"))
LENGTH = 400


def imdb(part: str) -> tuple[list[list[str]], np.ndarray]:
    """IMDB's official half `part` (train or test), tokenised by embrec's default rules."""
    from recommender.text import DEFAULT_RULES, tokenize

    tokens, labels = [], []
    csv.field_size_limit(1 << 30)
    for path in sorted((SHARED / "datasets" / "imdb").glob(f"imdb_{part}.part*.csv")):
        with path.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                tokens.append(tokenize(row["text"], DEFAULT_RULES))
                labels.append(int(row["label"] == "pos"))
    return tokens, np.array(labels, dtype=np.int32)


def tfidf(train: list[list[str]], y: np.ndarray, test: list[list[str]], t: np.ndarray) -> float:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    def grams(words: list[str]) -> list[str]:
        return words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]

    vectorizer = TfidfVectorizer(analyzer=grams, sublinear_tf=True)
    model = LogisticRegression(C=16.0, solver="liblinear").fit(vectorizer.fit_transform(train), y)
    return 100 * float(np.mean(model.predict(vectorizer.transform(test)) == t))


def neural(
    encoder: str,
    x: np.ndarray,
    y: np.ndarray,
    xt: np.ndarray,
    t: np.ndarray,
    vocabulary_size: int,
    seed: int,
) -> float:
    import keras

    from recommender.batches import length_batches, trailing_padding
    from recommender.models import Candidate, build_model

    keras.utils.set_random_seed(seed)
    config = {"encoder": encoder, "embedding_dim": 100, "dropout": 0.3, "learning_rate": 2e-3}
    config |= (
        {"pooling": "mean-max", "hidden_units": 0}
        if encoder == "pool"
        else {"filters": 100, "kernel_sizes": "3,4,5"}
    )
    model = build_model(
        Candidate("learned"),
        config,
        vocabulary_size=vocabulary_size,
        num_classes=2,
        embedding_matrix=None,
        covered=None,
    )
    trailing = trailing_padding(config)
    batches = length_batches(x, y, batch_size=64, trailing=trailing, seed=seed)
    model.fit(batches, epochs=3 if encoder == "pool" else 2, verbose=0)
    test = length_batches(xt, t, batch_size=256, trailing=trailing, seed=None)
    return 100 * float(model.evaluate(test, verbose=0)[1])


def main(argv: list[str] | None = None) -> None:
    from recommender.text import Vocabulary, head_length

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--models", nargs="+", default=["tfidf", "pool"], choices=["tfidf", "pool", "cnn"]
    )
    parser.add_argument("--seeds", type=int, default=2)
    args = parser.parse_args(argv)
    train, y = imdb("train")
    test, t = imdb("test")
    past = np.mean([len(words) > LENGTH for words in train])
    print(
        f"IMDB: {len(train):,} training and {len(test):,} test reviews; {100 * past:.1f}% of "
        f"the training reviews past {LENGTH} tokens; head+tail keeps the first "
        f"{head_length(LENGTH)} and the last {LENGTH - head_length(LENGTH)}"
    )
    head = head_length(LENGTH)

    def cut(words: list[str], how: str) -> list[str]:
        if how == "head" or len(words) <= LENGTH:
            return words[:LENGTH]
        return words[:head] + words[len(words) - (LENGTH - head) :]

    print("| model | head % | head+tail % | whole % | head+tail minus head |")
    print("|---|---|---|---|---|")
    if "tfidf" in args.models:
        scores = {
            how: tfidf([cut(w, how) for w in train], y, [cut(w, how) for w in test], t)
            for how in ("head", "tail")
        }
        whole = tfidf(train, y, test, t)
        print(
            f"| TF-IDF + LR | {scores['head']:.2f} | {scores['tail']:.2f} | {whole:.2f} | "
            f"{scores['tail'] - scores['head']:+.2f} |",
            flush=True,
        )
    vocabulary = Vocabulary.build(train, max_size=50_000)
    encoded = {
        how: (
            vocabulary.encode([cut(w, how) for w in train], LENGTH),
            vocabulary.encode([cut(w, how) for w in test], LENGTH),
        )
        for how in ("head", "tail")
    }
    assert np.array_equal(encoded["tail"][0], vocabulary.encode(train, LENGTH))  # embrec's cut
    for encoder in [m for m in args.models if m != "tfidf"]:
        scores = {
            how: [neural(encoder, x, y, xt, t, len(vocabulary), seed) for seed in range(args.seeds)]
            for how, (x, xt) in encoded.items()
        }
        mean = {how: statistics.mean(values) for how, values in scores.items()}
        each = {how: "/".join(f"{v:.2f}" for v in values) for how, values in scores.items()}
        print(
            f"| learned + {encoder} ({args.seeds} seeds) | {mean['head']:.2f} ({each['head']}) "
            f"| {mean['tail']:.2f} ({each['tail']}) | - | {mean['tail'] - mean['head']:+.2f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
