"""The (2+1)D convolution of R(2+1)D: a spatial 2D then a temporal 1D convolution."""

import keras

from stkeras.layers.frame_conv import FrameConv3D
from stkeras.layers.fused_batch_norm import FusedBatchNormalization
from stkeras.layers.shapes import conv_output_size
from stkeras.validation import check_bool
from stkeras.validation import check_choice
from stkeras.validation import check_number
from stkeras.validation import check_positive_int
from stkeras.validation import normalize_tuple


def parameter_matched_filters(kernel_size, in_channels, out_channels):
    """`M_i = floor(t d^2 N_in N_out / (d^2 N_in + t N_out))` (Tran et al. 2018).

    With this many intermediate channels a (2+1)D convolution has about the
    parameters of the full `t x d x d` 3D convolution.

    Example:
    >>> parameter_matched_filters((3, 3, 3), 64, 64)
    144
    """
    t, h, w = kernel_size
    spatial = h * w
    return (t * spatial * in_channels * out_channels) // (spatial * in_channels + t * out_channels)


@keras.saving.register_keras_serializable(package="stkeras")
class Conv2Plus1D(keras.layers.Layer):
    """A `t x d x d` convolution factorized into `1 x d x d` then `t x 1 x 1`.

    The spatial convolution maps the input to `M_i` channels, followed by
    batch normalization and ReLU, then the temporal convolution maps to
    `filters` channels. The spatial stride is on the first convolution, the
    temporal stride on the second. No normalization or activation follows the
    temporal convolution (the enclosing block adds them).

    Args:
        filters: output channels `N_out`.
        kernel_size: int or `(t, d, d)`.
        strides: int or `(t, h, w)`.
        intermediate_filters: `M_i`; default: the parameter-matched count
            `floor(t d^2 N_in N_out / (d^2 N_in + t N_out))`.
        padding: `"same"` or `"valid"` (both convolutions).
        use_bias: biases on the two convolutions (the reference networks use
            none, as batch normalization follows).
        kernel_initializer: initializer of both kernels.
        norm_momentum: momentum of the middle batch normalization.
        norm_epsilon: epsilon of the middle batch normalization (Keras'
            default 1e-3; torchvision's 1e-5).
        symmetric_padding: with `padding="same"`, pad both convolutions
            alike on both sides, as PyTorch (see `FrameConv3D`).

    Call arguments:
        inputs: clips `(batch, time, height, width, channels)`.
        training: for batch normalization.

    Example:
    >>> import numpy as np
    >>> layer = Conv2Plus1D(64, (3, 3, 3), strides=(2, 2, 2))
    >>> layer(np.zeros((1, 8, 16, 16, 64), "float32")).shape
    TensorShape([1, 4, 8, 8, 64])

    Reference: Tran et al. 2018, *A closer look at spatiotemporal convolutions
    for action recognition*.
    """

    def __init__(
        self,
        filters,
        kernel_size=(3, 3, 3),
        strides=1,
        intermediate_filters=None,
        padding="same",
        use_bias=False,
        kernel_initializer="he_normal",
        norm_momentum=0.9,
        norm_epsilon=1e-3,
        symmetric_padding=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.filters = check_positive_int("filters", filters)
        self.kernel_size = normalize_tuple(kernel_size, 3, "kernel_size")
        self.strides = normalize_tuple(strides, 3, "strides")
        self.intermediate_filters = check_positive_int(
            "intermediate_filters", intermediate_filters, allow_none=True
        )
        if padding not in ("same", "valid"):
            raise ValueError(f"Unknown `padding`: {padding!r}. Allowed values: 'same', 'valid'.")
        self.padding = check_choice("padding", padding, ("same", "valid"))
        self.use_bias = bool(use_bias)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.norm_momentum = check_number("norm_momentum", norm_momentum, 0, 1)
        self.norm_epsilon = check_number("norm_epsilon", norm_epsilon, 0)
        self.symmetric_padding = check_bool("symmetric_padding", symmetric_padding)
        if self.symmetric_padding and self.padding != "same":
            raise ValueError(f"`symmetric_padding=True` needs padding='same'. Received: symmetric_padding=True, "
                             f"padding={padding!r}")

    def build(self, input_shape):
        in_channels = input_shape[-1]
        t, h, w = self.kernel_size
        middle = self.intermediate_filters or parameter_matched_filters(self.kernel_size, in_channels, self.filters)
        self.middle_filters = max(1, middle)
        st, sh, sw = self.strides
        self.spatial = FrameConv3D(
            self.middle_filters, (1, h, w), strides=(1, sh, sw), padding=self.padding,
            use_bias=self.use_bias, kernel_initializer=self.kernel_initializer, name="spatial",
            dtype=self.dtype_policy, symmetric_padding=self.symmetric_padding,
        )
        self.norm = FusedBatchNormalization(momentum=self.norm_momentum, epsilon=self.norm_epsilon,
                                            name="spatial_bn", dtype=self.dtype_policy)
        # Keras' Conv3D unless the padding must be symmetric (the same weights either way).
        temporal = (dict(layer=FrameConv3D, symmetric_padding=True) if self.symmetric_padding
                    else dict(layer=keras.layers.Conv3D))
        self.temporal = temporal.pop("layer")(
            self.filters, (t, 1, 1), strides=(st, 1, 1), padding=self.padding,
            use_bias=self.use_bias, kernel_initializer=self.kernel_initializer, name="temporal",
            dtype=self.dtype_policy, **temporal,
        )
        shape = tuple(input_shape)
        self.spatial.build(shape)
        middle_shape = self.spatial.compute_output_shape(shape)
        self.norm.build(middle_shape)
        self.temporal.build(middle_shape)

    def call(self, inputs, training=None):
        x = self.spatial(inputs)
        x = keras.activations.relu(self.norm(x, training=training))
        return self.temporal(x)

    def paths(self, input_shape):
        """Sub-layers with their shapes, for analysis: one path, spatial then temporal.

        Returns a tuple of paths, each a tuple of `(layer, input_shape,
        output_shape)` (the protocol of `stkeras.analysis`).
        """
        if not self.built:
            self.build(input_shape)
        shape = tuple(input_shape)
        middle = tuple(self.spatial.compute_output_shape(shape))
        out = tuple(self.temporal.compute_output_shape(middle))
        return (((self.spatial, shape, middle), (self.temporal, middle, out)),)

    def compute_output_shape(self, input_shape):
        out = conv_output_size(input_shape[1:4], self.kernel_size, self.strides, self.padding)
        return (input_shape[0], *out, self.filters)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "intermediate_filters": self.intermediate_filters,
            "padding": self.padding,
            "use_bias": self.use_bias,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "norm_momentum": self.norm_momentum,
            "norm_epsilon": self.norm_epsilon,
            "symmetric_padding": self.symmetric_padding,
        }
