"""Length-bucketed batches: each batch is cut to its longest text, not padded to the run's.

The ids of a run are padded to one length (the 99th percentile), so most short texts are mostly
padding. Training cuts each batch's padding back to its longest text (plus what the widest
convolution needs), after grouping texts of similar length: texts are shuffled, sorted by length
within chunks of `CHUNK_BATCHES` batches, cut into batches, and the batches shuffled. The models
mask their padding (`models.py`), so this changes the cost of a step, not its answer.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from recommender.models import kernel_widths

# Sorting within chunks of this many batches keeps batches of similar length yet still mixes
# the texts of each batch from one epoch to the next.
CHUNK_BATCHES = 50
# Widths are rounded up to a multiple of this, so a backend that compiles per input shape
# (JAX) compiles a few shapes, not one per batch.
WIDTH_STEP = 8
# Padding is cut, never the text: a batch is at least this wide (the narrowest the run uses).
MIN_WIDTH = 8


def trailing_padding(config: dict[str, Any]) -> int:
    """Padding columns a model needs after a batch's longest text to see all of it: the CNN's
    widest window less one (a window starting on the last token must fit)."""
    if config.get("encoder") != "cnn":
        return 0
    return max(kernel_widths(config["kernel_sizes"])) - 1


def batch_width(longest: int, trailing: int, full: int) -> int:
    """Columns kept for a batch whose longest text has `longest` tokens, of the `full` ones."""
    wanted = max(MIN_WIDTH, longest + trailing)
    return min(full, -(-wanted // WIDTH_STEP) * WIDTH_STEP)


def batch_order(
    lengths: np.ndarray, batch_size: int, rng: np.random.Generator | None
) -> list[np.ndarray]:
    """Row indices of each batch. With `rng`: shuffled, sorted by length within chunks, batches
    shuffled. Without: sorted by length (for scoring, where order does not matter).

    The widest batch comes first and the narrowest second: Keras' TensorFlow backend infers
    the batches' shape from the first two, and would take one width for all if they agreed."""
    if len(lengths) == 0:
        return []
    order = rng.permutation(len(lengths)) if rng is not None else np.arange(len(lengths))
    chunk = batch_size * CHUNK_BATCHES if rng is not None else len(lengths)
    batches = []
    for start in range(0, len(order), chunk):
        part = order[start : start + chunk]
        part = part[np.argsort(lengths[part], kind="stable")]
        batches.extend(part[i : i + batch_size] for i in range(0, len(part), batch_size))
    if rng is not None:
        batches = [batches[i] for i in rng.permutation(len(batches))]
    longest = [int(lengths[batch].max()) for batch in batches]
    widest, narrowest = int(np.argmax(longest)), int(np.argmin(longest))
    first = [widest] if widest == narrowest else [widest, narrowest]
    return [batches[i] for i in first] + [b for i, b in enumerate(batches) if i not in first]


def epoch_documents(x: np.ndarray, epoch_tokens: int) -> int:
    """Documents an epoch of these (padded) ids trains on: all of them, or with `epoch_tokens`
    as many as hold about that many tokens at their mean length. The cost of a step grows with
    its tokens, so a bound in tokens bounds an epoch's time for short and long texts alike."""
    if not epoch_tokens or len(x) == 0:
        return len(x)
    mean_length = max(1.0, float(np.count_nonzero(x)) / len(x))
    return min(len(x), max(1, round(epoch_tokens / mean_length)))


def length_batches(
    x: np.ndarray,
    y: np.ndarray,
    *,
    batch_size: int,
    trailing: int,
    seed: int | None,
    epoch_tokens: int = 0,
) -> Any:
    """A `keras.utils.PyDataset` of (ids, labels) batches cut to their width; reshuffled every
    epoch when `seed` is given, sorted by length (for validation) when it is None.

    With `epoch_tokens` (and a seed), an epoch of a split of more tokens is `epoch_documents()`
    documents: the next ones of a shuffled order of the whole split, reshuffled for the next
    pass once all were seen (never one document twice in an epoch), so the cost of an epoch is
    bounded whatever the size of the data (0: every epoch is the whole split)."""
    import keras

    lengths = np.count_nonzero(x, axis=1)
    per_epoch = len(x) if seed is None else epoch_documents(x, epoch_tokens)

    class LengthBatches(keras.utils.PyDataset):
        def __init__(self) -> None:
            super().__init__()
            self.rng = np.random.default_rng(seed) if seed is not None else None
            self.queue = np.arange(0)  # rows still to be seen in this pass over the split
            self.batches = self._order()

        def _order(self) -> list[np.ndarray]:
            if per_epoch == len(x):
                return batch_order(lengths, batch_size, self.rng)
            assert self.rng is not None
            if len(self.queue) < per_epoch:  # the pass ends: the next one, less its first rows
                fresh = self.rng.permutation(len(x))
                fresh = fresh[~np.isin(fresh, self.queue)]
                self.queue = np.concatenate([self.queue, fresh])
            rows, self.queue = self.queue[:per_epoch], self.queue[per_epoch:]
            return [rows[batch] for batch in batch_order(lengths[rows], batch_size, self.rng)]

        def __len__(self) -> int:
            return len(self.batches)

        def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
            rows = self.batches[index]
            width = batch_width(int(lengths[rows].max()), trailing, x.shape[1])
            return x[rows, :width], y[rows]

        def on_epoch_end(self) -> None:
            if self.rng is not None:
                self.batches = self._order()

    return LengthBatches()
