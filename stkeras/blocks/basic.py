"""The basic residual block of ResNet-10/18/34 with a pluggable op."""

import keras

from stkeras.blocks.arguments import block_config
from stkeras.blocks.arguments import build_projection
from stkeras.blocks.arguments import check_block_arguments
from stkeras.blocks.arguments import without_legacy_temporal_kernel
from stkeras.blocks.ops import get_op
from stkeras.layers.normalization import normalization_layer
from stkeras.validation import check_positive_int


@keras.saving.register_keras_serializable(package="stkeras")
class ResidualBasic(keras.layers.Layer):
    """op -> BN -> ReLU -> op -> BN, plus an open or projected skip, then ReLU.

    The two ops are chosen by name from the same registry as
    `ResidualBottleneck`'s (`conv3d`, `conv2d`, `conv2plus1d`, `p3d_a`, ...).
    The first op carries the block's stride; the skip is a strided 1x1x1
    convolution plus batch normalization when the stride or channels change.
    With `placement="pre"` the block is the pre-activation one (BN -> ReLU ->
    op -> BN -> ReLU -> op, nothing after the addition), as in
    `ResidualBottleneck`.

    It takes the same keyword arguments as `ResidualBottleneck`, checked by
    `stkeras.blocks.arguments.check_block_arguments`, with the same
    defaults except `use_bias=False` (the reference video ResNets have no
    biases, and the models built on this block rely on it).

    Args:
        filters: output channels (of both ops).
        op: name of the op of both convolutions, one of
            `stkeras.blocks.available_ops()` (default `"conv3d"`).
        strides: spatial stride (of the first op and the projection).
        temporal_strides: temporal stride; `None` is the op's default
            (`OpSpec.default_temporal_strides`: the spatial stride for
            `ts_conv3d`, else 1).
        kernel_size: spatial kernel of the ops.
        temporal_kernel_size: temporal kernel of the ops; `None` is the op's
            default (3 for ops with a temporal kernel); ops without one
            refuse a value above 1.
        shortcut: `"auto"` (open skip unless the stride or channels change,
            then a strided 1x1x1 convolution), `"identity"`, `"conv"`
            (always a 1x1x1 projection) or `"convlstm"` (a strided 1x1
            ConvLSTM; not with a temporal stride).
        normalization: `"batch"` (batch normalization, synchronized over
            the replicas when run on several), `"sync_batch"` (always
            synchronized) or `None` (no normalization layers); see
            `stkeras.layers.normalization`.
        placement: `"post"` (conv -> BN -> activation, the last activation
            after the addition) or `"pre"` (BN -> activation -> conv).
        activation: activation after each normalization (default ReLU).
        use_bias: biases on the convolutions (the reference networks: none).
        op_options: dict of extra keyword arguments for both ops; options the
            op does not declare are refused.
        norm_momentum: batch-norm momentum.
        norm_epsilon: batch-norm epsilon (Keras' 1e-3; PyTorch's 1e-5).

    Sub-layers: the ops `op1` and `op2` (named as their attributes, in call
    order), `projection` (if any) and the normalizations `op1_bn`,
    `op2_bn`, `projection_bn` (`input_bn` before `op1` with
    `placement="pre"`). The block's op is its second convolution `op2`
    (`op_layer`, path `"<block>/op2"`), the last spatiotemporal op before
    the addition; `op_layers` is `(op1, op2)`.

    Call arguments:
        inputs: clips `(batch, time, height, width, channels)`.
        training: for batch normalization.

    Example:
    >>> import numpy as np
    >>> block = ResidualBasic(32, op="conv2plus1d", strides=2, temporal_strides=2)
    >>> block(np.zeros((1, 4, 8, 8, 16), "float32")).shape
    TensorShape([1, 2, 4, 4, 32])
    >>> pre = ResidualBasic(16, op="conv2d", placement="pre", normalization=None, activation="gelu")
    >>> pre(np.zeros((1, 4, 8, 8, 16), "float32")).shape
    TensorShape([1, 4, 8, 8, 16])

    Reference: He et al. 2016; Tran et al. 2018.
    """

    def __init__(
        self,
        filters,
        op="conv3d",
        strides=1,
        temporal_strides=None,
        kernel_size=3,
        temporal_kernel_size=None,
        shortcut="auto",
        normalization="batch",
        placement="post",
        activation="relu",
        use_bias=False,
        op_options=None,
        norm_momentum=0.9,
        norm_epsilon=1e-3,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.filters = check_positive_int("filters", filters)
        checked = check_block_arguments(
            op=op, strides=strides, temporal_strides=temporal_strides, kernel_size=kernel_size,
            temporal_kernel_size=temporal_kernel_size, shortcut=shortcut, normalization=normalization,
            placement=placement, activation=activation, use_bias=use_bias, op_options=op_options,
            norm_momentum=norm_momentum, norm_epsilon=norm_epsilon,
        )
        for name, value in checked.items():
            setattr(self, name, value)
        spec = get_op(op)
        common = dict(kernel_size=self.kernel_size, temporal_kernel_size=self.temporal_kernel_size,
                      use_bias=self.use_bias, dtype=self.dtype_policy, **self.op_options)
        self.op1 = spec.build(filters, strides=self.strides, temporal_strides=self.temporal_strides,
                              name="op1", **common)
        self.op2 = spec.build(filters, name="op2", **common)
        # Attribute names are the paths of saved weights: kept as they were.
        self.norm_input = self._norm("input_bn") if self.placement == "pre" else None
        self.norm1 = self._norm("op1_bn")
        self.norm2 = self._norm("op2_bn") if self.placement == "post" else None

    def _norm(self, name):
        return normalization_layer(self.normalization, name=name, momentum=self.norm_momentum,
                                   epsilon=self.norm_epsilon, dtype=self.dtype_policy)

    def build(self, input_shape):
        shape = tuple(input_shape)
        if self.norm_input is not None:
            self.norm_input.build(shape)
        self.op1.build(shape)
        middle = tuple(self.op1.compute_output_shape(shape))
        if self.norm1 is not None:
            self.norm1.build(middle)
        self.op2.build(middle)
        if self.norm2 is not None:
            self.norm2.build(middle)
        self.projection = build_projection(self, shape[-1])
        self.projection_norm = None
        if self.projection is not None:
            self.projection.build(shape)
            if self.placement == "post":
                self.projection_norm = self._norm("projection_bn")
            if self.projection_norm is not None:
                self.projection_norm.build(middle)

    @property
    def op_layer(self):
        """The block's op: the second convolution, whose output meets the skip."""
        return self.op2

    @property
    def op_layers(self):
        """The block's op sub-layers in call order: `(op1, op2)`."""
        return (self.op1, self.op2)

    def _normalize(self, norm, x, training, activate=True):
        if norm is not None:
            x = norm(x, training=training)
        return self.activation(x) if activate else x

    def call_before_op(self, inputs, training=None):
        """The block up to `op2`; returns `(op2's input, skip path's output)`."""
        x = self._normalize(self.norm_input, inputs, training) if self.placement == "pre" else inputs
        y = self._normalize(self.norm1, self.op1(x, training=training), training)
        if self.projection is None:
            skip = inputs
        elif self.placement == "pre":
            skip = self.projection(x, training=training)
        else:
            skip = self._normalize(self.projection_norm, self.projection(inputs, training=training), training,
                                   activate=False)
        return y, skip

    def call_after_op(self, op_outputs, skip, training=None):
        """The block from `op2`'s output on: normalization, addition, activation."""
        if self.placement == "pre":
            return op_outputs + skip
        return self.activation(self._normalize(self.norm2, op_outputs, training, activate=False) + skip)

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
        return {**super().get_config(), "filters": self.filters, **block_config(self)}

    @classmethod
    def from_config(cls, config):
        return cls(**without_legacy_temporal_kernel(config))
