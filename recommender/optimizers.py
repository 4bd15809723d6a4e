"""Adam that updates only the embedding rows a batch uses ("lazy" Adam).

Under TensorFlow an embedding's gradient arrives as the rows of the batch's words
(`tf.IndexedSlices`). Keras' Adam makes it dense and moves every row of the embedding and of
both its moment estimates at every step, so its cost grows with the vocabulary times the
dimension, not with the batch; for a trainable embedding on a CPU that step dominated training
(MR, 17,000 words: an epoch of mean pooling took several times as long as with the embedding
frozen; at 100,000 words, 30 to 50 times as long). Lazy Adam (TensorFlow Addons' `LazyAdam`,
PyTorch's `SparseAdam`) updates the moments and weights of the batch's rows only, so a row no
batch uses keeps its moments until one does: a slightly different method from Adam for the
embedding, the usual one for sparse embeddings. The other weights, whose gradients are dense,
get Adam exactly. (Keras' Adam also squares each occurrence of a word the batch repeats before
summing them, so such a word's second moment is too small; here the rows are summed first.)

Under JAX and PyTorch Keras hands every gradient over dense, so this is Adam there (on a GPU a
dense update is cheap).
"""

from __future__ import annotations

from functools import cache
from typing import Any


def lazy_adam(learning_rate: float) -> Any:
    """A new lazy Adam optimizer (Keras' defaults for the betas and epsilon)."""
    return _lazy_adam_class()(learning_rate=learning_rate)


@cache
def _lazy_adam_class() -> type:
    import keras

    @keras.saving.register_keras_serializable(package="embrec")
    class LazyAdam(keras.optimizers.Adam):
        """Adam, but a gradient that comes as rows updates only those rows."""

        def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
            if not _is_row_gradient(gradient):
                super().update_step(gradient, variable, learning_rate)
                return
            import tensorflow as tf

            dtype = variable.dtype
            count = tf.cast(self.iterations + 1, dtype)
            beta_1 = tf.cast(self.beta_1, dtype)
            beta_2 = tf.cast(self.beta_2, dtype)
            alpha = (
                tf.cast(learning_rate, dtype)
                * tf.sqrt(1 - tf.pow(beta_2, count))
                / (1 - tf.pow(beta_1, count))
            )
            # a word seen twice in the batch has two gradient rows: sum them first
            rows, position = tf.unique(gradient.indices)
            values = tf.math.unsorted_segment_sum(
                tf.cast(gradient.values, dtype), position, tf.shape(rows)[0]
            )
            index = self._get_variable_index(variable)
            momentum, velocity = self._momentums[index], self._velocities[index]
            # `sparse_read` gathers the rows from the variable itself: a sparse update puts a
            # variable in copy-on-read mode, where a dense read copies all of it
            m = momentum.value.sparse_read(rows) * beta_1 + values * (1 - beta_1)
            v = velocity.value.sparse_read(rows) * beta_2 + tf.square(values) * (1 - beta_2)
            self.assign(momentum, tf.IndexedSlices(m, rows))
            self.assign(velocity, tf.IndexedSlices(v, rows))
            step = alpha * m / (tf.sqrt(v) + self.epsilon)
            self.assign_sub(variable, tf.IndexedSlices(step, rows))

    return LazyAdam


def _is_row_gradient(gradient: Any) -> bool:
    import keras

    if keras.backend.backend() != "tensorflow":
        return False
    import tensorflow as tf

    return isinstance(gradient, tf.IndexedSlices)
