"""Preprocessing once per run, and what each embedding strategy does to its matrix."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.backend import import_keras
from recommender.data import load_dataset, split
from recommender.models import Candidate, build_model, candidates_for
from recommender.prepare import MIN_SEQUENCE_LENGTH, choose_sequence_length, prepare
from recommender.search.trial import fit_candidate
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


def test_sequence_length_is_the_99th_percentile_within_bounds() -> None:
    assert choose_sequence_length(list(range(1, 101)), 400) == 100
    assert choose_sequence_length([5000] * 10, 400) == 400
    assert choose_sequence_length([1, 2], 400) == MIN_SEQUENCE_LENGTH


def test_candidates_pair_each_pretrained_strategy_with_each_vectors_source() -> None:
    keys = [c.key for c in candidates_for(("learned", "frozen", "fine-tuned"), ("a", "b"))]
    assert keys == ["learned", "frozen:a", "frozen:b", "fine-tuned:a", "fine-tuned:b"]
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
        sequence_length=result.sequence_length,
        num_classes=2,
        embedding_matrix=None,
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
        sequence_length=result.sequence_length,
        num_classes=2,
        embedding_matrix=result.matrices[vectors.name],
    )
    empty = np.zeros((2, result.sequence_length), dtype=np.int32)
    probabilities = model.predict(empty, verbose=0)
    assert np.isfinite(probabilities).all()
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
