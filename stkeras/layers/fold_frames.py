"""Folding a clip's frames into the channels of one image, and back.

Tran et al. 2018's R2D sees a clip as one image of `frames * channels`
channels (`FoldFrames`, a layer of the model); Keras' image layers
(crops, flips, rotations) draw one transform per image, so applying them to
a folded clip moves all its frames together (`fold_frames`, `unfold_frames`,
used by `stkeras.data.ClipAugmentation` and the test-time views). Channels
are frame-major: channel `t * C + c` of the image is channel `c` of frame `t`.
"""

import keras
from keras import ops


def fold_frames(clips):
    """Clips `(batch, frames, h, w, c)` as images `(batch, h, w, frames * c)`.

    Example:
    >>> import numpy as np
    >>> fold_frames(np.zeros((2, 3, 4, 5, 2), "float32")).shape
    TensorShape([2, 4, 5, 6])
    """
    shape = ops.shape(clips)
    frames, channels = clips.shape[1], clips.shape[4]
    folded = -1 if frames is None or channels is None else frames * channels  # static where it is known
    return ops.reshape(ops.transpose(clips, (0, 2, 3, 1, 4)), (shape[0], shape[2], shape[3], folded))


def unfold_frames(images, frames, channels):
    """The inverse of `fold_frames`: images `(batch, h, w, frames * channels)` as clips.

    Example:
    >>> import numpy as np
    >>> clips = np.arange(24.0, dtype="float32").reshape(1, 3, 2, 2, 2)
    >>> bool(np.array_equal(unfold_frames(fold_frames(clips), 3, 2), clips))
    True
    """
    shape = ops.shape(images)
    return ops.transpose(ops.reshape(images, (shape[0], shape[1], shape[2], frames, channels)), (0, 3, 1, 2, 4))


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
        return ops.expand_dims(fold_frames(inputs), 1)

    def compute_output_shape(self, input_shape):
        frames, channels = input_shape[1], input_shape[-1]
        folded = None if frames is None or channels is None else frames * channels
        return (input_shape[0], 1, input_shape[2], input_shape[3], folded)

    def grow_receptive_field(self, field):
        """Analysis protocol: every position sees every frame."""
        return field.cover("t")

    def count_macs(self, input_shape, output_shape):
        """Analysis protocol: a reshape multiplies nothing."""
        return 0
