"""Folding a clip's frames into the channels of one image (Tran et al. 2018's R2D input)."""

import keras
from keras import ops

from stkeras.layers.streaming import StreamingRule


@keras.saving.register_keras_serializable(package="stkeras")
class FoldFrames(keras.layers.Layer):
    """Stacks the `L` frames of a clip along the channels: `(batch, L, H, W, C)` to `(batch, 1, H, W, L*C)`.

    Every 2D convolution after it sees all frames at once, as in Tran et al.
    2018's R2D ("the L frames are stacked as channels, input 3L x H x W"); the
    output keeps a time axis of length 1 so that the video layers after it
    apply unchanged. Channels are frame-major: output channel `t * C + c` is
    channel `c` of frame `t`.

    Call arguments:
        inputs: clips `(batch, frames, height, width, channels)` with a known
            number of frames and channels.

    Example:
    >>> import numpy as np
    >>> clip = np.arange(12.0).reshape(1, 3, 1, 2, 2)  # 3 frames of 1x2, 2 channels
    >>> FoldFrames()(clip).numpy()[0, 0, 0, 0]
    array([0., 1., 4., 5., 8., 9.], dtype=float32)

    Reference: Tran et al. 2018, R2D.
    """

    def build(self, input_shape):
        if len(input_shape) != 5 or input_shape[1] is None or input_shape[-1] is None:
            raise ValueError(f"FoldFrames takes clips (batch, frames, height, width, channels) with a known number "
                             f"of frames and channels. Received: input_shape={tuple(input_shape)}")

    def call(self, inputs):
        frames, channels = inputs.shape[1], inputs.shape[-1]
        shape = ops.shape(inputs)
        x = ops.transpose(inputs, (0, 2, 3, 1, 4))
        return ops.reshape(x, (-1, 1, shape[2], shape[3], frames * channels))

    def compute_output_shape(self, input_shape):
        frames, channels = input_shape[1], input_shape[-1]
        folded = None if frames is None or channels is None else frames * channels
        return (input_shape[0], 1, input_shape[2], input_shape[3], folded)

    def streaming_rule(self):
        """Streaming protocol: refused, every output position reads every frame."""
        return StreamingRule.refuse("it stacks every frame of the clip into the channels of one image")

    def grow_receptive_field(self, field):
        """Analysis protocol: every position sees every frame."""
        return field.cover("t")

    def count_macs(self, input_shape, output_shape):
        """Analysis protocol: a reshape multiplies nothing."""
        return 0
