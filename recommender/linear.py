"""The tf-idf strategy's training: a logistic regression, solved exactly, on the model's features.

The tf-idf Keras model (`models._tfidf_model`) is linear in its TF-IDF features, so it need not be
trained by gradient steps at all: scikit-learn's solvers find the optimum of the regularised
log-loss in seconds, with the strength C chosen by cross-validation on the training split, as the
TF-IDF yardstick does. The fitted coefficients are then written into the model's layers, so what
is scored, exported and served is still the plain Keras model. Trained with Adam instead, the
same model stopped early on a noisy validation split, 1.5 points below the optimum on MR.
"""

from __future__ import annotations

from typing import Any

import numpy as np

# The regularisation strength C is searched in powers of 4 from 1 (`choose_c`), within this range.
C_START, C_STEP, C_RANGE = 1.0, 4.0, (4.0**-4, 4.0**7)
# A step of C must raise the cross-validated accuracy by this much to be taken: smaller gains are
# noise, and each step up makes the solver slower (on IMDB the walk reached 4,096).
MIN_GAIN = 0.001
# Above this many training documents, C is scored on one held-out fifth instead of k folds.
HOLDOUT_DOCUMENTS = 50_000
# The solver holds the features whole (liblinear a copy more, and the choice of C a slice): past
# this many training tokens a fit takes a stratified sample of documents holding about this many
# (`fit_rows`). A token adds two nonzero features at most (its word and its pair), so the
# features stay under 100M nonzeros (1.2 GB); 2.5M IMDB reviews hold 500M training tokens.
FIT_TOKENS = 50_000_000
# A class absent from the training split never wins: its score is this far below the others'.
ABSENT_BIAS = -30.0
# Above this many nonzero features times classes, a many-class fit is solved by saga
# (`fit_classifier`): on tweets, newton-cg was faster with 6 classes and 0.7M, saga from 5.4M.
SAGA_WORK = 5_000_000


def fit_classifier(c: float, features: Any, labels: np.ndarray, num_classes: int, seed: int) -> Any:
    """A logistic regression with strength `c` fitted on sparse `features`, by the solver that
    was fastest on 2 cores for the data's shape; both reach the same optimum up to their
    tolerance. liblinear for two classes; for more, newton-cg on small data, where it takes a
    second or so, and saga above `SAGA_WORK` (nonzeros x classes), where newton-cg's cost grows
    faster with the classes: on 36,000 tweets with 20 classes, at C 1 to 16, one fit took 28.5
    to 51.4 s with newton-cg and 2.6 to 8.9 s with saga, held-out accuracy within 0.03 point
    (`benchmarks/bench_linear.py`)."""
    from sklearn.linear_model import LogisticRegression

    if num_classes == 2:
        solver = "liblinear"
    elif features.nnz * num_classes > SAGA_WORK:
        solver = "saga"
    else:
        solver = "newton-cg"
    model = LogisticRegression(C=c, solver=solver, max_iter=2000, random_state=seed)
    return model.fit(features, labels)


def cv_folds(labels: np.ndarray) -> int:
    """Stratified folds for choosing C: 5, fewer when the rarest class has fewer documents."""
    present = np.bincount(labels)
    return max(2, min(5, int(present[present > 0].min())))


def c_splits(labels: np.ndarray, seed: int) -> tuple[int, list[tuple[np.ndarray, np.ndarray]]]:
    """(folds, [(fit rows, score rows)]) for scoring a C: stratified k folds (`cv_folds`); on
    more than `HOLDOUT_DOCUMENTS` documents, one stratified held-out fifth (folds = 1), which is
    large enough there, where k folds would cost k fits per C."""
    from sklearn.model_selection import StratifiedKFold, StratifiedShuffleSplit

    if len(labels) > HOLDOUT_DOCUMENTS:
        folds = 1
        splitter: Any = StratifiedShuffleSplit(n_splits=1, test_size=0.2, random_state=seed)
    else:
        folds = cv_folds(labels)
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    return folds, list(splitter.split(np.zeros(len(labels)), labels))


def fit_rows(tokens_per_document: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """The documents a linear fit trains on: all of them, or past `FIT_TOKENS` tokens a
    stratified sample holding about that many (`data.stratified_sample`), so its memory is
    bounded whatever the size of the data. A linear model's accuracy grows slowly with the
    data at that size, while its features and its solver's time grow in proportion."""
    from recommender.data import stratified_sample

    tokens = int(np.sum(tokens_per_document, dtype=np.int64))
    if tokens <= FIT_TOKENS:
        return np.arange(len(labels))
    return stratified_sample(labels, max(1, round(len(labels) * FIT_TOKENS / tokens)))


def tfidf_features(model: Any, ids: np.ndarray, vocabulary_size: int) -> Any:
    """The features the tf-idf `model` weighs, as a sparse (documents, rows) matrix: each
    distinct token's 1 + ln(count) times its idf, over the row's L2 norm (`_tfidf_model`)."""
    from keras import ops
    from scipy import sparse

    from recommender.models import CHUNK_DOCUMENTS, with_pairs

    idf = model.get_layer("idf").get_weights()[0][:, 0].astype(np.float64)
    rows = len(idf)
    buckets = rows - vocabulary_size
    chunks = []
    for start in range(0, len(ids), CHUNK_DOCUMENTS):
        chunk = ids[start : start + CHUNK_DOCUMENTS]
        tokens = ops.convert_to_numpy(with_pairs(chunk, vocabulary_size, buckets))
        document = np.repeat(np.arange(len(tokens)), tokens.shape[1])
        token = tokens.reshape(-1)
        real = token > 0
        counts = sparse.csr_matrix(  # duplicates summed: each distinct token's count
            (np.ones(int(real.sum())), (document[real], token[real])), shape=(len(tokens), rows)
        )
        counts.data = (1.0 + np.log(counts.data)) * idf[counts.indices]
        norm = np.sqrt(np.maximum(np.asarray(counts.multiply(counts).sum(axis=1)).ravel(), 1e-12))
        chunks.append(sparse.diags(1.0 / norm) @ counts)
    if not chunks:
        return sparse.csr_matrix((0, rows))
    return sparse.vstack(chunks, format="csr")


def choose_c(
    features: Any, labels: np.ndarray, num_classes: int, seed: int
) -> tuple[float, int, float]:
    """(C, folds, cross-validated accuracy). C walks in steps of `C_STEP` from `C_START`, up
    while the accuracy rises by `MIN_GAIN` (down if the first step up does not), and stops at
    the first step that does not. The best C differs by orders of magnitude between data sets:
    the classic grid of 0.25 to 16 chose its top value on all four given sets, and a grid of 4
    to 1,024 chose 256 or 1,024 there, up to 1.6 points better on their test splits.
    Each C is scored on `c_splits`."""
    folds, parts = c_splits(labels, seed)
    scores: dict[float, float] = {}

    def score(c: float) -> float:
        if c not in scores:
            correct = []
            for fit_rows, score_rows in parts:
                fitted = fit_classifier(c, features[fit_rows], labels[fit_rows], num_classes, seed)
                correct.append(np.mean(fitted.predict(features[score_rows]) == labels[score_rows]))
            scores[c] = float(np.mean(correct))
        return scores[c]

    def better(c: float, than: float) -> bool:
        return score(c) >= score(than) + MIN_GAIN

    step = C_STEP if better(C_START * C_STEP, C_START) else 1 / C_STEP
    best = C_START * C_STEP if step > 1 else C_START
    while C_RANGE[0] <= best * step <= C_RANGE[1] and better(best * step, best):
        best *= step
    return best, folds, scores[best]


def fit_tfidf(
    model: Any,
    ids: np.ndarray,
    labels: np.ndarray,
    *,
    vocabulary_size: int,
    num_classes: int,
    seed: int,
) -> dict[str, Any]:
    """Fit the tf-idf `model` on `ids` and `labels` in place: a logistic regression on its
    features, C by cross-validation, written into its `class_scores` rows and its
    `probabilities` layer (identity weights, the intercepts as biases). Only the columns some
    training document uses enter the solver; the other rows score 0. Past `FIT_TOKENS` tokens
    it fits on a stratified sample of the documents (`fit_rows`). Returns what was chosen."""
    kept = fit_rows(np.count_nonzero(ids, axis=1), labels)
    if len(kept) < len(labels):  # a copy of the sample's rows only
        ids, labels = ids[kept], labels[kept]
    features = tfidf_features(model, ids, vocabulary_size)
    used = np.flatnonzero(features.getnnz(axis=0))
    features = features[:, used]
    present = np.unique(labels)
    rows = model.get_layer("class_scores").get_weights()[0].shape[0]
    scores = np.zeros((rows, num_classes), dtype=np.float32)
    bias = np.full(num_classes, ABSENT_BIAS, dtype=np.float32)
    chosen: dict[str, Any] = {"C": None, "cv_folds": 0, "cv_accuracy": None, "documents": len(kept)}
    if len(present) == 1:  # one class seen: it is always the answer
        bias[present[0]] = 0.0
    else:
        counts = np.bincount(labels)
        if counts[counts > 0].min() < 2:  # too few documents to cross-validate on
            c, folds, accuracy = 1.0, 0, None
        else:
            c, folds, accuracy = choose_c(features, labels, num_classes, seed)
        fitted = fit_classifier(c, features, labels, num_classes, seed)
        classes = fitted.classes_
        if len(classes) == 2:  # one score column: the second class's, against the first's 0
            scores[used, classes[1]] = fitted.coef_[0]
            bias[classes] = (0.0, fitted.intercept_[0])
        else:
            scores[np.ix_(used, classes)] = fitted.coef_.T
            bias[classes] = fitted.intercept_
        chosen.update(C=c, cv_folds=folds, cv_accuracy=accuracy)
    model.get_layer("class_scores").set_weights([scores])
    model.get_layer("probabilities").set_weights([np.eye(num_classes, dtype=np.float32), bias])
    return chosen
