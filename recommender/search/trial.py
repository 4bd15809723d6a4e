"""Train and score one configuration: shared by every engine, the evidence and the export."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from recommender.models import Candidate, build_model
from recommender.prepare import Prepared


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
    on_epoch: Callable[[int, float], None] | None = None,
) -> FitOutcome:
    """Train on `train_splits`. Without `fixed_epochs`, stop when validation accuracy has not
    improved for `patience` epochs and keep the best weights; `on_epoch(epoch, val_accuracy)`
    may raise to stop a hopeless trial (pruning). With `fixed_epochs`, train exactly that long
    without validation (the final model, trained on train+validation)."""
    import keras

    keras.utils.set_random_seed(seed)
    matrix = prepared.matrices.get(candidate.vectors) if candidate.vectors else None
    model = build_model(
        candidate,
        config,
        vocabulary_size=len(prepared.vocabulary),
        sequence_length=prepared.sequence_length,
        num_classes=len(prepared.classes),
        embedding_matrix=matrix,
    )
    x, y = prepared.xy(*train_splits)
    started = time.perf_counter()
    if fixed_epochs is not None:
        model.fit(x, y, epochs=fixed_epochs, batch_size=batch_size, shuffle=True, verbose=0)
        return FitOutcome(model, None, fixed_epochs, fixed_epochs, time.perf_counter() - started)

    callbacks: list[Any] = [
        keras.callbacks.EarlyStopping(
            monitor="val_accuracy", mode="max", patience=patience, restore_best_weights=True
        )
    ]
    if on_epoch is not None:
        callbacks.append(_EpochHook(keras, on_epoch))
    history = model.fit(
        x,
        y,
        validation_data=(prepared.x["validation"], prepared.y["validation"]),
        epochs=max_epochs,
        batch_size=batch_size,
        shuffle=True,
        callbacks=callbacks,
        verbose=0,
    )
    scores = [float(v) for v in history.history["val_accuracy"]]
    best = max(range(len(scores)), key=lambda i: scores[i])
    return FitOutcome(model, scores[best], best + 1, len(scores), time.perf_counter() - started)


def _EpochHook(keras: Any, on_epoch: Callable[[int, float], None]) -> Any:
    """A Keras callback that passes each epoch's validation accuracy to `on_epoch`."""

    class EpochHook(keras.callbacks.Callback):
        def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
            on_epoch(epoch + 1, float((logs or {})["val_accuracy"]))

    return EpochHook()
