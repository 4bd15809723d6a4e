"""Import Keras once, quietly: TensorFlow writes CUDA/absl notices to the C-level stderr at
import time, which would bury the one line a user needs to read."""

from __future__ import annotations

import os
from typing import Any


def import_keras() -> Any:
    """Keras on the backend named by KERAS_BACKEND (TensorFlow by default), import noise hidden."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            import keras

            if keras.backend.backend() == "tensorflow":
                import tensorflow as tf

                tf.get_logger().setLevel("ERROR")
    finally:
        os.dup2(saved, 2)
        os.close(saved)
    return keras
