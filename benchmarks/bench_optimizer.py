"""What an epoch costs with Keras' Adam and with embrec's (TensorFlow's fused kernel), in one run.

The data is prepared as `recommend` prepares it (embrec's split, seed 0; the built-in GloVe 6B
50d) and each model is trained as the search trains it (batches cut to their longest text, 16
steps per backend call, batch 64), once with Keras' Adam and once with
`recommender.optimizers.adam`, from the same seed. The models are mean pooling over a frozen
embedding (the floor: what the rest of a step costs), a fine-tuned one, and learned ones of 50
and 100 dimensions, and Kim's CNN (64 filters of widths 3, 4, 5) over a fine-tuned embedding.

    python benchmarks/bench_optimizer.py [DATA] [--epochs 5]

DATA defaults to MR (../shared/data/datasets/mr/rt-polarity.all). Printed per model: the median
seconds of an epoch after the first (which also traces the step), how many times faster embrec's
Adam is, and the best validation accuracy each reached in those epochs (the same method should
learn the same).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = Path(os.environ.get("EMBREC_SHARED_DATA", ROOT.parent / "shared" / "data"))
MR = SHARED / "datasets" / "mr" / "rt-polarity.all"
VECTORS = "glove-6b-50d"
POOL = {"encoder": "pool", "pooling": "mean", "hidden_units": 0}
CNN = {"encoder": "cnn", "filters": 64, "kernel_sizes": "3,4,5"}
MODELS = {
    "frozen + pool": ("frozen", POOL),
    "fine-tuned + pool": ("fine-tuned", POOL),
    "learned 50d + pool": ("learned", {**POOL, "embedding_dim": 50}),
    "learned 100d + pool": ("learned", {**POOL, "embedding_dim": 100}),
    "fine-tuned + cnn": ("fine-tuned", CNN),
}


def prepared_data(data: Path) -> Any:
    from recommender.config import RunConfig
    from recommender.data import load_dataset, split
    from recommender.prepare import prepare
    from recommender.text import tokenize_all
    from recommender.vectors import load_vectors

    run = RunConfig(data=str(data), out="")  # its defaults only
    dataset = load_dataset(str(data))
    tokens = tokenize_all(dataset.texts)
    splits = split(
        dataset.labels,
        test_fraction=run.test_fraction,
        validation_fraction=run.validation_fraction,
        seed=0,
    )
    vectors = load_vectors(VECTORS, {token for document in tokens for token in document})
    return prepare(
        tokens,
        dataset.labels,
        splits,
        [vectors],
        max_vocabulary=run.max_vocabulary,
        max_length=run.max_length,
        seed=0,
    )


def train(prepared: Any, strategy: str, config: dict[str, Any], optimizer: str, epochs: int):
    """(median seconds of the epochs after the first, best validation accuracy)."""
    import keras

    from recommender.batches import length_batches, trailing_padding
    from recommender.models import STEPS_PER_EXECUTION, Candidate, build_model
    from recommender.search.trial import validation_batches

    config = {**config, "learning_rate": 2e-3, "dropout": 0.3}
    candidate = Candidate(strategy, None if strategy == "learned" else VECTORS)
    keras.utils.set_random_seed(0)
    model = build_model(  # compiled with embrec's Adam
        candidate,
        config,
        vocabulary_size=len(prepared.vocabulary),
        num_classes=len(prepared.classes),
        embedding_matrix=prepared.matrices.get(candidate.vectors),
        covered=prepared.covered.get(candidate.vectors),
    )
    if optimizer == "keras":
        model.compile(
            optimizer=keras.optimizers.Adam(learning_rate=config["learning_rate"]),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
            steps_per_execution=STEPS_PER_EXECUTION,
        )
    trailing = trailing_padding(config)
    batches = length_batches(
        prepared.x["train"], prepared.y["train"], batch_size=64, trailing=trailing, seed=0
    )
    validation = validation_batches(prepared, trailing)
    seconds: list[float] = []
    accuracies: list[float] = []

    class Clock(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
            self.started = time.perf_counter()

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            seconds.append(time.perf_counter() - self.started)
            accuracies.append(float(logs["val_accuracy"]))

    model.fit(batches, validation_data=validation, epochs=epochs, callbacks=[Clock()], verbose=0)
    return statistics.median(seconds[1:]), max(accuracies)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("data", nargs="?", type=Path, default=MR)
    parser.add_argument("--epochs", type=int, default=5)
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras

    prepared = prepared_data(args.data)
    print(
        f"data: {args.data}; {len(prepared.x['train'])} training texts, "
        f"{len(prepared.vocabulary)} words; backend {keras.backend.backend()}; "
        f"cpus {os.cpu_count()}; {args.epochs} epochs"
    )
    header = f"{'model':22} {'Keras Adam s/epoch':>19} {'embrec Adam':>12} {'faster':>7}"
    print(f"{header}  best val acc (Keras / embrec)")
    for name, (strategy, config) in MODELS.items():
        theirs, their_accuracy = train(prepared, strategy, config, "keras", args.epochs)
        ours, our_accuracy = train(prepared, strategy, config, "embrec", args.epochs)
        print(
            f"{name:22} {theirs:>19.2f} {ours:>12.2f} {theirs / ours:>6.1f}x  "
            f"{their_accuracy:.3f} / {our_accuracy:.3f}"
        )


if __name__ == "__main__":
    main()
