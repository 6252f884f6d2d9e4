"""Pseudo-3D convolutions: P3D-A, P3D-B and P3D-C (Qiu et al. 2017)."""

import keras

from stkeras.layers.frame_conv import FrameConv3D
from stkeras.layers.fused_batch_norm import FusedBatchNormalization
from stkeras.validation import check_choice
from stkeras.validation import check_number
from stkeras.validation import check_positive_int
from stkeras.validation import normalize_tuple

VARIANTS = ("A", "B", "C")


@keras.saving.register_keras_serializable(package="stkeras")
class Pseudo3D(keras.layers.Layer):
    """A spatial `1 x d x d` (S) and a temporal `t x 1 x 1` (T) convolution, wired three ways.

    - `"A"`: S then T (cascaded): `T(relu(bn(S(x))))`.
    - `"B"`: S and T in parallel from the same input, summed: `S(x) + T(x)`.
    - `"C"`: S then T, plus a skip from S: `S(x) + T(relu(bn(S(x))))`.

    The spatial stride is on S. The temporal stride is on T for A; for B and
    C, whose outputs add S's output, S takes the temporal stride too (a
    1-frame kernel: a subsampling), and for B T also takes the spatial
    stride, so that the summed outputs align.

    Args:
        filters: output channels (S and T both produce `filters` channels).
        variant: `"A"`, `"B"` or `"C"`.
        kernel_size: int or `(t, d, d)`.
        strides: int or `(t, h, w)`.
        use_bias: biases on the convolutions.
        kernel_initializer: initializer of both kernels.
        norm_momentum: momentum of the batch normalization between S and T.

    Call arguments:
        inputs: clips `(batch, time, height, width, channels)`.
        training: for batch normalization.

    Example:
    >>> import numpy as np
    >>> Pseudo3D(8, "B")(np.zeros((1, 4, 8, 8, 3), "float32")).shape
    TensorShape([1, 4, 8, 8, 8])

    Reference: Qiu et al. 2017, *Learning spatio-temporal representation with
    pseudo-3D residual networks*, as Tran et al. 2018 use it.
    """

    def __init__(
        self,
        filters,
        variant="A",
        kernel_size=(3, 3, 3),
        strides=1,
        use_bias=False,
        kernel_initializer="he_normal",
        norm_momentum=0.9,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.filters = check_positive_int("filters", filters)
        self.variant = check_choice("variant", variant, VARIANTS)
        self.kernel_size = normalize_tuple(kernel_size, 3, "kernel_size")
        self.strides = normalize_tuple(strides, 3, "strides")
        self.use_bias = bool(use_bias)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.norm_momentum = check_number("norm_momentum", norm_momentum, 0, 1)

    def build(self, input_shape):
        t, h, w = self.kernel_size
        st, sh, sw = self.strides
        parallel = self.variant == "B"
        conv = dict(padding="same", use_bias=self.use_bias, kernel_initializer=self.kernel_initializer,
                    dtype=self.dtype_policy)
        spatial_strides = (1, sh, sw) if self.variant == "A" else (st, sh, sw)
        temporal_strides = {"A": (st, 1, 1), "B": (st, sh, sw), "C": (1, 1, 1)}[self.variant]
        self.spatial = FrameConv3D(self.filters, (1, h, w), strides=spatial_strides, name="spatial", **conv)
        self.temporal = keras.layers.Conv3D(self.filters, (t, 1, 1), strides=temporal_strides, name="temporal", **conv)
        shape = tuple(input_shape)
        self.spatial.build(shape)
        spatial_shape = self.spatial.compute_output_shape(shape)
        if parallel:
            self.norm = None
            self.temporal.build(shape)
        else:
            self.norm = FusedBatchNormalization(momentum=self.norm_momentum, name="spatial_bn",
                                                        dtype=self.dtype_policy)
            self.norm.build(spatial_shape)
            self.temporal.build(spatial_shape)

    def call(self, inputs, training=None):
        s = self.spatial(inputs)
        if self.variant == "B":
            return s + self.temporal(inputs)
        t = self.temporal(keras.activations.relu(self.norm(s, training=training)))
        return t if self.variant == "A" else s + t

    def paths(self, input_shape):
        """Sub-layers with their shapes, for analysis (see `Conv2Plus1D.paths`).

        A: S then T; B: S and T side by side; C: S then T, and S alone.
        """
        if not self.built:
            self.build(input_shape)
        shape = tuple(input_shape)
        s_shape = tuple(self.spatial.compute_output_shape(shape))
        if self.variant == "B":
            t_shape = tuple(self.temporal.compute_output_shape(shape))
            return (((self.spatial, shape, s_shape),), ((self.temporal, shape, t_shape),))
        t_shape = tuple(self.temporal.compute_output_shape(s_shape))
        main = ((self.spatial, shape, s_shape), (self.temporal, s_shape, t_shape))
        return (main, ((self.spatial, shape, s_shape),)) if self.variant == "C" else (main,)

    def compute_output_shape(self, input_shape):
        out = [None if n is None else -(-n // s) for n, s in zip(input_shape[1:4], self.strides)]
        return (input_shape[0], *out, self.filters)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "variant": self.variant,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "use_bias": self.use_bias,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "norm_momentum": self.norm_momentum,
        }
