"""The channel-wise (depthwise) 3D convolution of X3D, computed as 2D depthwise convolutions over frames."""

import keras
from keras import ops

from stkeras.layers.frame_conv import FrameConv3D
from stkeras.layers.shapes import select_frames


@keras.saving.register_keras_serializable(package="stkeras")
class ChannelwiseConv3D(FrameConv3D):
    """A `t x k x k` convolution with one filter per channel: `keras.layers.Conv3D(groups=filters)`.

    Every output channel reads only its own input channel (X3D's
    "channel-wise" convolution, a depthwise convolution in 3D), so the layer
    takes as many channels as it gives (`filters`). The weights are those of
    `keras.layers.Conv3D(filters, kernel_size, groups=filters)`, kernel
    shape `(t, k, k, 1, filters)`, and so are the outputs. It is computed as
    one 2D depthwise convolution per temporal tap over the frames that tap
    reads, time folded into the batch, summed: TensorFlow runs a grouped
    3D convolution on a CPU only through XLA, 20-80x slower
    (`benchmarks/channelwise_conv.py`). The same computation runs on every
    backend.

    Args:
        filters: the number of channels, in and out.
        kernel_size: an int or `(t, k, k)`.
        strides: an int or `(t, s, s)`.
        padding: `"same"` or `"valid"`.
        symmetric_padding: with `padding="same"`, pad `k // 2` on both sides
            of every axis, as PyTorch's `padding=k // 2` (X3D in PyTorchVideo),
            instead of TensorFlow's split, which puts the odd pixel at the end
            when the layer strides.
        other arguments: those of `keras.layers.Conv3D` (`groups` is
            `filters`, `dilation_rate` 1).

    Call arguments:
        inputs: clips `(batch, time, height, width, filters)`.

    Example:
    >>> import numpy as np
    >>> clips = np.random.rand(2, 4, 8, 8, 6).astype("float32")
    >>> layer, plain = ChannelwiseConv3D(6, 3, padding="same"), keras.layers.Conv3D(6, 3, padding="same", groups=6)
    >>> _ = layer(clips), plain.build(clips.shape)
    >>> plain.set_weights(layer.get_weights())
    >>> tuple(layer.kernel.shape), bool(np.allclose(layer(clips), plain(clips), atol=1e-5))
    ((3, 3, 3, 1, 6), True)

    Reference: Feichtenhofer 2020, *X3D: Expanding Architectures for Efficient
    Video Recognition* (channel-wise 3x3x3 convolutions, as MobileNet's).
    """

    def __init__(self, filters, kernel_size=3, strides=1, padding="same", data_format=None, activation=None,
                 use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 symmetric_padding=False, **kwargs):
        groups = kwargs.pop("groups", filters)  # stored by Conv3D's config; always `filters`
        if groups != filters:
            raise ValueError(f"A channel-wise convolution has one group per channel: `groups` must be `filters`. "
                             f"Received: filters={filters!r}, groups={groups!r}")
        dilation = kwargs.pop("dilation_rate", 1)
        if dilation not in (1, (1, 1, 1), [1, 1, 1]):
            raise ValueError(f"ChannelwiseConv3D has no dilation. Received: dilation_rate={dilation!r}")
        super().__init__(
            filters, kernel_size, strides=strides, padding=padding, data_format=data_format, groups=filters,
            activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
            bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer, kernel_constraint=kernel_constraint,
            bias_constraint=bias_constraint, symmetric_padding=symmetric_padding, **kwargs)

    def build(self, input_shape):
        channels = input_shape[-1]
        if self.data_format != "channels_last":
            raise ValueError(f"ChannelwiseConv3D takes channels-last clips. Received: data_format={self.data_format!r}")
        if channels is not None and channels != self.filters:
            raise ValueError(f"Layer {self.name!r}: a channel-wise convolution gives as many channels as it takes. "
                             f"Received: input channels={channels}, filters={self.filters}")
        super().build(input_shape)

    def convolution_op(self, inputs, kernel):
        taps, height, width = self.kernel_size
        stride_t, stride_h, stride_w = self.strides
        inputs, padding = self._padded(inputs)
        frames = inputs.shape[1]
        if frames is None:  # a graph of unknown clip length: the grouped 3D convolution
            return ops.conv(inputs, kernel, strides=list(self.strides), padding=padding)
        if padding == "same":
            out_frames = -(-frames // stride_t)
            total = max((out_frames - 1) * stride_t + taps - frames, 0)
            inputs = ops.pad(inputs, [(0, 0), (total // 2, total - total // 2), (0, 0), (0, 0), (0, 0)])
        else:
            out_frames = (frames - taps) // stride_t + 1
        shape = ops.shape(inputs)
        outputs = None
        for tap in range(taps):
            # The frames this tap reads, one per output frame, as a batch of images.
            selected = select_frames(inputs, tap, out_frames, stride_t)
            images = ops.reshape(selected, (-1, shape[2], shape[3], self.filters))
            tap_outputs = ops.depthwise_conv(
                images, ops.reshape(kernel[tap], (height, width, self.filters, 1)),
                strides=(stride_h, stride_w), padding=padding, data_format="channels_last")
            outputs = tap_outputs if outputs is None else outputs + tap_outputs
        out_shape = ops.shape(outputs)
        return ops.reshape(outputs, (-1, out_frames, out_shape[1], out_shape[2], self.filters))

    def get_config(self):
        config = super().get_config()
        for key in ("groups", "dilation_rate"):
            config.pop(key, None)
        return config
