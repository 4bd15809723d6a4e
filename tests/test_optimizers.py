"""The training optimizer is Adam exactly: every weight, every step, repeated words included."""

from __future__ import annotations

import numpy as np

from recommender.backend import import_keras
from recommender.optimizers import adam

VOCABULARY, DIM = 12, 4
LEARNING_RATE, BETA_1, BETA_2, EPSILON = 0.01, 0.9, 0.999, 1e-7
# the first batch repeats word 2 (and the padding): TensorFlow gives word 2 two gradient rows
BATCHES = (
    np.array([[2, 2, 5, 0], [3, 4, 0, 0]], dtype=np.int32),
    np.array([[2, 3, 0, 0], [4, 1, 3, 0]], dtype=np.int32),
)
LABELS = np.array([0, 1], dtype=np.int32)


def _model():
    keras = import_keras()
    keras.utils.set_random_seed(0)
    ids = keras.Input(shape=(None,), dtype="int32")
    vectors = keras.layers.Embedding(VOCABULARY, DIM, name="embedding")(ids)
    features = keras.layers.GlobalAveragePooling1D()(vectors)
    probabilities = keras.layers.Dense(2, activation="softmax")(features)
    model = keras.Model(ids, probabilities)
    model.compile(optimizer=adam(LEARNING_RATE), loss="sparse_categorical_crossentropy")
    return model


def _gradients(model, batch: np.ndarray) -> list[np.ndarray]:
    """Every trainable weight's gradient, dense (TensorFlow sums the rows of a repeated word)."""
    import tensorflow as tf

    keras = import_keras()
    with tf.GradientTape() as tape:
        probabilities = model(batch, training=True)
        loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(LABELS, probabilities))
    gradients = tape.gradient(loss, model.trainable_variables)
    assert isinstance(gradients[0], tf.IndexedSlices), "the embedding's gradient comes as rows"
    return [tf.convert_to_tensor(g).numpy() for g in gradients]


def test_each_step_is_adam_by_hand_for_every_weight() -> None:
    """Keras' own Adam fails this under TensorFlow: it squares each occurrence's row of a
    repeated word before summing them, so that word's second moment comes out too small."""
    model = _model()
    weights = [w.numpy().copy() for w in model.trainable_variables]
    moments = [np.zeros_like(w) for w in weights]
    velocities = [np.zeros_like(w) for w in weights]
    for step, batch in enumerate(BATCHES, start=1):
        gradients = _gradients(model, batch)
        alpha = LEARNING_RATE * np.sqrt(1 - BETA_2**step) / (1 - BETA_1**step)
        for i, g in enumerate(gradients):
            moments[i] = BETA_1 * moments[i] + (1 - BETA_1) * g
            velocities[i] = BETA_2 * velocities[i] + (1 - BETA_2) * g**2
            weights[i] = weights[i] - alpha * moments[i] / (np.sqrt(velocities[i]) + EPSILON)
        model.train_on_batch(batch, LABELS)
        for mine, expected in zip(model.trainable_variables, weights, strict=True):
            np.testing.assert_allclose(mine.numpy(), expected, rtol=1e-5, atol=1e-7)
    rows = model.get_layer("embedding").get_weights()[0]
    assert not np.allclose(rows[2], _model().get_layer("embedding").get_weights()[0][2])
