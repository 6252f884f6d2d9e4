"""A Keras `Conv3D` that runs as 2D convolutions over frames for 1-frame kernels and temporal strides."""

import keras
from keras import ops

from stkeras.layers.export_limits import dilated_conv3d_limits
from stkeras.layers.shapes import select_frames
from stkeras.layers.streaming import StreamingRule
from stkeras.layers.streaming import is_streaming
from stkeras.layers.streaming import set_streaming_state
from stkeras.layers.streaming import streaming_state
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
    convolution (on every `s`-th frame for a temporal stride `s`). A
    temporally strided kernel of `t` frames runs as `t` such convolutions,
    one per temporal tap on the frames it reads, summed. Both were faster on
    a CPU than TensorFlow's 3D convolution (`benchmarks/frame_conv.py`),
    with the same weights, arguments and outputs as `keras.layers.Conv3D`.
    Other kernels, unknown frame counts and `channels_first` run as a 3D
    convolution.

    With `temporal_padding="causal"` every output frame reads only input
    frames up to its own: the clip is padded with `(t - 1) * d` zero frames
    before its first frame and none after its last (spatial padding as
    `"same"`), as MoViNet's causal convolutions. Such a layer streams: in a
    step model (`stkeras.deploy.to_streaming`) it keeps the last
    `(t - 1) * d` input frames as its state and gives the clip's outputs.

    Args:
        symmetric_padding: with `padding="same"`, pad `(k - 1) * d // 2`
            on both sides of every axis, as PyTorch's `padding=k // 2`
            (torchvision's video ResNets), instead of TensorFlow's split,
            which puts the odd pixel at the end when the layer strides. Odd
            kernels only; the output shape is the same as `"same"`'s.
        temporal_padding: `None` (time is padded as `padding` says) or
            `"causal"` (needs `padding="same"`; the output shape is
            `"same"`'s).
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
    >>> causal = FrameConv3D(5, 3, padding="same", temporal_padding="causal")
    >>> first = causal(clips[:, :1])  # frame 0 alone gives frame 0's output
    >>> bool(np.allclose(first[:, 0], causal(clips)[:, 0], atol=1e-5))
    True
    """

    def __init__(self, filters, kernel_size, strides=(1, 1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1, 1), groups=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, symmetric_padding=False, temporal_padding=None,
                 **kwargs):
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
        self.temporal_padding = check_choice("temporal_padding", temporal_padding, (None, "causal"))
        if self.temporal_padding == "causal" and self.padding != "same":
            raise ValueError(f"`temporal_padding='causal'` needs padding='same' (in space). Received: "
                             f"temporal_padding='causal', padding={padding!r}")
        if self.symmetric_padding:
            if self.padding != "same":
                raise ValueError(f"`symmetric_padding=True` needs padding='same'. Received: symmetric_padding=True, "
                                 f"padding={padding!r}")
            if any(k % 2 == 0 for k in self.kernel_size):
                raise ValueError(f"`symmetric_padding=True` needs odd kernel sizes. Received: symmetric_padding=True, "
                                 f"kernel_size={self.kernel_size}")

    @property
    def temporal_span(self):
        """Input frames one output frame reads: `(t - 1) * d + 1`."""
        return (self.kernel_size[0] - 1) * self.dilation_rate[0] + 1

    def _explicit_pads(self, input_shape):
        """Explicit padding of every axis, or `None` where the convolution's own padding does it.

        Symmetric padding (where "same" is not symmetric: with a stride) and
        causal time padding are explicit; the convolution then pads nothing.
        """
        causal = self.temporal_padding == "causal" and self.temporal_span > 1
        if not causal and (not self.symmetric_padding or all(s == 1 for s in self.strides)):
            return None
        pads = []
        for axis, (k, s, d) in enumerate(zip(self.kernel_size, self.strides, self.dilation_rate)):
            span = (k - 1) * d + 1
            if self.symmetric_padding:
                pads.append(((k - 1) * d // 2,) * 2)
                continue
            size = input_shape[axis + 1 if self.data_format == "channels_last" else axis + 2]
            if size is None and s > 1:
                raise ValueError(f"Layer {self.name!r} with temporal_padding='causal' and strides={self.strides} "
                                 f"needs static sizes. Received: input_shape={tuple(input_shape)}")
            # TensorFlow's "same": the odd pixel at the end.
            total = max((span - s) if size is None else ((-(-size // s)) - 1) * s + span - size, 0)
            pads.append((total // 2, total - total // 2))
        if causal:
            pads[0] = (self.temporal_span - 1, 0)
        return [(0, 0), *pads, (0, 0)] if self.data_format == "channels_last" else [(0, 0), (0, 0), *pads]

    def export_limits(self):
        """Export protocol: a dilated kernel that runs as a 3D convolution cannot go to LiteRT."""
        return {} if self._runs_on_frames() else dilated_conv3d_limits(self.dilation_rate)

    def streaming_rule(self):
        """Streaming protocol: per frame for a one-frame kernel; a buffer of the last frames when causal."""
        if self.data_format != "channels_last":
            return StreamingRule.refuse("it convolves channels-first clips")
        if self.temporal_span == 1 and self.strides[0] == 1:
            return StreamingRule.per_frame()
        if self.strides[0] > 1:
            return StreamingRule.refuse(f"it strides {self.strides[0]} in time, and a step model gives an output "
                                        "at every frame")
        if self.temporal_padding != "causal":
            return StreamingRule.refuse(
                f"its {self.kernel_size[0]}-frame kernel is centred on each frame (padding={self.padding!r}), so "
                "its output at a frame reads later frames; build it with temporal_padding='causal'")
        return StreamingRule.per_frame()  # its state, the last frames, is read in `convolution_op`

    def _with_buffered_frames(self, inputs):
        """In a streaming step: the last `span - 1` input frames, then this one; the buffer moves on by a frame."""
        keep = self.temporal_span - 1

        def initial():
            shape = ops.shape(inputs)
            return (ops.zeros((shape[0], keep, *inputs.shape[2:]), inputs.dtype),)

        (buffer,) = streaming_state(self, initial)
        window = ops.concatenate([buffer, inputs], axis=1)
        set_streaming_state(self, (window[:, -keep:],))
        return window

    def build(self, input_shape):
        channels = input_shape[-1 if self.data_format == "channels_last" else 1]
        if channels is not None:
            check_dilation_fits(self.name, self.kernel_size, self.dilation_rate, self.padding,
                                input_shape[1:4] if self.data_format == "channels_last" else input_shape[2:5])
        super().build(input_shape)

    def _runs_on_frames(self):
        # A kernel of one frame is one 2D convolution. A temporally strided kernel runs as one 2D convolution per
        # temporal tap on the frames it reads (TensorFlow's CPU Conv3D was up to 10x slower with a temporal stride in
        # `benchmarks/frame_conv.py`); other kernels with temporal extent keep the 3D convolution.
        return self.data_format == "channels_last" and (self.kernel_size[0] == 1 or self.strides[0] > 1)

    def _padded(self, inputs):
        """`(inputs, padding)`: the inputs padded explicitly (then `"valid"`), or as they are with `self.padding`."""
        padding, pads = self.padding, self._explicit_pads(inputs.shape)
        if pads is not None and self.temporal_padding == "causal" and is_streaming() and self.temporal_span > 1:
            # One frame in: the buffered frames stand for the causal padding.
            inputs, pads = self._with_buffered_frames(inputs), [(0, 0), (0, 0), *pads[2:]]
        if pads is not None:
            inputs, padding = ops.pad(inputs, pads), "valid"
        return inputs, padding

    def convolution_op(self, inputs, kernel):
        inputs, padding = self._padded(inputs)
        frames = inputs.shape[1]
        if not self._runs_on_frames() or frames is None:
            return ops.conv(inputs, kernel, strides=list(self.strides), padding=padding,
                            dilation_rate=self.dilation_rate, data_format=self.data_format)
        taps, stride, dilation = self.kernel_size[0], self.strides[0], self.dilation_rate[0]
        span = (taps - 1) * dilation + 1
        if padding == "same":
            out_frames = -(-frames // stride)
            total = max((out_frames - 1) * stride + span - frames, 0)
            if total:
                inputs = ops.pad(inputs, [(0, 0), (total // 2, total - total // 2), (0, 0), (0, 0), (0, 0)])
        else:
            out_frames = (frames - span) // stride + 1
        shape = ops.shape(inputs)
        outputs = None
        for tap in range(taps):
            # The frames this tap reads, one per output frame, as a batch of images.
            selected = select_frames(inputs, tap * dilation, out_frames, stride)
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
        return {**super().get_config(), "symmetric_padding": self.symmetric_padding,
                "temporal_padding": self.temporal_padding}
