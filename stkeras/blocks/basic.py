"""The basic residual block of ResNet-10/18/34 with a pluggable op."""

import keras

from stkeras.blocks.bottleneck import _without_legacy_temporal_kernel
from stkeras.blocks.ops import get_op
from stkeras.layers.frame_conv import FrameConv3D
from stkeras.layers.fused_batch_norm import FusedBatchNormalization
from stkeras.validation import check_number
from stkeras.validation import check_positive_int
from stkeras.validation import check_weights_fit


@keras.saving.register_keras_serializable(package="stkeras")
class ResidualBasic(keras.layers.Layer):
    """op -> BN -> ReLU -> op -> BN, plus an open or projected skip, then ReLU.

    The two ops are chosen by name from the same registry as
    `ResidualBottleneck`'s (`conv3d`, `conv2d`, `conv2plus1d`, `p3d_a`, ...).
    The first op carries the block's stride; the skip is a strided 1x1x1
    convolution plus batch normalization when the stride or channels change.

    Args:
        filters: output channels.
        op: name of the op of both convolutions.
        strides: spatial stride.
        temporal_strides: temporal stride.
        kernel_size, temporal_kernel_size: the ops' kernels (`None`: the op's
            default temporal kernel).
        use_bias: biases on the convolutions (the reference networks: none).
        norm_momentum: batch-norm momentum.
        op_options: dict of extra keyword arguments for both ops; options the
            op does not declare are refused.

    The block's op is its second convolution `op2` (`op_layer`, path
    `"<block>/op2"`), the last spatiotemporal op before the addition.

    Call arguments:
        inputs: clips `(batch, time, height, width, channels)`.
        training: for batch normalization.

    Example:
    >>> import numpy as np
    >>> block = ResidualBasic(32, op="conv2plus1d", strides=2, temporal_strides=2)
    >>> block(np.zeros((1, 4, 8, 8, 16), "float32")).shape
    TensorShape([1, 2, 4, 4, 32])

    Reference: He et al. 2016; Tran et al. 2018 (seed 003).
    """

    def __init__(
        self,
        filters,
        op="conv3d",
        strides=1,
        temporal_strides=1,
        kernel_size=3,
        temporal_kernel_size=None,
        use_bias=False,
        norm_momentum=0.9,
        op_options=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.filters = check_positive_int("filters", filters)
        self.op = op
        spec = get_op(op)
        self.strides = check_positive_int("strides", strides)
        self.temporal_strides = check_positive_int("temporal_strides", temporal_strides)
        self.kernel_size = check_positive_int("kernel_size", kernel_size)
        spec.resolve_temporal_kernel(temporal_kernel_size)
        self.temporal_kernel_size = temporal_kernel_size
        self.use_bias = bool(use_bias)
        self.norm_momentum = check_number("norm_momentum", norm_momentum, 0, 1)
        self.op_options = spec.check_options(op_options)
        common = dict(kernel_size=self.kernel_size, temporal_kernel_size=self.temporal_kernel_size,
                      use_bias=self.use_bias, dtype=self.dtype_policy, **self.op_options)
        self.op1 = spec.build(filters, strides=self.strides, temporal_strides=self.temporal_strides,
                              name="op1", **common)
        self.op2 = spec.build(filters, name="op2", **common)
        self.norm1 = FusedBatchNormalization(momentum=self.norm_momentum, name="op1_bn",
                                                     dtype=self.dtype_policy)
        self.norm2 = FusedBatchNormalization(momentum=self.norm_momentum, name="op2_bn",
                                                     dtype=self.dtype_policy)

    def build(self, input_shape):
        shape = tuple(input_shape)
        k, f = self.kernel_size, self.filters
        kt = get_op(self.op).resolve_temporal_kernel(self.temporal_kernel_size)
        check_weights_fit(self.name, {"op1": (kt, k, k, shape[-1], f), "op2": (kt, k, k, f, f)},
                          f"filters={f}, kernel_size={k}, temporal_kernel_size={kt}")
        self.op1.build(shape)
        middle = tuple(self.op1.compute_output_shape(shape))
        self.norm1.build(middle)
        self.op2.build(middle)
        self.norm2.build(middle)
        if self.strides > 1 or self.temporal_strides > 1 or shape[-1] != self.filters:
            self.projection = FrameConv3D(
                self.filters, 1, strides=(self.temporal_strides, self.strides, self.strides),
                use_bias=self.use_bias, name="projection", dtype=self.dtype_policy,
            )
            self.projection.build(shape)
            self.projection_norm = FusedBatchNormalization(
                momentum=self.norm_momentum, name="projection_bn", dtype=self.dtype_policy)
            self.projection_norm.build(middle)
        else:
            self.projection = None

    @property
    def op_layer(self):
        """The block's op: the second convolution, whose output meets the skip."""
        return self.op2

    def call_before_op(self, inputs, training=None):
        """The block up to `op2`; returns `(op2's input, skip path's output)`."""
        y = keras.activations.relu(self.norm1(self.op1(inputs, training=training), training=training))
        skip = inputs
        if self.projection is not None:
            skip = self.projection_norm(self.projection(inputs), training=training)
        return y, skip

    def call_after_op(self, op_outputs, skip, training=None):
        """The block from `op2`'s output on: normalization, addition, ReLU."""
        return keras.activations.relu(self.norm2(op_outputs, training=training) + skip)

    def call(self, inputs, training=None):
        y, skip = self.call_before_op(inputs, training=training)
        return self.call_after_op(self.op2(y, training=training), skip, training=training)

    def paths(self, input_shape):
        """The residual and shortcut paths (see `ResidualBottleneck.paths`)."""
        if not self.built:
            self.build(input_shape)
        shape = tuple(input_shape)
        middle = tuple(self.op1.compute_output_shape(shape))
        shortcut = () if self.projection is None else ((self.projection, shape, middle),)
        return (((self.op1, shape, middle), (self.op2, middle, middle)), shortcut)

    def compute_output_shape(self, input_shape):
        return tuple(self.op1.compute_output_shape(tuple(input_shape)))

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "op": self.op,
            "strides": self.strides,
            "temporal_strides": self.temporal_strides,
            "kernel_size": self.kernel_size,
            "temporal_kernel_size": self.temporal_kernel_size,
            "use_bias": self.use_bias,
            "norm_momentum": self.norm_momentum,
            "op_options": dict(self.op_options),
        }

    @classmethod
    def from_config(cls, config):
        return cls(**_without_legacy_temporal_kernel(config))
