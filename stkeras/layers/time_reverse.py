"""Reverses the order of the frames of a sequence."""

import keras
from keras import ops

from stkeras.layers.streaming import StreamingRule


@keras.saving.register_keras_serializable(package="stkeras")
class TimeReverse(keras.layers.Layer):
    """Flips axis 1 (time): frame `t` becomes frame `T - 1 - t`.

    Used to run a second, backward network over a clip and to put its
    per-frame outputs back in forward order (Courtney & Sreenivas 2019's bidirectional model).

    Call arguments:
        inputs: a tensor with time on axis 1.

    Example:
    >>> import numpy as np
    >>> TimeReverse()(np.arange(3.0).reshape(1, 3)).numpy()
    array([[2., 1., 0.]], dtype=float32)

    Reference: Courtney & Sreenivas 2019, Section 4.1.
    """

    def call(self, inputs):
        return ops.flip(inputs, axis=1)

    def streaming_rule(self):
        """Streaming protocol: refused, frame `t` of its output is frame `T - 1 - t` of its input."""
        return StreamingRule.refuse("it reverses the frames, so its output at a frame is a later input frame")

    def grow_receptive_field(self, field):
        """Analysis protocol: reordering frames changes no field."""
        return field

    def count_macs(self, input_shape, output_shape):
        """Analysis protocol: no multiplications."""
        return 0

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)
