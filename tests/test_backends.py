"""Every strategy x encoder (and the tf-idf model) builds and trains under the JAX and PyTorch
backends too: the models use only `keras.layers` and `keras.ops`, and training only numpy arrays
(no `tf.data`)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys

import pytest

# Runs in a fresh interpreter (the backend is chosen when Keras is first imported): trains each
# combination on tiny arrays and prints, per combination, the epochs run and the probabilities
# of an empty text and of a short one.
SCRIPT = """
import json
import numpy as np
import keras
from recommender.models import ENCODERS, LINEAR, OWN_STRATEGIES, STRATEGIES, TFIDF, Candidate
from recommender.prepare import Prepared
from recommender.search.trial import fit_candidate
from recommender.text import Vocabulary

rng = np.random.default_rng(0)
vocabulary = Vocabulary(tuple(f"w{i}" for i in range(20)))
size = len(vocabulary)
x, y = {}, {}
for name in ("train", "validation", "test"):
    ids = rng.integers(1, size, size=(24, 8)).astype(np.int32)
    for row, length in enumerate(rng.integers(0, 9, size=24)):
        ids[row, length:] = 0  # right-padded, some texts empty
    x[name], y[name] = ids, rng.integers(0, 3, size=24).astype(np.int32)
matrix = rng.normal(size=(size, 6)).astype(np.float32)
matrix[0] = 0
covered = rng.random(size) < 0.7
covered[:2] = False
prepared = Prepared(("a", "b", "c"), vocabulary, 8, x, y, {"v": matrix}, {"v": covered})
config = {
    "learning_rate": 0.01, "dropout": 0.1, "embedding_dim": 6, "oov_init": "mean",
    "pooling": "mean-max", "hidden_units": 4, "filters": 4, "kernel_sizes": "2,3",
    "cell": "gru", "units": 4, "warmup_epochs": 1, "embedding_lr_scale": 0.1,
}
texts = np.zeros((2, 8), dtype=np.int32)
texts[1, :3] = [4, 5, 6]
results = {"backend": keras.backend.backend()}
for strategy in STRATEGIES:
    for encoder in (LINEAR,) if strategy == TFIDF else ENCODERS:
        candidate = Candidate(strategy, None if strategy in OWN_STRATEGIES else "v")
        # frozen-then-tuned: both phases, through early stopping on validation; the others one
        # epoch without validation (the final model's path)
        phases = {"max_epochs": 2, "patience": 1} if strategy == "frozen-then-tuned" else {
            "max_epochs": 1, "patience": 1, "fixed_epochs": 1}
        outcome = fit_candidate(
            candidate, {**config, "encoder": encoder}, prepared, seed=0, batch_size=8, **phases
        )
        probabilities = outcome.model.predict(texts, verbose=0)
        results[f"{candidate.key} {encoder}"] = [outcome.epochs_run, probabilities.tolist()]
print(json.dumps(results))
"""


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_every_strategy_and_encoder_trains_under_another_backend(backend: str) -> None:
    if importlib.util.find_spec(backend) is None:
        pytest.skip(f"{backend} is not installed")
    env = {**os.environ, "KERAS_BACKEND": backend, "CUDA_VISIBLE_DEVICES": ""}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=900
    )
    assert done.returncode == 0, done.stderr[-4000:]
    results = json.loads(done.stdout.strip().splitlines()[-1])
    assert results.pop("backend") == backend
    assert len(results) == 6 * 3 + 1  # six embedding strategies x three encoders, and tf-idf
    for combination, (epochs, probabilities) in results.items():
        assert epochs == (2 if combination.startswith("frozen-then-tuned") else 1), combination
        for row in probabilities:
            assert all(0 <= p <= 1 for p in row) and sum(row) == pytest.approx(1, abs=1e-5)
