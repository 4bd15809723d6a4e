"""Small real data and a tiny search space for tests that train models."""

from __future__ import annotations

from pathlib import Path

from recommender.data import load_dataset, split
from recommender.prepare import Prepared, prepare
from recommender.text import tokenize_all
from recommender.vectors import load_vectors
from tests.conftest import EXAMPLES

TINY_SPACE = """
[search]
trials_per_strategy = 2
max_epochs = 2
patience = 1
batch_size = 32
strategies = ["learned", "frozen", "fine-tuned"]
encoders = ["pool", "cnn"]

[common]
learning_rate = { low = 3e-3, high = 1e-2, log = true }
dropout = { low = 0.0, high = 0.3 }

[encoder.pool]
pooling = { choices = ["mean", "mean-max"] }
hidden_units = { choices = [0, 16] }

[encoder.cnn]
filters = { choices = [8] }
kernel_sizes = { choices = ["2,3"] }

[strategy.learned]
embedding_dim = { choices = [16] }
"""


def write_tiny_space(folder: Path) -> Path:
    path = folder / "tiny.toml"
    path.write_text(TINY_SPACE)
    return path


def write_failing_space(folder: Path, sequence_length: int) -> Path:
    """The tiny space with only a convolution wider than every padded text: each trial fails
    the same way."""
    path = write_tiny_space(folder)
    too_wide = sequence_length + 5
    path.write_text(
        path.read_text()
        .replace('encoders = ["pool", "cnn"]', 'encoders = ["cnn"]')
        .replace(
            'kernel_sizes = { choices = ["2,3"] }', f'kernel_sizes = {{ choices = ["{too_wide}"] }}'
        )
    )
    return path


def write_reviews_sample(source: Path, target: Path, every: int = 9) -> Path:
    """Every n-th line of a real 'LABEL text' file: both classes, a few hundred documents."""
    lines = source.read_text(encoding="utf-8").split("\n")
    target.write_text("\n".join(lines[::every]) + "\n", encoding="utf-8")
    return target


def tiny_prepared() -> Prepared:
    """Every 8th real customer review (both classes), encoded with the built-in GloVe."""
    dataset = load_dataset(EXAMPLES / "customer_reviews.txt")
    keep = list(range(0, len(dataset), 8))
    tokens = tokenize_all([dataset.texts[i] for i in keep])
    labels = [dataset.labels[i] for i in keep]
    vectors = load_vectors("glove-6b-50d", {t for doc in tokens for t in doc})
    return prepare(
        tokens, labels, split(labels, seed=0), [vectors], max_vocabulary=5000, max_length=40, seed=0
    )
