"""A Keras `Conv3D` that runs as 2D convolutions over frames for 1-frame kernels and temporal strides."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="stkeras")
class FrameConv3D(keras.layers.Conv3D):
    """`keras.layers.Conv3D` computed as 2D convolutions over frames where that is faster.

    A kernel of temporal size 1 treats every frame alone, so the layer folds
    time into the batch, `(B, T, H, W, C) -> (B·T, H, W, C)`, and runs one 2D
    convolution. A temporally strided kernel of `t` frames runs as `t` such
    convolutions, one per temporal tap on the frames it reads, summed.
    Both are faster on a CPU than TensorFlow's 3D convolution (measured in
    `benchmarks/frame_conv.py`), with the same weights, arguments and
    outputs as `keras.layers.Conv3D`. Other kernels, unknown frame counts
    and `channels_first` run as a 3D convolution.

    Args: those of `keras.layers.Conv3D`.

    Example:
    >>> import numpy as np
    >>> clips = np.random.rand(2, 4, 8, 8, 3).astype("float32")
    >>> fast, plain = FrameConv3D(5, (1, 3, 3), padding="same"), keras.layers.Conv3D(5, (1, 3, 3), padding="same")
    >>> _ = fast(clips), plain(clips)
    >>> plain.set_weights(fast.get_weights())
    >>> bool(np.allclose(fast(clips), plain(clips), atol=1e-5))
    True
    """

    def _runs_on_frames(self):
        # TensorFlow's CPU Conv3D is slowest with a temporal stride (10x
        # slower than these 2D convolutions in the benchmark); without one,
        # a kernel with temporal extent keeps the 3D convolution, which is
        # as fast or faster.
        return self.data_format == "channels_last" and (self.kernel_size[0] == 1 or self.strides[0] > 1)

    def convolution_op(self, inputs, kernel):
        if not self._runs_on_frames():
            return super().convolution_op(inputs, kernel)
        taps, stride, dilation = self.kernel_size[0], self.strides[0], self.dilation_rate[0]
        frames = inputs.shape[1]
        if frames is None:
            return super().convolution_op(inputs, kernel)
        span = (taps - 1) * dilation + 1
        if self.padding == "same":
            out_frames = -(-frames // stride)
            total = max((out_frames - 1) * stride + span - frames, 0)
            inputs = ops.pad(inputs, [(0, 0), (total // 2, total - total // 2), (0, 0), (0, 0), (0, 0)])
        else:
            out_frames = (frames - span) // stride + 1
        shape = ops.shape(inputs)
        outputs = None
        for tap in range(taps):
            start = tap * dilation
            # The frames this tap reads, one per output frame, as a batch of images.
            selected = inputs[:, start : start + (out_frames - 1) * stride + 1 : stride]
            images = ops.reshape(selected, (-1, shape[2], shape[3], shape[4]))
            tap_outputs = ops.conv(
                images,
                kernel[tap],
                strides=list(self.strides[1:]),
                padding=self.padding,
                dilation_rate=list(self.dilation_rate[1:]),
                data_format="channels_last",
            )
            outputs = tap_outputs if outputs is None else outputs + tap_outputs
        out_shape = ops.shape(outputs)
        return ops.reshape(outputs, (-1, out_frames, out_shape[1], out_shape[2], out_shape[3]))
