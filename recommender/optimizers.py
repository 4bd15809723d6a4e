"""Adam, applied by TensorFlow's fused kernel where Keras runs on TensorFlow.

Keras' Adam writes its update as a dozen whole-matrix operations per variable and step. For a
trainable embedding that is a dozen passes over vocabulary x dimension floats at every step,
whatever the batch holds, and on a CPU it dominated training: on MR (17,153 words x 50
dimensions) an epoch of mean pooling took about six times as long fine-tuned as frozen, and a
learned 100-dimensional embedding 18 times. TensorFlow's `ResourceApplyAdam` does the same
update in one multithreaded pass over the variable and its two moments, which made those
epochs 1.9 and 3.4 times faster (`benchmarks/bench_optimizer.py`, docs/benchmarks.md).

It is Adam exactly, with Keras' defaults, with one correction: under TensorFlow an embedding's
gradient arrives as one row per word occurrence (`tf.IndexedSlices`), and Keras' Adam squares
those rows before summing a word's occurrences, so a word the batch repeats gets too small a
second moment and too large a step. Here the rows are summed first, as for any other gradient.

Under JAX and PyTorch this is Keras' Adam.
"""

from __future__ import annotations

from functools import cache
from typing import Any


def adam(learning_rate: float) -> Any:
    """A new Adam optimizer (Keras' defaults for the betas and epsilon)."""
    return _fused_adam_class()(learning_rate=learning_rate)


@cache
def _fused_adam_class() -> type:
    import keras

    @keras.saving.register_keras_serializable(package="embrec")
    class FusedAdam(keras.optimizers.Adam):
        """Keras' Adam whose step is TensorFlow's fused Adam kernel under TensorFlow."""

        def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
            if keras.backend.backend() != "tensorflow" or self.amsgrad:
                super().update_step(gradient, variable, learning_rate)
                return
            import tensorflow as tf

            dtype = variable.dtype
            count = tf.cast(self.iterations + 1, dtype)
            beta_1 = tf.cast(self.beta_1, dtype)
            beta_2 = tf.cast(self.beta_2, dtype)
            index = self._get_variable_index(variable)
            tf.raw_ops.ResourceApplyAdam(
                var=_handle(variable),
                m=_handle(self._momentums[index]),
                v=_handle(self._velocities[index]),
                beta1_power=tf.pow(beta_1, count),
                beta2_power=tf.pow(beta_2, count),
                lr=tf.cast(learning_rate, dtype),
                beta1=beta_1,
                beta2=beta_2,
                epsilon=tf.cast(self.epsilon, dtype),
                # an embedding's rows, one per occurrence, summed into its gradient
                grad=tf.convert_to_tensor(tf.cast(gradient, dtype)),
            )

    return FusedAdam


def _handle(variable: Any) -> Any:
    """The TensorFlow resource behind a Keras variable or a `tf.Variable`."""
    import keras

    if isinstance(variable, keras.Variable):
        variable = variable.value
    return variable.handle
