"""What the exported model's tokenising front costs under each set of tokeniser rules.

The front of every exported model is a `TextVectorization` (vocabulary of the texts, 400 ids
out); this times it alone, traced, on 1,000 real IMDB reviews (about 1,300 characters each) and
1,000 Chinese reviews (`examples/chinese_reviews.csv`), under the ascii rules (Keras' built-in
step) and the unicode rules with words and with characters (`recommender.keras_text`).

    python benchmarks/bench_front.py

A few seconds on 2 cores.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from recommender.backend import import_keras
from recommender.data import load_dataset
from recommender.export import _standardize
from recommender.text import ASCII_RULES, DEFAULT_RULES, Rules, Vocabulary, tokenize_all

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("EMBREC_SHARED_DATA", ROOT.parent / "shared" / "data"))
REPEATS = 3


def main() -> None:
    keras = import_keras()
    import tensorflow as tf

    sets = {
        "imdb": load_dataset(str(SHARED / "datasets/imdb/imdb_train.part00.csv")).texts[:1000],
        "chinese": load_dataset(str(ROOT / "examples/chinese_reviews.csv")).texts[:1000],
    }
    for name, texts in sets.items():
        for rules in (ASCII_RULES, DEFAULT_RULES, Rules(characters=True)):
            vocabulary = Vocabulary.build(tokenize_all(texts, rules), 20_000)
            front = tf.function(
                keras.layers.TextVectorization(
                    standardize=_standardize(rules),
                    split="whitespace",
                    output_sequence_length=400,
                    vocabulary=list(vocabulary.words),
                )
            )
            batch = tf.constant(list(texts))
            front(batch)  # traced once
            started = time.perf_counter()
            for _ in range(REPEATS):
                front(batch)
            seconds = (time.perf_counter() - started) / REPEATS
            print(f"{name:8} {rules.describe():45} {seconds * 1000:6.0f} ms per 1,000 texts")


if __name__ == "__main__":
    main()
