"""Pooling over the time axis of a sequence."""

import keras
from keras import ops

from stkeras.validation import check_choice

MODES = ("last", "mean", "max")


@keras.saving.register_keras_serializable(package="stkeras")
class TemporalPooling(keras.layers.Layer):
    """Reduces `(batch, time, ...)` to `(batch, ...)` over the time axis.

    Args:
        mode: `"last"` (the last frame, e.g. the output of a recurrent stack
            that has seen every frame), `"mean"` or `"max"`.

    Call arguments:
        inputs: a tensor with time on axis 1.

    Example:
    >>> import numpy as np
    >>> TemporalPooling("last")(np.arange(6.0).reshape(1, 3, 2)).numpy()
    array([[4., 5.]], dtype=float32)

    Reference: the head of Courtney & Sreenivas 2022's ConvLSTM model, whose temporal receptive
    field covers every frame at the last time step.
    """

    def __init__(self, mode="last", **kwargs):
        super().__init__(**kwargs)
        self.mode = check_choice("mode", mode, MODES)

    def call(self, inputs):
        if self.mode == "last":
            return inputs[:, -1]
        if self.mode == "mean":
            return ops.mean(inputs, axis=1)
        return ops.max(inputs, axis=1)

    def grow_receptive_field(self, field):
        """Analysis protocol: the last frame keeps its field, mean and max cover time."""
        return field.last_frame() if self.mode == "last" else field.cover("t")

    def count_macs(self, input_shape, output_shape):
        """Analysis protocol: pooling multiplies nothing."""
        return 0

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + tuple(input_shape[2:])

    def get_config(self):
        return {**super().get_config(), "mode": self.mode}
