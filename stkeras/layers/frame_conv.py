"""A Keras `Conv3D` that runs as 2D convolutions over frames for 1-frame kernels and temporal strides."""

import keras
from keras import ops

from stkeras.validation import check_bool
from stkeras.validation import check_choice
from stkeras.validation import check_dilation_fits
from stkeras.validation import check_positive_int
from stkeras.validation import normalize_tuple


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

    Args:
        symmetric_padding: with `padding="same"`, pad `(k - 1) * d // 2`
            on both sides of every axis, as PyTorch's `padding=k // 2`
            (torchvision's video ResNets), instead of TensorFlow's split,
            which puts the odd pixel at the end when the layer strides. Odd
            kernels only; the output shape is the same as `"same"`'s.
        other arguments: those of `keras.layers.Conv3D`.

    Example:
    >>> import numpy as np
    >>> clips = np.random.rand(2, 4, 8, 8, 3).astype("float32")
    >>> fast, plain = FrameConv3D(5, (1, 3, 3), padding="same"), keras.layers.Conv3D(5, (1, 3, 3), padding="same")
    >>> _ = fast(clips), plain(clips)
    >>> plain.set_weights(fast.get_weights())
    >>> bool(np.allclose(fast(clips), plain(clips), atol=1e-5))
    True
    >>> FrameConv3D(5, 3, strides=2, padding="same", symmetric_padding=True)(clips).shape
    TensorShape([2, 2, 4, 4, 5])
    """

    def __init__(self, filters, kernel_size, strides=(1, 1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1, 1), groups=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, symmetric_padding=False, **kwargs):
        # Keras checks these too, but with messages that name neither the argument nor the value.
        check_positive_int("filters", filters)
        check_positive_int("groups", groups)
        if filters % groups:
            raise ValueError(f"`filters` must be a multiple of `groups`. Received: filters={filters!r}, "
                             f"groups={groups!r}")
        super().__init__(
            filters, normalize_tuple(kernel_size, 3, "kernel_size"), strides=normalize_tuple(strides, 3, "strides"),
            padding=check_choice("padding", padding.lower() if isinstance(padding, str) else padding,
                                 ("valid", "same", "causal")),
            data_format=data_format, dilation_rate=normalize_tuple(dilation_rate, 3, "dilation_rate"), groups=groups,
            activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
            bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
            bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
            kernel_constraint=kernel_constraint, bias_constraint=bias_constraint, **kwargs)
        self.symmetric_padding = check_bool("symmetric_padding", symmetric_padding)
        if self.symmetric_padding:
            if self.padding != "same":
                raise ValueError(f"`symmetric_padding=True` needs padding='same'. Received: symmetric_padding=True, "
                                 f"padding={padding!r}")
            if any(k % 2 == 0 for k in self.kernel_size):
                raise ValueError(f"`symmetric_padding=True` needs odd kernel sizes. Received: symmetric_padding=True, "
                                 f"kernel_size={self.kernel_size}")

    def _symmetric_pads(self):
        """Explicit padding of every axis, or `None` where "same" already is symmetric (no stride)."""
        if not self.symmetric_padding or all(s == 1 for s in self.strides):
            return None
        # With stride 1 and odd kernels TensorFlow's "same" is symmetric too; with a stride it is not.
        pads = [((k - 1) * d // 2,) * 2 for k, d in zip(self.kernel_size, self.dilation_rate)]
        return [(0, 0), *pads, (0, 0)] if self.data_format == "channels_last" else [(0, 0), (0, 0), *pads]

    def build(self, input_shape):
        channels = input_shape[-1 if self.data_format == "channels_last" else 1]
        if channels is not None:
            check_dilation_fits(self.name, self.kernel_size, self.dilation_rate, self.padding,
                                input_shape[1:4] if self.data_format == "channels_last" else input_shape[2:5])
        super().build(input_shape)

    def _runs_on_frames(self):
        # TensorFlow's CPU Conv3D is slowest with a temporal stride (10x
        # slower than these 2D convolutions in the benchmark); without one,
        # a kernel with temporal extent keeps the 3D convolution, which is
        # as fast or faster.
        return self.data_format == "channels_last" and (self.kernel_size[0] == 1 or self.strides[0] > 1)

    def convolution_op(self, inputs, kernel):
        padding, pads = self.padding, self._symmetric_pads()
        if pads is not None:
            inputs, padding = ops.pad(inputs, pads), "valid"
        frames = inputs.shape[1]
        if not self._runs_on_frames() or frames is None:
            return ops.conv(inputs, kernel, strides=list(self.strides), padding=padding,
                            dilation_rate=self.dilation_rate, data_format=self.data_format)
        taps, stride, dilation = self.kernel_size[0], self.strides[0], self.dilation_rate[0]
        span = (taps - 1) * dilation + 1
        if padding == "same":
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
                padding=padding,
                dilation_rate=list(self.dilation_rate[1:]),
                data_format="channels_last",
            )
            outputs = tap_outputs if outputs is None else outputs + tap_outputs
        out_shape = ops.shape(outputs)
        return ops.reshape(outputs, (-1, out_frames, out_shape[1], out_shape[2], out_shape[3]))

    def get_config(self):
        return {**super().get_config(), "symmetric_padding": self.symmetric_padding}
