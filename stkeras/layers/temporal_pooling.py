"""Pooling over the time axis of a sequence."""

import keras
from keras import ops

from stkeras.layers.streaming import StreamingRule
from stkeras.layers.streaming import is_streaming
from stkeras.layers.streaming import set_streaming_state
from stkeras.layers.streaming import streaming_state
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
        if is_streaming() and self.mode != "last":
            return self._running(inputs[:, 0])
        if self.mode == "last":
            return inputs[:, -1]
        if self.mode == "mean":
            return ops.mean(inputs, axis=1)
        return ops.max(inputs, axis=1)

    def _running(self, frame):
        """In a streaming step: the mean or maximum of the frames so far."""
        if self.mode == "mean":
            total, count = streaming_state(self, lambda: (ops.zeros_like(frame), ops.zeros_like(frame[:, :1])))
            total, count = total + frame, count + 1.0
            set_streaming_state(self, (total, count))
            return total / count
        (best,) = streaming_state(self, lambda: (ops.full_like(frame, float("-inf")),))
        best = ops.maximum(best, frame)
        set_streaming_state(self, (best,))
        return best

    def streaming_rule(self):
        """Streaming protocol: the last frame is the current one; a mean or maximum runs over the frames so far."""
        return StreamingRule(keeps_time=False)

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
