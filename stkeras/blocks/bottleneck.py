"""The residual bottleneck block with a pluggable specialized op."""

import keras

from stkeras.blocks.arguments import block_config
from stkeras.blocks.arguments import build_projection
from stkeras.blocks.arguments import check_block_arguments
from stkeras.blocks.arguments import without_legacy_temporal_kernel
from stkeras.blocks.ops import get_op
from stkeras.layers.frame_conv import FrameConv3D
from stkeras.layers.normalization import normalization_layer
from stkeras.validation import check_positive_int


@keras.saving.register_keras_serializable(package="stkeras")
class ResidualBottleneck(keras.layers.Layer):
    """1x1 conv -> specialized op -> 1x1 conv, plus a skip path.

    The block of Courtney & Sreenivas 2022 (Section 4) and, with `op="convlstm"`, the
    `Res_ConvLSTM` sub-blocks of Courtney & Sreenivas 2019: type A is
    `ResidualBottleneck(out, mid, op="convlstm", strides=2,
    shortcut="convlstm")`, type B the same with `strides=1` and an open skip.

    The stride sits on the specialized op (so a block's receptive field grows
    by the op's kernel at the input resolution, as in Courtney & Sreenivas 2022's Tables 1-4)
    and on the projection shortcut. Where batch normalization and the
    activation go is an argument: `"post"` is the original ResNet placement
    (conv -> BN -> ReLU, with the last ReLU after the addition), `"pre"` the
    pre-activation ResNet (BN -> ReLU -> conv, nothing after the addition).

    It takes the same keyword arguments as `ResidualBasic`, checked by
    `stkeras.blocks.arguments.check_block_arguments`; the defaults are the
    same too, except `use_bias=True` (the Courtney and Res_ConvLSTM models
    rely on it; the video ResNets pass `use_bias=False`).

    Args:
        filters: output channels (`out` in the papers' `(in, ch, out)`).
        bottleneck_filters: channels of the specialized op (`ch`).
        op: name of the specialized op, one of
            `stkeras.blocks.available_ops()` (default `"conv3d"`).
        strides: spatial stride of the block (1 or more).
        temporal_strides: temporal stride of the block. `None` means the op's
            default (`OpSpec.default_temporal_strides`: the spatial stride
            for `ts_conv3d`, else 1).
        kernel_size: spatial kernel of the op.
        temporal_kernel_size: temporal kernel of the op; `None` is the op's
            default (3 for ops with a temporal kernel). Ops without one
            (`conv2d`, `convlstm`) refuse a value above 1.
        shortcut: `"auto"` (open skip unless the stride or channels change,
            then a strided 1x1 convolution), `"identity"`, `"conv"` (always a
            1x1 projection) or `"convlstm"` (a strided 1x1 ConvLSTM, seed
            002's type A; not with a temporal stride).
        normalization: `"batch"` (synchronized over the replicas when run
            on several), `"sync_batch"` (always synchronized) or `None`; see
            `stkeras.layers.normalization`.
        norm_momentum: momentum of the batch-norm moving statistics. 0.9
            (PyTorch's default, written 0.1 there): Keras' 0.99 lags behind
            the weights in short trainings and skews inference.
        norm_epsilon: batch-norm epsilon (Keras' 1e-3; PyTorch's 1e-5).
        placement: `"post"` or `"pre"` (see above).
        activation: activation after each normalization.
        use_bias: whether the convolutions have biases.
        op_options: dict of extra keyword arguments for the op's layer (e.g.
            `{"state_reset_period": 4}` for `convlstm`, which also resets a
            `"convlstm"` shortcut); options the op does not declare are
            refused.

    Sub-layers: `reduce`, the op, `expand`, `projection` (if any) and the
    normalizations `<sub-layer>_bn`. The block has one op, the layer
    `op_layer` (named `"op"`, path `"<block>/op"`; `op_layers` is
    `(op_layer,)`, as `ResidualBasic`'s is `(op1, op2)`);
    `stkeras.models.expose_ops` makes it a node of a model's graph so that
    its activation can be read.

    Call arguments:
        inputs: clips `(batch, time, height, width, channels)`.
        training: passed to batch normalization and dropout.

    Example:
    >>> import numpy as np
    >>> block = ResidualBottleneck(64, 16, op="ts_conv3d", strides=2)
    >>> block(np.zeros((1, 8, 16, 16, 4), "float32")).shape
    TensorShape([1, 4, 8, 8, 64])
    >>> pre = ResidualBottleneck(64, 16, op="conv2d", placement="pre", normalization=None)
    >>> pre(np.zeros((1, 8, 16, 16, 64), "float32")).shape
    TensorShape([1, 8, 16, 16, 64])

    Reference: Courtney & Sreenivas 2022, Section 4; Courtney &
    Sreenivas 2019, Res_ConvLSTM sub-blocks, Section 3.3.
    """

    def __init__(
        self,
        filters,
        bottleneck_filters,
        op="conv3d",
        strides=1,
        temporal_strides=None,
        kernel_size=3,
        temporal_kernel_size=None,
        shortcut="auto",
        normalization="batch",
        placement="post",
        activation="relu",
        use_bias=True,
        op_options=None,
        norm_momentum=0.9,
        norm_epsilon=1e-3,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.filters = check_positive_int("filters", filters)
        self.bottleneck_filters = check_positive_int(
            "bottleneck_filters", bottleneck_filters
        )
        checked = check_block_arguments(
            op=op, strides=strides, temporal_strides=temporal_strides, kernel_size=kernel_size,
            temporal_kernel_size=temporal_kernel_size, shortcut=shortcut, normalization=normalization,
            placement=placement, activation=activation, use_bias=use_bias, op_options=op_options,
            norm_momentum=norm_momentum, norm_epsilon=norm_epsilon,
        )
        for name, value in checked.items():
            setattr(self, name, value)
        # Creating the op now checks op-specific arguments at construction.
        self.op_layer = get_op(op).build(
            self.bottleneck_filters,
            kernel_size=self.kernel_size,
            temporal_kernel_size=self.temporal_kernel_size,
            strides=self.strides,
            temporal_strides=self.temporal_strides,
            use_bias=self.use_bias,
            name="op",
            dtype=self.dtype_policy,
            **self.op_options,
        )

    @property
    def op_layers(self):
        """The block's op sub-layers in call order: `(op_layer,)`."""
        return (self.op_layer,)

    def _norm(self, name):
        return normalization_layer(self.normalization, name=name, momentum=self.norm_momentum,
                                   epsilon=self.norm_epsilon, dtype=self.dtype_policy)

    def _pointwise(self, filters, name):
        return FrameConv3D(filters, 1, use_bias=self.use_bias, name=name, dtype=self.dtype_policy)

    def build(self, input_shape):
        if len(input_shape) != 5:
            raise ValueError(
                "ResidualBottleneck expects clips (batch, time, height, width, "
                f"channels). Received: input_shape={input_shape}"
            )
        in_channels = input_shape[-1]
        self.reduce = self._pointwise(self.bottleneck_filters, "reduce")
        self.expand = self._pointwise(self.filters, "expand")
        self.projection = build_projection(self, in_channels)

        if self.placement == "post":
            self.norm_reduce = self._norm("reduce_bn")
            self.norm_op = self._norm("op_bn")
            self.norm_expand = self._norm("expand_bn")
            self.norm_projection = self._norm("projection_bn") if self.projection else None
            self.norm_input = None
        else:
            self.norm_input = self._norm("input_bn")
            self.norm_reduce = self._norm("reduce_bn")
            self.norm_op = self._norm("op_bn")
            self.norm_expand = None
            self.norm_projection = None

        shape = tuple(input_shape)
        reduced = shape[:-1] + (self.bottleneck_filters,)
        if self.norm_input is not None:
            self.norm_input.build(shape)
        self.reduce.build(shape)
        for norm in (self.norm_reduce,):
            if norm is not None:
                norm.build(reduced)
        self.op_layer.build(reduced)
        op_shape = self.op_layer.compute_output_shape(reduced)
        if self.norm_op is not None:
            self.norm_op.build(op_shape)
        self.expand.build(op_shape)
        out_shape = op_shape[:-1] + (self.filters,)
        if self.norm_expand is not None:
            self.norm_expand.build(out_shape)
        if self.projection is not None:
            self.projection.build(shape)
            if self.norm_projection is not None:
                self.norm_projection.build(self.projection.compute_output_shape(shape))

    def _normalize(self, norm, x, training, activate=True):
        if norm is not None:
            x = norm(x, training=training)
        return self.activation(x) if activate else x

    def call_before_op(self, inputs, training=None):
        """The block up to its op.

        Returns:
            `(op_inputs, skip)`: the op's input and the skip path's output.
        """
        x = self._normalize(self.norm_input, inputs, training) if self.placement == "pre" else inputs
        op_inputs = self._normalize(self.norm_reduce, self.reduce(x), training)
        if self.projection is None:
            skip = inputs
        elif self.placement == "pre":
            skip = self.projection(x, training=training)
        else:
            skip = self._normalize(
                self.norm_projection, self.projection(inputs, training=training), training, activate=False
            )
        return op_inputs, skip

    def call_after_op(self, op_outputs, skip, training=None):
        """The block from its op's output on: expansion and the addition of `skip`."""
        y = self._normalize(self.norm_op, op_outputs, training)
        if self.placement == "pre":
            return self.expand(y) + skip
        y = self._normalize(self.norm_expand, self.expand(y), training, activate=False)
        return self.activation(y + skip)

    def call(self, inputs, training=None):
        op_inputs, skip = self.call_before_op(inputs, training=training)
        return self.call_after_op(self.op_layer(op_inputs, training=training), skip, training=training)

    def paths(self, input_shape):
        """The block's parallel paths, for analysis tools.

        Returns:
            a tuple of paths (residual first, then the shortcut; an open skip
            is an empty path), each a tuple of `(layer, input_shape,
            output_shape)` in call order, normalization layers left out.
        """
        if not self.built:
            self.build(input_shape)
        shape = tuple(input_shape)
        reduced = shape[:-1] + (self.bottleneck_filters,)
        op_shape = tuple(self.op_layer.compute_output_shape(reduced))
        out_shape = op_shape[:-1] + (self.filters,)
        shortcut = ()
        if self.projection is not None:
            shortcut = ((self.projection, shape, tuple(self.projection.compute_output_shape(shape))),)
        residual = ((self.reduce, shape, reduced), (self.op_layer, reduced, op_shape), (self.expand, op_shape, out_shape))
        return (residual, shortcut)

    def compute_output_shape(self, input_shape):
        reduced = tuple(input_shape[:-1]) + (self.bottleneck_filters,)
        op_shape = self.op_layer.compute_output_shape(reduced)
        return tuple(op_shape[:-1]) + (self.filters,)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "bottleneck_filters": self.bottleneck_filters,
            **block_config(self),
        }

    @classmethod
    def from_config(cls, config):
        return cls(**without_legacy_temporal_kernel(config))
