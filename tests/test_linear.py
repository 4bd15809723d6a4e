"""The tf-idf strategy is a logistic regression solved exactly and served by the Keras model."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from recommender.linear import C_RANGE, C_STEP, fit_tfidf
from recommender.models import Candidate, bigram_ids, bucket_count, build_model
from tests.helpers import tiny_prepared


@pytest.fixture(scope="module")
def prepared():
    return tiny_prepared()


def _tfidf(prepared, train_ids: np.ndarray, num_classes: int, buckets: int | str = "auto"):
    config = {"encoder": "linear", "bigram_buckets": buckets}
    model = build_model(
        Candidate("tf-idf"),
        config,
        vocabulary_size=len(prepared.vocabulary),
        num_classes=num_classes,
        embedding_matrix=None,
        covered=None,
        training_ids=train_ids,
    )
    return model, bucket_count(config, train_ids)


def _by_hand(ids: np.ndarray, idf: np.ndarray, vocabulary_size: int, buckets: int) -> np.ndarray:
    """Each document's tokens (words, then word pairs as rows after the vocabulary's) counted
    one by one, each distinct token's 1 + ln(count) times its idf, L2-normalised: what the model
    computes (a row no training text used has idf 0, so it counts for nothing)."""
    from keras import ops

    pairs = ops.convert_to_numpy(bigram_ids(ops.convert_to_tensor(ids), buckets))
    features = np.zeros((len(ids), len(idf)))
    for row, (words, pair) in enumerate(zip(ids, pairs, strict=True)):
        tokens = [int(w) for w in words if w] + [vocabulary_size + int(p) - 1 for p in pair if p]
        for token, count in Counter(tokens).items():
            features[row, token] = (1 + np.log(count)) * idf[token]
        features[row] /= np.linalg.norm(features[row]) or 1.0
    return features


def test_the_keras_model_answers_as_scikit_learns_logistic_regression_on_its_features(
    prepared,
) -> None:
    """On real reviews: the fitted model's probabilities on unseen texts are those of
    scikit-learn's logistic regression (same C) on tf-idf features of words and word pairs
    built by hand; C is a power of 4, chosen by cross-validation."""
    from sklearn.linear_model import LogisticRegression

    x, y = prepared.x["train"], prepared.y["train"]
    model, buckets = _tfidf(prepared, x, 2)
    chosen = fit_tfidf(model, x, y, vocabulary_size=len(prepared.vocabulary), num_classes=2, seed=0)
    assert C_RANGE[0] <= chosen["C"] <= C_RANGE[1] and chosen["cv_folds"] == 5
    assert np.log(chosen["C"]) / np.log(C_STEP) == pytest.approx(
        round(np.log(chosen["C"]) / np.log(C_STEP))
    )
    assert 0.5 < chosen["cv_accuracy"] <= 1.0
    idf = model.get_layer("idf").get_weights()[0][:, 0].astype(np.float64)
    vocabulary = len(prepared.vocabulary)
    reference = LogisticRegression(C=chosen["C"], solver="liblinear", max_iter=2000).fit(
        _by_hand(x, idf, vocabulary, buckets), y
    )
    test = prepared.x["test"]
    expected = reference.predict_proba(_by_hand(test, idf, vocabulary, buckets))
    np.testing.assert_allclose(model.predict(test, verbose=0), expected, atol=2e-3)
    accuracy = float(np.mean(expected.argmax(axis=1) == prepared.y["test"]))
    assert accuracy > 0.6  # it learned the reviews, not a constant


def test_past_the_token_budget_the_fit_takes_a_stratified_sample(prepared, monkeypatch) -> None:
    """Past `FIT_TOKENS` the logistic regression is fitted on a stratified sample holding about
    that many tokens (its features and the solver's copies are bounded), and the model still
    scores every text; within the budget it fits on every document."""
    import recommender.linear as linear

    x, y = prepared.x["train"], prepared.y["train"]
    model, _ = _tfidf(prepared, x, 2)
    vocabulary = len(prepared.vocabulary)
    assert fit_tfidf(model, x, y, vocabulary_size=vocabulary, num_classes=2, seed=0)[
        "documents"
    ] == len(y)
    seen: list[np.ndarray] = []
    real = linear.fit_classifier

    def recording(c, features, labels, num_classes, seed):
        seen.append(labels)
        return real(c, features, labels, num_classes, seed)

    monkeypatch.setattr(linear, "fit_classifier", recording)
    monkeypatch.setattr(linear, "FIT_TOKENS", int(np.count_nonzero(x)) // 3)
    chosen = fit_tfidf(model, x, y, vocabulary_size=vocabulary, num_classes=2, seed=0)
    assert abs(chosen["documents"] - len(y) / 3) <= 2
    final = seen[-1]  # the last fit is on the whole sample
    assert len(final) == chosen["documents"]
    assert abs(np.mean(final) - np.mean(y)) < 0.01  # each class in its share
    assert model.predict(x, verbose=0).shape == (len(x), 2)


@pytest.mark.parametrize("solver", ["newton-cg", "saga"])
def test_many_classes_absent_ones_and_a_class_of_one_text(prepared, monkeypatch, solver) -> None:
    """Four classes made from real reviews (by sentiment and length): the multinomial fit
    matches scikit-learn's newton-cg, whichever solver the data's size picks (saga on large
    data); a class no training text has is never predicted; a class with one training text
    leaves no room for cross-validation, and C falls back to 1."""
    from sklearn.linear_model import LogisticRegression

    from recommender import linear

    if solver == "saga":
        monkeypatch.setattr(linear, "SAGA_WORK", 0)

    x = prepared.x["train"]
    long = (x > 0).sum(axis=1) > np.median((x > 0).sum(axis=1))
    y = prepared.y["train"] * 2 + long  # classes 0-3
    model, buckets = _tfidf(prepared, x, 5)  # class 4: no training text
    fit_tfidf(model, x, y, vocabulary_size=len(prepared.vocabulary), num_classes=5, seed=0)
    probabilities = model.predict(prepared.x["test"], verbose=0)
    assert probabilities.shape == (len(prepared.x["test"]), 5)
    assert probabilities[:, 4].max() < 1e-6
    idf = model.get_layer("idf").get_weights()[0][:, 0].astype(np.float64)
    vocabulary = len(prepared.vocabulary)
    chosen_c = fit_tfidf(model, x, y, vocabulary_size=vocabulary, num_classes=5, seed=0)["C"]
    reference = LogisticRegression(C=chosen_c, solver="newton-cg", max_iter=2000).fit(
        _by_hand(x, idf, vocabulary, buckets), y
    )
    expected = reference.predict_proba(_by_hand(prepared.x["test"], idf, vocabulary, buckets))
    # saga stops at its tolerance a little short of newton-cg's optimum
    np.testing.assert_allclose(
        probabilities[:, :4], expected, atol=2e-3 if solver == "newton-cg" else 1e-2
    )
    agree = np.mean(probabilities[:, :4].argmax(axis=1) == expected.argmax(axis=1))
    assert agree >= 0.98

    lonely = y.copy()
    lonely[0] = 4  # one training text of class 4
    chosen = fit_tfidf(model, x, lonely, vocabulary_size=vocabulary, num_classes=5, seed=0)
    assert chosen == {"C": 1.0, "cv_folds": 0, "cv_accuracy": None, "documents": len(x)}
    own = model.predict(x[:1], verbose=0)[0, 4]  # class 4 is learned, not left out
    assert own > model.predict(prepared.x["test"], verbose=0)[:, 4].max()


def test_a_single_class_is_always_the_answer(prepared) -> None:
    x = prepared.x["train"]
    model, _ = _tfidf(prepared, x, 3, buckets=0)
    chosen = fit_tfidf(
        model,
        x,
        np.full(len(x), 1),
        vocabulary_size=len(prepared.vocabulary),
        num_classes=3,
        seed=0,
    )
    assert chosen["C"] is None
    assert (model.predict(prepared.x["test"], verbose=0).argmax(axis=1) == 1).all()


@pytest.mark.parametrize(
    ("peak", "scored"),
    [
        (1 / 16, (-1, 0, 1, -2, -3)),  # the first step up loses: down, one past the peak
        (1.0, (0, 1, -1)),
        (16.0, (0, 1, 2, 3)),
        (4.0**7, (0, 1, 2, 3, 4, 5, 6, 7)),  # the end of the range stops it
    ],
)
def test_c_walks_to_the_best_score_in_either_direction(monkeypatch, peak, scored) -> None:
    """With held-out accuracy peaking at one C, the walk from 1 finds it, up or down, scoring
    only the powers of 4 on its way and one past the peak."""
    from recommender import linear

    tried = set()

    class Peaked:
        def __init__(self, c: float) -> None:
            self.c = c
            tried.add(round(np.log(c) / np.log(4)))

        def predict(self, features):
            right = 1.0 - abs(np.log(self.c / peak)) / 20  # the share right, best at the peak
            return (np.arange(len(features)) < right * len(features)).astype(int)

    monkeypatch.setattr(linear, "fit_classifier", lambda c, x, y, classes, seed: Peaked(c))
    best, folds, accuracy = linear.choose_c(np.zeros((4000, 1)), np.ones(4000, dtype=int), 2, 0)
    assert (best, folds, accuracy) == (peak, 5, 1.0)
    assert tried == set(scored)


def test_large_data_scores_c_on_one_held_out_fifth(monkeypatch) -> None:
    from recommender import linear

    sizes = []

    class Counting:
        def __init__(self, labels: np.ndarray) -> None:
            sizes.append(len(labels))

        def predict(self, features):
            return np.ones(len(features), dtype=int)

    monkeypatch.setattr(linear, "fit_classifier", lambda c, x, y, classes, seed: Counting(y))
    monkeypatch.setattr(linear, "HOLDOUT_DOCUMENTS", 1000)
    labels = np.arange(4000) % 2
    _, folds, _ = linear.choose_c(np.zeros((4000, 1)), labels, 2, 0)
    assert folds == 1 and set(sizes) == {3200}  # one fit per C, on four fifths
