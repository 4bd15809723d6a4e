"""Train and score one configuration: shared by every engine, the evidence and the export."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from recommender.batches import length_batches, trailing_padding
from recommender.data import stratified_sample
from recommender.linear import fit_tfidf
from recommender.models import TFIDF, Candidate, build_model, unfreeze, warmup_epochs
from recommender.prepare import Prepared

# Scoring needs no gradients: larger batches, fewer calls.
VALIDATION_BATCH_SIZE = 256


@dataclass(frozen=True)
class FitOutcome:
    """A trained model and how its training went."""

    model: Any
    val_accuracy: float | None  # best validation accuracy; None when trained without validation
    best_epoch: int  # 1-based epoch whose weights were kept
    epochs_run: int
    seconds: float


def fit_candidate(
    candidate: Candidate,
    config: dict[str, Any],
    prepared: Prepared,
    *,
    seed: int,
    max_epochs: int,
    patience: int,
    batch_size: int,
    train_splits: tuple[str, ...] = ("train",),
    fixed_epochs: int | None = None,
    epoch_tokens: int = 0,
    validation_documents: int = 0,
    on_epoch: Callable[[int, float], None] | None = None,
) -> FitOutcome:
    """Train on `train_splits`. Without `fixed_epochs`, stop when validation accuracy has not
    improved for `patience` epochs and keep the best weights; `on_epoch(epoch, val_accuracy)`
    may raise to stop a hopeless trial (pruning). With `fixed_epochs`, train exactly that long
    without validation (the final model, trained on train+validation). An epoch holds about
    `epoch_tokens` tokens at most (0: the whole split; see `batches.epoch_documents`), and is
    scored on `validation_documents` of the validation split at most (`validation_batches`).

    A frozen-then-tuned model trains in two phases (embedding frozen for its warm-up epochs,
    then unfrozen and recompiled); epochs are numbered across both, the best weights may come
    from either, and early stopping waits for the second phase to have `patience` epochs.

    The tf-idf model is not trained by epochs: its logistic regression is solved at once
    (`linear.fit_tfidf`), and it counts as one epoch."""
    import keras

    keras.utils.set_random_seed(seed)
    matrix = prepared.matrices.get(candidate.vectors) if candidate.vectors else None
    covered = prepared.covered.get(candidate.vectors) if candidate.vectors else None
    x, y = prepared.xy(*train_splits)
    model = build_model(
        candidate,
        config,
        vocabulary_size=len(prepared.vocabulary),
        num_classes=len(prepared.classes),
        embedding_matrix=matrix,
        covered=covered,
        training_ids=x,
    )
    if candidate.strategy == TFIDF:
        validate = validation_documents if fixed_epochs is None else None
        return _fitted_linear(model, prepared, x, y, seed, validate=validate)
    trailing = trailing_padding(config)
    batches = length_batches(
        x, y, batch_size=batch_size, trailing=trailing, seed=seed, epoch_tokens=epoch_tokens
    )
    warmup = warmup_epochs(candidate, config)
    started = time.perf_counter()
    if fixed_epochs is not None:
        for first, last in phases(warmup, fixed_epochs):
            if first:
                unfreeze(model, config)
            model.fit(batches, initial_epoch=first, epochs=last, verbose=0)
        return FitOutcome(model, None, fixed_epochs, fixed_epochs, time.perf_counter() - started)

    validation = validation_batches(prepared, trailing, validation_documents)
    stopper = _EarlyStopping(keras, patience)
    callbacks: list[Any] = [stopper]
    if on_epoch is not None:
        callbacks.append(_EpochHook(keras, on_epoch))
    for first, last in phases(warmup, max_epochs):
        if first:
            unfreeze(model, config)
        stopper.wait, stopper.stopping = 0, last == max_epochs  # never during the warm-up
        model.fit(
            batches,
            validation_data=validation,
            initial_epoch=first,
            epochs=last,
            callbacks=callbacks,
            verbose=0,
        )
    model.set_weights(stopper.best_weights)
    scores = stopper.scores
    best = max(range(len(scores)), key=lambda i: scores[i])
    return FitOutcome(model, scores[best], best + 1, len(scores), time.perf_counter() - started)


def _fitted_linear(
    model: Any, prepared: Prepared, x: Any, y: Any, seed: int, *, validate: int | None
) -> FitOutcome:
    """The tf-idf model fitted on `x`, `y`; unless `validate` is None, scored on that many
    documents of the validation split at most (0: all of it)."""
    started = time.perf_counter()
    fit_tfidf(
        model,
        x,
        y,
        vocabulary_size=len(prepared.vocabulary),
        num_classes=len(prepared.classes),
        seed=seed,
    )
    seconds = time.perf_counter() - started
    score = None
    if validate is not None:
        score = float(model.evaluate(validation_batches(prepared, 0, validate), verbose=0)[1])
    return FitOutcome(model, score, 1, 1, seconds)


def validation_batches(prepared: Prepared, trailing: int, limit: int = 0) -> Any:
    """The validation split, or a stratified sample of `limit` documents of it at most, in
    batches sorted by length (scoring needs no shuffling). At 2.5M documents the split holds
    250,000: scoring a CNN on twice as many took 202 s, an epoch (bounded by `epoch_tokens`)
    33 s (bench_scale). 20,000 documents measure an accuracy within 0.35 point (one standard
    error at 50%), two models on the same ones closer still. The sample's seed is fixed, so
    every trial, evidence run and worker is scored on the same documents."""
    x, y = prepared.x["validation"], prepared.y["validation"]
    rows = stratified_sample(y, limit)
    if len(rows) < len(y):  # a copy of the sample's rows, not of the split
        x, y = x[rows], y[rows]
    return length_batches(x, y, batch_size=VALIDATION_BATCH_SIZE, trailing=trailing, seed=None)


def predict_split(model: Any, x: np.ndarray, config: dict[str, Any]) -> np.ndarray:
    """Class probabilities of every row of `x`, in its order, computed as validation is scored:
    in batches of similar length cut to their longest text. The models mask their padding, so
    the answer is the full width's; on texts shorter than the run's 99th percentile (most of
    them) the work is less, and the test split of large data is scored once per evidence run."""
    batches = length_batches(
        x,
        np.zeros(len(x), dtype=np.int32),
        batch_size=VALIDATION_BATCH_SIZE,
        trailing=trailing_padding(config),
        seed=None,
    )
    probabilities = np.asarray(model.predict(batches, verbose=0))
    ordered = np.empty_like(probabilities)
    ordered[np.concatenate(batches.batches)] = probabilities  # each batch's rows, as served
    return ordered


def phases(warmup: int, epochs: int) -> list[tuple[int, int]]:
    """(first, last) epochs of each `fit()`: [0, epochs) in one, or the warm-up then the rest;
    a warm-up as long as the training never unfreezes."""
    if 0 < warmup < epochs:
        return [(0, warmup), (warmup, epochs)]
    return [(0, epochs)]


def _EarlyStopping(keras: Any, patience: int) -> Any:
    """Keras' `EarlyStopping(restore_best_weights=True)` on validation accuracy, but one that
    lasts across several `fit()` calls (Keras' resets itself at each); it stops only while
    `stopping` is set, and the caller restores `best_weights`."""

    class EarlyStopping(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.scores: list[float] = []
            self.best_weights: list[Any] | None = None
            self.wait = 0
            self.stopping = True

        def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
            score = float((logs or {})["val_accuracy"])
            if self.best_weights is None or score > max(self.scores):
                self.best_weights = self.model.get_weights()
                self.wait = 0
            else:
                self.wait += 1
                if self.stopping and self.wait >= patience:
                    self.model.stop_training = True
            self.scores.append(score)

    return EarlyStopping()


def _EpochHook(keras: Any, on_epoch: Callable[[int, float], None]) -> Any:
    """A Keras callback that passes each epoch's validation accuracy to `on_epoch`."""

    class EpochHook(keras.callbacks.Callback):
        def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
            on_epoch(epoch + 1, float((logs or {})["val_accuracy"]))

    return EpochHook()
