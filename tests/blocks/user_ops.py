"""An op registered the way a user outside stkeras would: a depthwise-separable 3D convolution."""

import math

import keras
from keras import ops

from stkeras.blocks import register_op


@keras.saving.register_keras_serializable(package="stkeras_tests")
class DepthwiseSeparableConv3D(keras.layers.Layer):
    """A `t x k x k` convolution per input channel, then a `1 x 1 x 1` convolution to `filters`."""

    def __init__(self, filters, kernel_size=(3, 3, 3), strides=(1, 1, 1), use_bias=True, depth_multiplier=1,
                 **kwargs):
        super().__init__(**kwargs)
        self.filters = filters
        self.kernel_size = tuple(kernel_size)
        self.strides = tuple(strides)
        self.use_bias = use_bias
        self.depth_multiplier = depth_multiplier

    def build(self, input_shape):
        channels = input_shape[-1]
        self.depthwise = self.add_weight(shape=(*self.kernel_size, 1, self.depth_multiplier), name="depthwise",
                                         initializer="he_normal")
        self.pointwise = self.add_weight(shape=(1, 1, 1, channels * self.depth_multiplier, self.filters),
                                         name="pointwise", initializer="he_normal")
        self.bias = self.add_weight(shape=(self.filters,), name="bias", initializer="zeros") if self.use_bias else None

    def call(self, inputs):
        frames, height, width, channels = inputs.shape[1:]
        # Every channel convolved on its own: channels folded into the batch.
        x = ops.reshape(ops.transpose(inputs, (0, 4, 1, 2, 3)), (-1, frames, height, width, 1))
        x = ops.conv(x, self.depthwise, strides=self.strides, padding="same")
        out_t, out_h, out_w = x.shape[1:4]
        x = ops.reshape(x, (-1, channels, out_t, out_h, out_w, self.depth_multiplier))
        x = ops.reshape(ops.transpose(x, (0, 2, 3, 4, 1, 5)), (-1, out_t, out_h, out_w, channels * self.depth_multiplier))
        x = ops.conv(x, self.pointwise, padding="same")
        return x + self.bias if self.use_bias else x

    def compute_output_shape(self, input_shape):
        sizes = [None if n is None else -(-n // s) for n, s in zip(input_shape[1:4], self.strides)]
        return (input_shape[0], *sizes, self.filters)

    # The analysis protocol of stkeras.analysis.rules.
    def grow_receptive_field(self, field):
        return field.convolve(self.kernel_size, self.strides)

    def count_macs(self, input_shape, output_shape):
        positions = math.prod(output_shape[1:4])
        depthwise = input_shape[-1] * self.depth_multiplier
        return positions * depthwise * (math.prod(self.kernel_size) + self.filters)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "strides": self.strides, "use_bias": self.use_bias, "depth_multiplier": self.depth_multiplier}


def register_user_op():
    """Registers `DepthwiseSeparableConv3D` as the op `"dwsep3d"` (inside `OPS.temporary()` in the tests)."""
    register_op("dwsep3d", layer=DepthwiseSeparableConv3D, temporal_stride=True,
                description="depthwise t x k x k per channel, then pointwise (a user's op)")
