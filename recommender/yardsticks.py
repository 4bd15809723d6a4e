"""Yardsticks: models that take seconds, scored on the same test split as the finalists.

A user asking "frozen, fine-tuned or learned?" also needs to know whether any embedding model is
worth it. A TF-IDF (word unigrams + bigrams, sublinear tf) logistic regression is the classic
strong baseline for short-text classification; a majority-class predictor shows what "learned
nothing" scores. Both are fitted on the development data only (train + validation: the neural
finalists use the same documents, to fit and to stop early), never on the test split, and they
are recorded as `CandidateEvidence` with one run, so the report and the paired comparison treat
them exactly like the embedding options.
"""

from __future__ import annotations

import pickle
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from recommender.data import Splits
from recommender.decide import YardstickVerdict, compare_yardstick
from recommender.evidence import CandidateEvidence, Cost, SeedRun, macro_f1
from recommender.linear import c_splits, fit_classifier, fit_rows
from recommender.prepare import Prepared
from recommender.text import DEFAULT_RULES, Rules, TokenIds, tokenize
from recommender.textstore import Texts

TFIDF = "yardstick:tfidf-logreg"
MAJORITY = "yardstick:majority"
# The classic grid, kept fixed so the reference stays the textbook model (the tf-idf strategy
# searches C more widely: `linear.choose_c`).
C_GRID = (0.25, 1.0, 4.0, 16.0)
COEFFICIENT_BUDGET = 20_000_000  # classes x features of the linear model (160 MB of float64)


def run_yardsticks(
    train_texts: Sequence[str],
    train_labels: np.ndarray,
    test_texts: Sequence[str],
    test_labels: np.ndarray,
    num_classes: int,
    *,
    seed: int,
    rules: Rules = DEFAULT_RULES,
) -> list[CandidateEvidence]:
    """Fit both yardsticks on the training texts (tokenised by the run's `rules`) and score
    them on the test texts."""
    return [
        _tfidf_logistic_regression(
            train_texts, train_labels, test_texts, test_labels, num_classes, seed, rules
        ),
        _majority(train_labels, test_texts, test_labels, num_classes, seed),
    ]


def yardsticks_against(
    texts: Texts,
    splits: Splits,
    prepared: Prepared,
    chosen: CandidateEvidence,
    *,
    min_effect: float,
    seed: int,
    rules: Rules = DEFAULT_RULES,
) -> list[tuple[CandidateEvidence, YardstickVerdict]]:
    """The yardsticks, fitted on train + validation (never test), each set against the
    recommended option (`chosen`) by the decision rule."""
    development = np.concatenate([splits.train, splits.validation])
    results = run_yardsticks(
        texts.take(development),  # a store stays a store: compact, and in a file when large
        np.concatenate([prepared.y["train"], prepared.y["validation"]]),
        texts.take(splits.test),
        prepared.y["test"],
        len(prepared.classes),
        seed=seed,
        rules=rules,
    )
    return [
        (
            result,
            compare_yardstick(chosen, result, prepared.y["test"], min_effect=min_effect, seed=seed),
        )
        for result in results
    ]


def _tfidf_logistic_regression(
    train_texts: Sequence[str],
    train_labels: np.ndarray,
    test_texts: Sequence[str],
    test_labels: np.ndarray,
    num_classes: int,
    seed: int,
    rules: Rules,
) -> CandidateEvidence:
    """C chosen on the training texts only: by stratified k-fold cross-validation, or on large
    data by one held-out fifth (`linear.c_splits`: at 225k reviews, five folds made this
    yardstick the slowest stage of a recommendation after the evidence, 1,323 s). Past
    `linear.FIT_TOKENS` training tokens it is fitted on a stratified sample of the documents
    (`linear.fit_rows`, as the tf-idf option is), so its vocabulary and features are bounded;
    its config says how many ("documents")."""
    started = time.perf_counter()
    # tokenised once, not once per fold and C, as ids (4 bytes a token, where lists of strings
    # took some 60: 3.4 GB at 250k reviews); the vectorizer reads a document's words at a time
    train_tokens = TokenIds.tokenize(train_texts, rules)
    # past `FIT_TOKENS` tokens, a stratified sample of the documents, as the tf-idf option's
    kept = fit_rows(train_tokens.lengths, train_labels)
    train_labels = train_labels[kept]
    folds, parts = c_splits(train_labels, seed)
    fold_scores = {c: [] for c in C_GRID}
    for fitted_rows, score_rows in parts:
        vectorizer = _vectorizer(num_classes)
        fit_features = vectorizer.fit_transform(train_tokens[i] for i in kept[fitted_rows])
        score_features = vectorizer.transform(train_tokens[i] for i in kept[score_rows])
        for c in C_GRID:
            fitted = fit_classifier(c, fit_features, train_labels[fitted_rows], num_classes, seed)
            predicted = fitted.predict(score_features)
            fold_scores[c].append(float(np.mean(predicted == train_labels[score_rows])))
    best_c = max(C_GRID, key=lambda c: (np.mean(fold_scores[c]), -c))
    vectorizer = _vectorizer(num_classes)
    features = vectorizer.fit_transform(train_tokens[i] for i in kept)
    model = fit_classifier(best_c, features, train_labels, num_classes, seed)
    seconds = time.perf_counter() - started
    predictions = model.predict(vectorizer.transform(tokenize(text, rules) for text in test_texts))
    repeated = [test_texts[i % len(test_texts)] for i in range(1000)]  # exactly 1,000 texts
    timer = time.perf_counter()
    model.predict(vectorizer.transform([tokenize(text, rules) for text in repeated]))
    predict_ms = (time.perf_counter() - timer) * 1000
    return CandidateEvidence(
        candidate=TFIDF,
        config={
            "model": "TF-IDF word 1-2 grams (sublinear tf) + logistic regression",
            "C": best_c,
            "C_grid": list(C_GRID),
            "cv_folds": folds,
            "cv_accuracy": float(np.mean(fold_scores[best_c])),
            "features": len(vectorizer.vocabulary_),
            "documents": len(kept),
        },
        runs=(_run(seed, test_labels, predictions, num_classes, seconds),),
        cost=Cost(
            trainable_params=int(model.coef_.size + model.intercept_.size),
            non_trainable_params=0,
            model_bytes=len(pickle.dumps((vectorizer, model))),
            predict_ms_per_1000=round(predict_ms, 2),
            needs_vectors_file=False,
        ),
    )


def _vectorizer(num_classes: int) -> Any:
    """The weights are a dense classes x features matrix, and the solver holds a few copies:
    with 262 classes and the 1-2 grams of source code that was over 10 GB. So the features are
    capped at the most frequent `COEFFICIENT_BUDGET / classes`: 2 million for 10 classes, far
    above the 1-2 grams of a few thousand sentences, so only many-class data is affected."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    # documents arrive tokenised by the one tokeniser every embedding model uses
    return TfidfVectorizer(
        analyzer=_unigrams_and_bigrams,
        sublinear_tf=True,
        max_features=max(1, COEFFICIENT_BUDGET // num_classes),
    )


def _unigrams_and_bigrams(tokens: list[str]) -> list[str]:
    return tokens + [f"{first} {second}" for first, second in zip(tokens, tokens[1:], strict=False)]


def _majority(
    train_labels: np.ndarray,
    test_texts: Sequence[str],
    test_labels: np.ndarray,
    num_classes: int,
    seed: int,
) -> CandidateEvidence:
    majority = int(np.bincount(train_labels, minlength=num_classes).argmax())
    predictions = np.full(len(test_texts), majority)
    return CandidateEvidence(
        candidate=MAJORITY,
        config={"model": "always the most frequent training class", "class_index": majority},
        runs=(_run(seed, test_labels, predictions, num_classes, 0.0),),
        cost=Cost(0, 0, 0, 0.0, False),
    )


def _run(
    seed: int, truth: np.ndarray, predictions: np.ndarray, num_classes: int, seconds: float
) -> SeedRun:
    return SeedRun(
        seed=seed,
        accuracy=float(np.mean(predictions == truth)),
        macro_f1=macro_f1(truth, predictions, num_classes),
        best_epoch=0,
        train_seconds=round(seconds, 3),
        predictions=tuple(int(p) for p in predictions),
    )
