"""What a trainable embedding costs per epoch with Keras' Adam and with embrec's, in one run.

One model (an embedding, mean pooling, a softmax) is trained for one epoch on random word ids
(7,424 texts of 24 words, batch 64, 16 steps per backend call, as the quick space trains) at
several vocabulary sizes, three ways: the embedding frozen (the floor: what the rest of the
step costs), trainable with Keras' Adam, and trainable with `recommender.optimizers.adam`
(TensorFlow's fused Adam kernel). Each figure is the median of `--repeats` epochs after one
warm-up epoch (the first traces the step).

    python benchmarks/bench_optimizer.py [--vocabularies 1000 17000 100000] [--dim 50]

Printed: seconds per epoch of each, and how many times faster embrec's Adam is than Keras'.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TEXTS, WORDS, BATCH = 7424, 24, 64


def epoch_seconds(vocabulary: int, dim: int, how: str, repeats: int) -> float:
    """Median seconds of an epoch, after a warm-up epoch."""
    import keras
    import numpy as np
    from keras import ops

    from recommender.optimizers import adam

    rng = np.random.default_rng(0)
    x = rng.integers(1, vocabulary, size=(TEXTS, WORDS)).astype("int32")
    y = rng.integers(0, 2, size=TEXTS).astype("int32")
    keras.utils.set_random_seed(0)
    ids = keras.Input(shape=(None,), dtype="int32")
    vectors = keras.layers.Embedding(vocabulary, dim, trainable=how != "frozen")(ids)
    probabilities = keras.layers.Dense(2, activation="softmax")(ops.mean(vectors, axis=1))
    model = keras.Model(ids, probabilities)
    optimizer = keras.optimizers.Adam(1e-3) if how == "keras-adam" else adam(1e-3)
    model.compile(optimizer, "sparse_categorical_crossentropy", steps_per_execution=16)
    model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--vocabularies", nargs="+", type=int, default=[1000, 17000, 100000])
    parser.add_argument("--dim", type=int, default=50)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras

    print(f"backend: {keras.backend.backend()}; cpus: {os.cpu_count()}; dim: {args.dim}")
    print(f"{'words':>8} {'frozen s':>9} {'Keras Adam s':>13} {'embrec Adam s':>14} {'faster':>7}")
    for vocabulary in args.vocabularies:
        frozen, keras_adam, ours = (
            epoch_seconds(vocabulary, args.dim, how, args.repeats)
            for how in ("frozen", "keras-adam", "embrec-adam")
        )
        print(
            f"{vocabulary:>8} {frozen:>9.2f} {keras_adam:>13.2f} {ours:>14.2f} "
            f"{keras_adam / ours:>6.1f}x"
        )


if __name__ == "__main__":
    main()
