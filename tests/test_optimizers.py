"""Lazy Adam: the embedding rows a batch does not use are left alone; everything else is Adam."""

from __future__ import annotations

import numpy as np

from recommender.backend import import_keras
from recommender.optimizers import lazy_adam

VOCABULARY, DIM = 12, 4
# word 5 is only in the first batch, word 11 in none; the first batch repeats word 2
FIRST = np.array([[2, 2, 5, 0], [3, 4, 0, 0]], dtype=np.int32)
SECOND = np.array([[2, 3, 0, 0], [4, 1, 3, 0]], dtype=np.int32)
LABELS = np.array([0, 1], dtype=np.int32)


def _model(optimizer):
    keras = import_keras()
    keras.utils.set_random_seed(0)
    ids = keras.Input(shape=(None,), dtype="int32")
    vectors = keras.layers.Embedding(VOCABULARY, DIM, name="embedding")(ids)
    features = keras.layers.GlobalAveragePooling1D()(vectors)
    probabilities = keras.layers.Dense(2, activation="softmax")(features)
    model = keras.Model(ids, probabilities)
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
    return model


def _rows(model) -> np.ndarray:
    return model.get_layer("embedding").get_weights()[0]


def test_the_first_step_is_adams_words_repeated_in_the_batch_included() -> None:
    """Adam's first step, by hand, on the embedding's gradient (TensorFlow sums the rows of a
    word the batch repeats). Keras' own Adam gets a repeated word's second moment wrong under
    TensorFlow: it squares each occurrence's row before summing them."""
    import tensorflow as tf

    keras = import_keras()
    model = _model(lazy_adam(0.01))
    before = _rows(model).copy()
    with tf.GradientTape() as tape:
        loss = keras.losses.sparse_categorical_crossentropy(LABELS, model(FIRST, training=True))
        loss = tf.reduce_mean(loss)
    gradient = tape.gradient(loss, model.get_layer("embedding").trainable_variables)[0]
    assert isinstance(gradient, tf.IndexedSlices), "the embedding's gradient comes as rows"
    g = tf.convert_to_tensor(gradient).numpy()
    m, v = 0.1 * g, 0.001 * g**2
    expected = before - 0.01 * np.sqrt(1 - 0.999) / (1 - 0.9) * m / (np.sqrt(v) + 1e-7)
    model.train_on_batch(FIRST, LABELS)
    np.testing.assert_allclose(_rows(model), expected, rtol=1e-5, atol=1e-7)
    assert not np.allclose(_rows(model)[2], before[2]), "the repeated word moved"


def test_a_row_the_batch_does_not_use_keeps_its_place_and_its_moments() -> None:
    keras = import_keras()
    lazy, dense = _model(lazy_adam(0.01)), _model(keras.optimizers.Adam(0.01))
    initial = _rows(lazy).copy()
    for model in (lazy, dense):
        model.train_on_batch(FIRST, LABELS)
    after_first = _rows(lazy).copy(), _rows(dense).copy()
    for model in (lazy, dense):
        model.train_on_batch(SECOND, LABELS)
    # word 5 left the batch: lazy Adam leaves it where the first step put it; Adam's momentum
    # carries it on
    np.testing.assert_array_equal(_rows(lazy)[5], after_first[0][5])
    assert not np.allclose(_rows(dense)[5], after_first[1][5])
    # a word in no batch never moves, and the words in the second batch do
    np.testing.assert_array_equal(_rows(lazy)[11], initial[11])
    assert not np.allclose(_rows(lazy)[3], after_first[0][3])
