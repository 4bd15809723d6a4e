"""Small real data and a tiny search space for tests that train models."""

from __future__ import annotations

from pathlib import Path

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
