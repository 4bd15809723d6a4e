"""Preprocessing once per run, and what each embedding strategy does to its matrix."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from recommender.backend import import_keras
from recommender.batches import batch_width, trailing_padding
from recommender.data import load_dataset, split, stratified_sample
from recommender.models import (
    BIGRAM_MULTIPLIER,
    MAX_BIGRAM_BUCKETS,
    MIN_AUTO_BUCKETS,
    PAIR_ROOM,
    STRATEGIES,
    Candidate,
    bigram_ids,
    bucket_count,
    build_model,
    candidates_for,
    initial_matrix,
    parameter_counts,
    token_counts,
)
from recommender.prepare import MIN_SEQUENCE_LENGTH, choose_sequence_length, prepare
from recommender.search.trial import VALIDATION_BATCH_SIZE, fit_candidate, predict_split
from recommender.text import tokenize_all
from recommender.vectors import load_vectors
from tests.conftest import EXAMPLES


@pytest.fixture(scope="module")
def prepared():
    dataset = load_dataset(EXAMPLES / "customer_reviews.txt")
    keep = list(range(0, len(dataset), 6))  # ~630 real reviews, both classes
    texts = [dataset.texts[i] for i in keep]
    labels = [dataset.labels[i] for i in keep]
    tokens = tokenize_all(texts)
    vectors = load_vectors("glove-6b-50d", {t for doc in tokens for t in doc})
    splits = split(labels, seed=0)
    result = prepare(tokens, labels, splits, [vectors], max_vocabulary=5000, max_length=60, seed=0)
    return result, tokens, splits, vectors


def test_vocabulary_comes_from_the_training_split_only(prepared) -> None:
    result, tokens, splits, _ = prepared
    train_words = {t for i in splits.train for t in tokens[i]}
    assert set(result.vocabulary.words) == train_words
    test_only = {t for i in splits.test for t in tokens[i]} - train_words
    assert test_only, "the sample should have words seen only in the test split"
    assert np.isin(1, result.x["test"]), "test-only words map to the OOV id"


def test_arrays_are_aligned_with_the_splits(prepared) -> None:
    result, _, splits, _ = prepared
    for name in ("train", "validation", "test"):
        assert result.x[name].shape == (len(getattr(splits, name)), result.sequence_length)
        assert len(result.y[name]) == len(getattr(splits, name))
    assert result.classes == ("0", "1")


def test_embedding_matrix_holds_the_pretrained_rows(prepared) -> None:
    result, _, _, vectors = prepared
    matrix = result.matrices[vectors.name]
    assert matrix.shape == (len(result.vocabulary), 50)
    assert not matrix[0].any(), "padding row is zero"
    row = result.vocabulary.index("the")
    np.testing.assert_allclose(matrix[row][:3], [0.418, 0.24968, -0.41242], rtol=1e-5)


def test_covered_rows_are_the_words_the_vectors_know(prepared) -> None:
    result, _, _, vectors = prepared
    covered = result.covered[vectors.name]
    assert covered.dtype == bool and covered.shape == (len(result.vocabulary),)
    assert not covered[0] and not covered[1], "padding and the OOV id have no vector"
    for position, word in enumerate(result.vocabulary.words, start=2):
        assert covered[position] == (vectors.lookup(word)[0] is not None)
    assert 0.5 < covered.mean() < 1, "real reviews: most words covered, some not"


def test_sequence_length_is_the_99th_percentile_within_bounds() -> None:
    assert choose_sequence_length(list(range(1, 101)), 400) == 100
    assert choose_sequence_length([5000] * 10, 400) == 400
    assert choose_sequence_length([1, 2], 400) == MIN_SEQUENCE_LENGTH


def test_candidates_pair_each_pretrained_strategy_with_each_vectors_source() -> None:
    keys = [c.key for c in candidates_for(("learned", "frozen", "fine-tuned"), ("a", "b"))]
    assert keys == ["learned", "frozen:a", "frozen:b", "fine-tuned:a", "fine-tuned:b"]
    every = [c.key for c in candidates_for(STRATEGIES, ("a",))]
    assert every == [
        "learned",
        "frozen:a",
        "fine-tuned:a",
        "multichannel:a",
        "frozen-then-tuned:a",
        "frozen-oov:a",
        "tf-idf",  # no vectors: once, whatever the sources
    ]
    assert Candidate.from_key("frozen:a.vec") == Candidate("frozen", "a.vec")


def _embedding(model) -> np.ndarray:
    return np.array(model.get_layer("embedding").get_weights()[0])


@pytest.mark.parametrize("encoder", ["pool", "cnn"])
def test_frozen_keeps_and_fine_tuned_changes_the_pretrained_matrix(prepared, encoder) -> None:
    result, _, _, vectors = prepared
    config = {
        "encoder": encoder,
        "learning_rate": 0.01,
        "dropout": 0.1,
        "pooling": "mean",
        "hidden_units": 0,
        "filters": 8,
        "kernel_sizes": "2,3",
    }
    before = result.matrices[vectors.name]
    frozen = fit_candidate(
        Candidate("frozen", vectors.name),
        config,
        result,
        seed=0,
        max_epochs=1,
        patience=1,
        batch_size=32,
    )
    tuned = fit_candidate(
        Candidate("fine-tuned", vectors.name),
        config,
        result,
        seed=0,
        max_epochs=1,
        patience=1,
        batch_size=32,
    )
    np.testing.assert_array_equal(_embedding(frozen.model), before)
    assert not np.allclose(_embedding(tuned.model), before)
    assert 0.0 <= frozen.val_accuracy <= 1.0 and frozen.best_epoch == 1


def test_learned_embedding_takes_the_searched_dimension(prepared) -> None:
    result, _, _, _ = prepared
    import_keras()
    model = build_model(
        Candidate("learned"),
        {
            "encoder": "cnn",
            "learning_rate": 1e-3,
            "dropout": 0.5,
            "embedding_dim": 24,
            "filters": 4,
            "kernel_sizes": "3,4,5",
        },
        vocabulary_size=len(result.vocabulary),
        num_classes=2,
        embedding_matrix=None,
        covered=None,
    )
    assert _embedding(model).shape == (len(result.vocabulary), 24)
    assert model.output_shape == (None, 2)


@pytest.mark.parametrize("pooling", ["mean", "max", "mean-max"])
@pytest.mark.parametrize("strategy", ["learned", "frozen"])
def test_an_empty_text_gets_finite_probabilities(prepared, pooling, strategy) -> None:
    result, _, _, vectors = prepared
    import_keras()
    candidate = Candidate(strategy, None if strategy == "learned" else vectors.name)
    model = build_model(
        candidate,
        {
            "encoder": "pool",
            "pooling": pooling,
            "hidden_units": 8,
            "learning_rate": 1e-3,
            "dropout": 0.1,
            "embedding_dim": 8,
        },
        vocabulary_size=len(result.vocabulary),
        num_classes=2,
        embedding_matrix=result.matrices[vectors.name],
        covered=result.covered[vectors.name],
    )
    empty = np.zeros((2, result.sequence_length), dtype=np.int32)
    probabilities = model.predict(empty, verbose=0)
    assert np.isfinite(probabilities).all()
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


CONFIG = {
    "encoder": "pool",
    "learning_rate": 0.01,
    "dropout": 0.1,
    "pooling": "mean",
    "hidden_units": 0,
}


def _fit(result, vectors, strategy: str, config: dict, **options):
    options = {"seed": 0, "max_epochs": 1, "patience": 1, "batch_size": 32, **options}
    return fit_candidate(Candidate(strategy, vectors.name), config, result, **options)


def _uncovered(result, vectors) -> np.ndarray:
    """Rows that should learn under frozen-oov: every uncovered word and the OOV id (not 0)."""
    uncovered = ~result.covered[vectors.name]
    uncovered[0] = False
    return uncovered


@pytest.mark.parametrize("limit", [0, 20])
def test_a_trial_is_scored_on_the_validation_sample_it_is_given(prepared, limit) -> None:
    """With `validation_documents`, the accuracy a trial reports (and stops early on) is the
    model's on `batches.stratified_sample` of the validation split; with 0, on all of it."""
    result, _, _, vectors = prepared
    outcome = _fit(result, vectors, "fine-tuned", CONFIG, validation_documents=limit)
    y = result.y["validation"]
    rows = stratified_sample(y, limit)
    assert len(rows) == (len(y) if limit == 0 else pytest.approx(limit, abs=2))
    predicted = outcome.model.predict(result.x["validation"][rows], verbose=0).argmax(axis=1)
    assert outcome.val_accuracy == pytest.approx(float(np.mean(predicted == y[rows])), abs=1e-6)


@pytest.mark.parametrize("encoder", ["pool", "cnn"])
def test_a_split_is_predicted_in_length_batches_with_the_full_widths_answer(
    prepared, encoder
) -> None:
    """The evidence scores its test split in batches cut to their texts' length: every row's
    probabilities are those of the full-width padded ids, in the split's order (several
    batches of texts of mixed lengths here)."""
    result, _, _, vectors = prepared
    config = {**CONFIG, "encoder": encoder, "filters": 4, "kernel_sizes": "3,4,5"}
    model = _fit(result, vectors, "fine-tuned", config).model
    x = np.concatenate([result.x["train"], result.x["test"]])
    assert len(x) > 2 * VALIDATION_BATCH_SIZE and len(set(np.count_nonzero(x, axis=1))) > 10
    full = model.predict(x, verbose=0)
    np.testing.assert_allclose(predict_split(model, x, config), full, atol=1e-5)


def test_frozen_oov_learns_only_the_rows_the_vectors_do_not_cover(prepared) -> None:
    result, _, _, vectors = prepared
    before = result.matrices[vectors.name]
    model = _fit(result, vectors, "frozen-oov", CONFIG).model
    slots = np.asarray(model.get_layer("oov_slot").get_weights()[0])[:, 0].astype(int)
    correction = np.asarray(model.get_layer("embedding_oov").get_weights()[0])
    used = np.asarray(model.get_layer("embedding").get_weights()[0]) + correction[slots]
    uncovered = _uncovered(result, vectors)
    np.testing.assert_array_equal(used[~uncovered], before[~uncovered])
    changed = np.abs(used - before).max(axis=1) > 0
    trained = np.zeros(len(before), dtype=bool)
    trained[np.unique(result.x["train"])] = True  # (the OOV id 1 never occurs in training)
    assert (uncovered & trained).sum() > 10 and changed[uncovered & trained].all()
    # only the uncovered rows (plus one unused row) count as trainable, so cost is honest
    assert correction.shape == (uncovered.sum() + 1, before.shape[1])
    trainable, _ = parameter_counts(model)
    assert trainable == correction.size + before.shape[1] * 2 + 2


def test_multichannel_keeps_one_copy_and_tunes_the_other(prepared) -> None:
    result, _, _, vectors = prepared
    before = result.matrices[vectors.name]
    model = _fit(
        result,
        vectors,
        "multichannel",
        {**CONFIG, "encoder": "cnn", "filters": 4, "kernel_sizes": "2"},
    ).model
    np.testing.assert_array_equal(_embedding(model), before)
    tuned = np.asarray(model.get_layer("embedding_tuned").get_weights()[0])
    assert not np.allclose(tuned, before)
    assert model.get_layer("channels").output.shape[-1] == 2 * before.shape[1]


def test_frozen_then_tuned_keeps_the_embedding_during_the_warm_up_only(prepared) -> None:
    result, _, _, vectors = prepared
    before = result.matrices[vectors.name]
    config = {**CONFIG, "warmup_epochs": 2}
    warm = _fit(result, vectors, "frozen-then-tuned", config, fixed_epochs=2).model
    np.testing.assert_array_equal(_embedding(warm), before)
    tuned = _fit(result, vectors, "frozen-then-tuned", config, fixed_epochs=3).model
    assert not np.allclose(_embedding(tuned), before)
    seen: list[int] = []
    outcome = _fit(
        result,
        vectors,
        "frozen-then-tuned",
        config,
        max_epochs=3,
        patience=5,
        on_epoch=lambda epoch, _: seen.append(epoch),
    )
    assert seen == [1, 2, 3] and outcome.epochs_run == 3, "epochs count across both phases"
    assert outcome.model.get_layer("embedding").trainable


def test_a_smaller_embedding_learning_rate_moves_the_vectors_less(prepared) -> None:
    result, _, _, vectors = prepared
    before = result.matrices[vectors.name]
    moved = {}
    for scale in (1.0, 0.1):
        config = {**CONFIG, "warmup_epochs": 1, "embedding_lr_scale": scale}
        model = _fit(result, vectors, "frozen-then-tuned", config, fixed_epochs=2).model
        used = _embedding(model) * scale  # stored over the scale, multiplied back in the model
        moved[scale] = np.abs(used - before).mean()
    assert 0.02 < moved[0.1] / moved[1.0] < 0.3


@pytest.mark.parametrize("oov_init", ["random", "zeros", "mean"])
def test_oov_init_sets_the_uncovered_rows(prepared, oov_init) -> None:
    result, _, _, vectors = prepared
    import_keras()
    matrix, covered = result.matrices[vectors.name], result.covered[vectors.name]
    model = build_model(
        Candidate("frozen", vectors.name),
        {**CONFIG, "oov_init": oov_init},
        vocabulary_size=len(result.vocabulary),
        num_classes=2,
        embedding_matrix=matrix,
        covered=covered,
    )
    rows = _embedding(model)
    uncovered = _uncovered(result, vectors)
    np.testing.assert_array_equal(rows[covered], matrix[covered])
    assert not rows[0].any(), "padding stays zero"
    expected = {
        "random": matrix[uncovered],
        "zeros": np.zeros_like(matrix[uncovered]),
        "mean": np.broadcast_to(matrix[covered].mean(axis=0), matrix[uncovered].shape),
    }[oov_init]
    np.testing.assert_allclose(rows[uncovered], expected, rtol=1e-6)
    np.testing.assert_array_equal(initial_matrix(matrix, covered, oov_init), rows)


ENCODINGS = {
    "mean": {"encoder": "pool", "pooling": "mean", "hidden_units": 0},
    "max": {"encoder": "pool", "pooling": "max", "hidden_units": 0},
    "mean-max": {"encoder": "pool", "pooling": "mean-max", "hidden_units": 4},
    "mean-max+pairs": {
        "encoder": "pool",
        "pooling": "mean-max",
        "hidden_units": 0,
        "bigram_buckets": 64,
    },
    "cnn": {"encoder": "cnn", "filters": 4, "kernel_sizes": "2,5"},
    "gru": {"encoder": "rnn", "cell": "gru", "units": 4},
    "lstm": {"encoder": "rnn", "cell": "lstm", "units": 4},
}


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
@pytest.mark.parametrize("strategy", ["learned", "frozen-oov"])
def test_padding_never_changes_the_answer_and_an_empty_text_is_fine(
    prepared, encoding, strategy
) -> None:
    """Training cuts each batch to its longest text; serving pads to the run's length. Both
    must give the same probabilities, the empty text included."""
    result, _, _, vectors = prepared
    import_keras()
    config = {**CONFIG, **ENCODINGS[encoding], "embedding_dim": 8}
    model = build_model(
        Candidate(strategy, None if strategy == "learned" else vectors.name),
        config,
        vocabulary_size=len(result.vocabulary),
        num_classes=2,
        embedding_matrix=result.matrices[vectors.name],
        covered=result.covered[vectors.name],
    )
    for name in ("embedding", "bigram_embedding"):  # padding rows that would win any max
        if name in {layer.name for layer in model.layers}:
            layer = model.get_layer(name)
            rows = layer.get_weights()[0]
            rows[0] = 3.0
            layer.set_weights([rows])
    trailing = trailing_padding(config)
    longest = 16 - trailing  # its batch is cut to 16 columns: no column of padding left over
    full = max(result.sequence_length, 24)
    texts = np.zeros((3, full), dtype=np.int32)  # an empty text, 3 words, the longest
    texts[1, :3] = [5, 9, 2]
    texts[2, :longest] = np.random.default_rng(0).integers(1, 20, size=longest)
    probabilities = model.predict(texts, verbose=0)
    assert np.isfinite(probabilities).all()
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    cut = batch_width(longest, trailing, full)
    assert cut == 16 < full
    np.testing.assert_allclose(
        model.predict(texts[:, :cut], verbose=0), probabilities, rtol=1e-5, atol=1e-6
    )


def test_word_pairs_are_the_same_whatever_the_padding_and_never_touch_it() -> None:
    """A pair's bucket depends on its two words only: the same text, padded to any length or
    placed beside any other, gets the same pairs; pairs with the padding are 0 (no pair)."""
    import_keras()
    from keras import ops

    short = np.array([[7, 3, 7, 3, 0], [0, 0, 0, 0, 0]], dtype=np.int32)
    long = np.zeros((2, 9), dtype=np.int32)
    long[:, :5] = short
    pairs = ops.convert_to_numpy(bigram_ids(ops.convert_to_tensor(short), 50))
    padded = ops.convert_to_numpy(bigram_ids(ops.convert_to_tensor(long), 50))
    np.testing.assert_array_equal(padded[:, :4], pairs)
    assert not padded[:, 4:].any() and not pairs[1].any() and pairs[0, 3] == 0
    assert pairs[0, 0] == pairs[0, 2] != pairs[0, 1]  # (7, 3) twice; (3, 7) is another pair
    assert (pairs[0, :3] >= 1).all() and (pairs[0, :3] <= 50).all()
    # no int32 overflow, whatever the ids: the largest left term with a right id far beyond it
    buckets = MAX_BIGRAM_BUCKETS - 3  # not a power of two: a wrapped sum lands in another bucket
    worst = np.array([[buckets - 1, 2**30 + 5]], dtype=np.int32)
    bucket = int(ops.convert_to_numpy(bigram_ids(ops.convert_to_tensor(worst), buckets))[0, 0])
    assert bucket == ((buckets - 1) * BIGRAM_MULTIPLIER + 2**30 + 5) % buckets + 1


def test_auto_buckets_give_each_distinct_pair_of_the_training_texts_room() -> None:
    """ "auto" rows are a power of two, at least PAIR_ROOM per distinct pair of the training ids
    (pairs with padding are none), within MIN_AUTO_BUCKETS and MAX_BIGRAM_BUCKETS."""
    few = np.array([[5, 6, 5, 6, 0, 0], [6, 5, 0, 0, 0, 0]], dtype=np.int32)  # 2 distinct pairs
    assert bucket_count({"bigram_buckets": "auto"}, few) == MIN_AUTO_BUCKETS
    assert bucket_count({"bigram_buckets": 997}, few) == 997
    assert bucket_count({}, few) == 0
    rng = np.random.default_rng(0)
    many = rng.integers(1, 50_000, size=(4_000, 60), dtype=np.int32)
    left, right = many[:, :-1].astype(np.int64), many[:, 1:].astype(np.int64)
    distinct = len(np.unique(left * 50_000 + right))
    rows = bucket_count({"bigram_buckets": "auto"}, many)
    assert rows & (rows - 1) == 0 and PAIR_ROOM * distinct <= rows < 2 * PAIR_ROOM * distinct
    huge = rng.integers(1, 2**30, size=(20_000, 30), dtype=np.int32)
    assert bucket_count({"bigram_buckets": "auto"}, huge) == MAX_BIGRAM_BUCKETS


def test_word_pairs_let_a_pool_tell_word_order_apart() -> None:
    """'not good' and 'good not' are the same bag of words: a mean of word vectors cannot tell
    them apart, the mean of words and word pairs can."""
    import_keras()
    rng = np.random.default_rng(0)
    first, second = rng.integers(2, 6, size=400), rng.integers(6, 10, size=400)
    labels = rng.integers(0, 2, size=400)
    ids = np.zeros((400, 6), dtype=np.int32)
    ids[:, 0] = np.where(labels == 1, first, second)  # the label is the order of the two words
    ids[:, 1] = np.where(labels == 1, second, first)
    accuracies = {}
    for buckets in (0, 4096):
        config = {**CONFIG, "learning_rate": 0.02, "embedding_dim": 16, "bigram_buckets": buckets}
        model = build_model(
            Candidate("learned"),
            config,
            vocabulary_size=10,
            num_classes=2,
            embedding_matrix=None,
            covered=None,
        )
        model.fit(ids[:300], labels[:300], epochs=60, batch_size=32, verbose=0)
        predicted = model.predict(ids[300:], verbose=0).argmax(axis=1)
        accuracies[buckets] = float((predicted == labels[300:]).mean())
    assert accuracies[0] < 0.65 and accuracies[4096] > 0.9, accuracies


@pytest.mark.parametrize("setting", [0, 1000, "auto"])
def test_tf_idf_is_a_linear_model_on_scikit_learns_tf_idf_whatever_the_padding(
    prepared, setting
) -> None:
    """The tf-idf option's features are scikit-learn's `TfidfVectorizer(sublinear_tf=True)`
    of the words and word pairs (smoothed idf from the training texts, 1 + ln(count), L2
    norm), repeated words and pairs included, and its answer is softmax(Dense(tf-idf . W));
    padding adds nothing."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    result, tokens, splits, _ = prepared
    import_keras()
    from keras import ops

    train = result.x["train"]
    config = {"encoder": "linear", "learning_rate": 0.01, "dropout": 0.3, "bigram_buckets": setting}
    buckets = bucket_count(config, train)
    model = _tf_idf_model(result, config, train)
    vocabulary = len(result.vocabulary)

    def rows_of(ids: np.ndarray) -> list[list[str]]:  # each text's words and pairs, as rows
        if not buckets:
            return [[str(w) for w in words if w] for words in ids]
        pairs = ops.convert_to_numpy(bigram_ids(ops.convert_to_tensor(ids), buckets))
        return [
            [str(w) for w in words if w] + [str(vocabulary + p - 1) for p in pair if p]
            for words, pair in zip(ids, pairs, strict=True)
        ]

    reference = TfidfVectorizer(analyzer=lambda document: document, sublinear_tf=True)
    reference.fit(rows_of(train))
    idf = model.get_layer("idf").get_weights()[0][:, 0]
    for word, position in reference.vocabulary_.items():
        assert idf[int(word)] == pytest.approx(reference.idf_[position], rel=1e-5)
    assert idf[0] == 0.0  # padding
    assert model.get_layer("idf").trainable is False
    unseen = np.flatnonzero(idf == 0)
    assert set(unseen) == {0} | set(range(len(idf))) - {int(w) for w in reference.vocabulary_}
    # texts with a word three times, a pair twice, one word alone, and none at all; some of
    # their pairs no training text has (left out, as scikit-learn leaves them out)
    texts = np.array(
        [[4, 9, 17, 4, 9, 4, 30, 0], [5, 5, 5, 5, 5, 0, 0, 0], [7, 0, 0, 0, 0, 0, 0, 0], [0] * 8],
        dtype=np.int32,
    )
    rng = np.random.default_rng(0)
    scores = rng.normal(size=model.get_layer("class_scores").get_weights()[0].shape)
    model.get_layer("class_scores").set_weights([scores.astype(np.float32)])
    kernel, bias = model.get_layer("probabilities").get_weights()
    known = [int(w) for w in reference.get_feature_names_out()]
    features = np.zeros((len(texts), len(idf)))
    # scikit-learn's own features, its columns mapped back to the model's rows
    features[:, known] = reference.transform(rows_of(texts)).toarray()
    logits = (features @ scores) @ kernel + bias
    expected = np.exp(logits - logits.max(axis=1, keepdims=True))
    expected /= expected.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(model.predict(texts, verbose=0), expected, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(
        model.predict(np.pad(texts, ((0, 0), (0, 9))), verbose=0), expected, rtol=1e-4, atol=1e-6
    )  # more padding: the same answer
    trainable, frozen = parameter_counts(model)
    assert frozen == vocabulary + buckets  # the idf column
    assert trainable == (vocabulary + buckets) * 2 + 2 * 2 + 2


@settings(max_examples=60, deadline=None)
@given(
    rows=st.integers(1, 12).flatmap(
        lambda width: st.lists(
            st.lists(st.integers(0, 6), min_size=width, max_size=width), min_size=1, max_size=5
        )
    )
)
def test_token_counts_are_each_ids_count_in_its_row(rows: list[list[int]]) -> None:
    """What the tf-idf model's sublinear counts rest on: for rows sorted as the model sorts
    them, each position gets how often its id occurs in that row (padding, runs, single ids,
    one-token rows)."""
    import_keras()
    from keras import ops

    tokens = np.sort(np.array(rows, dtype=np.int32), axis=1)
    expected = np.array([[list(row).count(t) for t in row] for row in tokens])
    counted = ops.convert_to_numpy(token_counts(ops.convert_to_tensor(tokens)))
    np.testing.assert_array_equal(counted, expected)


def test_pairs_and_document_frequencies_counted_in_chunks_are_the_whole_splits(
    prepared, monkeypatch
) -> None:
    """Large splits are counted a chunk of documents at a time (bounded memory): the distinct
    pairs behind "auto" rows and the idf column are those of the whole split at once."""
    from recommender import models

    result = prepared[0]
    train = result.x["train"]
    import_keras()

    def tf_idf() -> tuple[int, np.ndarray]:
        model = _tf_idf_model(result, {"encoder": "linear", "bigram_buckets": "auto"}, train)
        return models.distinct_pairs(train), model.get_layer("idf").get_weights()[0]

    whole_pairs, whole_idf = tf_idf()
    left, right = train[:, :-1], train[:, 1:]
    real = (left > 0) & (right > 0)
    assert whole_pairs == len(set(zip(left[real].tolist(), right[real].tolist(), strict=True)))
    monkeypatch.setattr(models, "CHUNK_DOCUMENTS", 7)  # many chunks, the last one short
    chunked_pairs, chunked_idf = tf_idf()
    assert chunked_pairs == whole_pairs
    np.testing.assert_array_equal(chunked_idf, whole_idf)


def _tf_idf_model(result, config: dict, train: np.ndarray):
    """A two-class tf-idf model of the prepared reviews, its idf from `train`."""
    return build_model(
        Candidate("tf-idf"),
        config,
        vocabulary_size=len(result.vocabulary),
        num_classes=2,
        embedding_matrix=None,
        covered=None,
        training_ids=train,
    )
