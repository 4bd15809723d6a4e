"""Length-bucketed training batches: every text once per epoch, far less padding."""

from __future__ import annotations

import numpy as np

from recommender.backend import import_keras
from recommender.batches import (
    batch_order,
    batch_width,
    epoch_documents,
    length_batches,
    trailing_padding,
)
from recommender.data import load_dataset
from recommender.prepare import choose_sequence_length
from recommender.text import Vocabulary, tokenize_all
from tests.conftest import EXAMPLES


def real_lengths() -> np.ndarray:
    dataset = load_dataset(EXAMPLES / "customer_reviews.txt")
    return np.array([len(tokens) for tokens in tokenize_all(dataset.texts)])


def test_each_epoch_trains_on_every_text_once_in_batches_of_similar_length() -> None:
    lengths = real_lengths()
    rng = np.random.default_rng(0)
    first = batch_order(lengths, 32, rng)
    second = batch_order(lengths, 32, rng)
    for batches in (first, second):
        rows = np.concatenate(batches)
        assert sorted(rows.tolist()) == list(range(len(lengths)))
        assert all(1 <= len(batch) <= 32 for batch in batches)
    assert not all(np.array_equal(a, b) for a, b in zip(first, second, strict=False))
    spread = np.mean([np.ptp(lengths[batch]) for batch in first])
    shuffled = np.mean(
        [np.ptp(lengths[b]) for b in np.array_split(rng.permutation(len(lengths)), 50)]
    )
    assert spread < shuffled / 3


def test_the_same_seed_gives_the_same_batches() -> None:
    lengths = real_lengths()
    a = batch_order(lengths, 32, np.random.default_rng(7))
    b = batch_order(lengths, 32, np.random.default_rng(7))
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def test_the_first_two_batches_differ_in_width_so_no_backend_fixes_one_shape() -> None:
    lengths = real_lengths()
    batches = batch_order(lengths, 32, np.random.default_rng(0))
    widths = [int(lengths[batch].max()) for batch in batches]
    assert widths[0] == max(widths) and widths[1] == min(widths)


def test_batches_keep_every_token_and_cut_most_of_the_padding() -> None:
    dataset = load_dataset(EXAMPLES / "customer_reviews.txt")
    tokens = tokenize_all(dataset.texts)
    full = choose_sequence_length([len(t) for t in tokens], 400)
    x = Vocabulary.build(tokens).encode(tokens, full)
    y = np.zeros(len(x), dtype=np.int32)
    config = {"encoder": "cnn", "kernel_sizes": "3,4,5"}
    batches = length_batches(x, y, batch_size=32, trailing=trailing_padding(config), seed=0)
    kept = 0
    for index in range(len(batches)):
        ids, labels = batches[index]
        assert len(ids) == len(labels)
        longest = int(np.count_nonzero(ids, axis=1).max())
        assert ids.shape[1] >= min(full, longest + 4)  # a 5-wide window fits on the last token
        kept += ids.size
    assert np.count_nonzero(x) == sum(np.count_nonzero(batches[i][0]) for i in range(len(batches)))
    assert kept < 0.7 * x.size


def test_a_width_is_a_multiple_of_eight_within_the_run_length() -> None:
    assert batch_width(3, 0, 40) == 8
    assert batch_width(9, 4, 40) == 16
    assert batch_width(39, 6, 40) == 40
    assert batch_width(2, 0, 5) == 5


def test_an_epoch_of_a_large_split_is_a_bounded_slice_and_the_passes_cover_every_text() -> None:
    """With `epoch_tokens`, an epoch trains on the texts that hold about that many tokens (its
    cost no longer grows with the data), never one text twice in an epoch, and consecutive
    epochs walk through the whole split before reshuffling; a split of fewer tokens than the
    bound still trains on all of it."""
    import_keras()
    x = np.zeros((1000, 12), dtype=np.int32)
    x[:, 0] = np.arange(1, 1001)  # each row's first id names it
    x[:, 1:5] = 7  # 5 tokens a text
    y = np.zeros(1000, dtype=np.int32)
    assert epoch_documents(x, 1500) == 300 and epoch_documents(x, 0) == 1000
    assert epoch_documents(x, 10**9) == 1000
    batches = length_batches(x, y, batch_size=32, trailing=0, seed=0, epoch_tokens=1500)
    seen = []
    for _epoch in range(4):
        rows = np.concatenate([batches[i][0][:, 0] for i in range(len(batches))])
        assert len(rows) == 300 and len(set(rows.tolist())) == 300
        seen.append(rows)
        batches.on_epoch_end()
    assert len(set(np.concatenate(seen[:3]).tolist())) == 900  # the first pass: all different
    assert len(set(np.concatenate(seen).tolist())) == 1000  # the fourth epoch ends the pass
    whole = length_batches(x, y, batch_size=32, trailing=0, seed=0, epoch_tokens=10**9)
    assert sum(len(whole[i][1]) for i in range(len(whole))) == 1000
