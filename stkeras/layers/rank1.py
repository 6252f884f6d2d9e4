"""The rank-1 decomposed 3D convolution: a spatial then a temporal convolution."""

import math

import keras
from keras import ops

from stkeras.layers.dilation import dilated_conv3d
from stkeras.layers.shapes import conv_output_size
from stkeras.validation import check_choice
from stkeras.validation import check_dilation_fits
from stkeras.validation import check_positive_int
from stkeras.validation import normalize_tuple


@keras.saving.register_keras_serializable(package="stkeras")
class Rank1Conv3D(keras.layers.Layer):
    """`1 x k x k` spatial convolution then `t x 1 x 1` temporal convolution, nothing between.

    The rank-1 baseline of Miao et al. 2021 (Section 2.1.1): `W = W_s x W_t` with
    `W_s` `(1, k, k, C_in, C_out)` and `W_t` `(t, 1, 1, C_out, C_out)`. The
    spatial stride and dilation apply to the first convolution, the temporal
    ones to the second; like STDCF's atoms, `spatial_dilation` and
    `temporal_dilation` can be changed after training.

    With `num_spatial_atoms=M` and `num_temporal_atoms=N` the two kernels
    are combinations of shared atoms, as in the paper's count of free
    variables: `W_s[i, o] = sum_m mu[i, m, o] psi_m` and
    `W_t[i, o] = sum_n nu[i, n, o] phi_n`, `(M + N) C^2` coefficients
    against STDCF's `M N C^2` with the same atoms.

    Args:
        filters: output channels.
        kernel_size: int or `(t, k, k)`.
        strides: int or `(t, h, w)`.
        padding: `"same"` or `"valid"`.
        spatial_dilation, temporal_dilation: dilations of the two kernels.
        use_bias: bias after the temporal convolution.
        num_spatial_atoms, num_temporal_atoms: `None` (free kernels) or
            `M` and `N`, both or neither: kernels built from that many atoms.
        kernel_initializer, bias_initializer: initializers (of the
            coefficients when atoms are used; atoms are initialized as
            STDCF's, so the kernels keep He-initialization variance).

    Call arguments:
        inputs: clips `(batch, time, height, width, channels)`.

    Example:
    >>> import numpy as np
    >>> Rank1Conv3D(8, 3)(np.zeros((1, 4, 8, 8, 3), "float32")).shape
    TensorShape([1, 4, 8, 8, 8])

    Reference: Miao et al. 2021, Section 2.1.1.
    """

    def __init__(
        self,
        filters,
        kernel_size=3,
        strides=1,
        padding="same",
        spatial_dilation=1,
        temporal_dilation=1,
        use_bias=True,
        num_spatial_atoms=None,
        num_temporal_atoms=None,
        kernel_initializer="he_normal",
        bias_initializer="zeros",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.filters = check_positive_int("filters", filters)
        self.kernel_size = normalize_tuple(kernel_size, 3, "kernel_size")
        self.strides = normalize_tuple(strides, 3, "strides")
        self.padding = check_choice("padding", padding, ("same", "valid"))
        self.spatial_dilation = check_positive_int("spatial_dilation", spatial_dilation)
        self.temporal_dilation = check_positive_int("temporal_dilation", temporal_dilation)
        self.use_bias = bool(use_bias)
        if (num_spatial_atoms is None) != (num_temporal_atoms is None):
            raise ValueError(
                "`num_spatial_atoms` and `num_temporal_atoms` must be given together or not at all. "
                f"Received: num_spatial_atoms={num_spatial_atoms!r}, num_temporal_atoms={num_temporal_atoms!r}"
            )
        self.num_spatial_atoms = None if num_spatial_atoms is None else check_positive_int(
            "num_spatial_atoms", num_spatial_atoms)
        self.num_temporal_atoms = None if num_temporal_atoms is None else check_positive_int(
            "num_temporal_atoms", num_temporal_atoms)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.input_spec = keras.layers.InputSpec(ndim=5)

    def build(self, input_shape):
        t, kh, kw = self.kernel_size
        c_in = input_shape[-1]
        check_dilation_fits(self.name, self.kernel_size,
                            (self.temporal_dilation, self.spatial_dilation, self.spatial_dilation), self.padding,
                            tuple(input_shape[1:4]),
                            dilation_name="(temporal_dilation, spatial_dilation, spatial_dilation)")
        if self.num_spatial_atoms is None:
            self.spatial_kernel = self.add_weight(
                shape=(1, kh, kw, c_in, self.filters), initializer=self.kernel_initializer, name="spatial_kernel",
            )
            self.temporal_kernel = self.add_weight(
                shape=(t, 1, 1, self.filters, self.filters), initializer=self.kernel_initializer,
                name="temporal_kernel",
            )
        else:
            m, n = self.num_spatial_atoms, self.num_temporal_atoms
            self.spatial_atoms = self.add_weight(
                shape=(m, kh, kw), initializer=keras.initializers.RandomNormal(stddev=1.0 / math.sqrt(kh * kw)),
                name="spatial_atoms",
            )
            self.temporal_atoms = self.add_weight(
                shape=(n, t), initializer=keras.initializers.RandomNormal(stddev=1.0 / math.sqrt(t)),
                name="temporal_atoms",
            )
            self.spatial_coefficients = self.add_weight(
                shape=(c_in, m, self.filters), initializer=self.kernel_initializer, name="spatial_coefficients",
            )
            self.temporal_coefficients = self.add_weight(
                shape=(self.filters, n, self.filters), initializer=self.kernel_initializer,
                name="temporal_coefficients",
            )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(shape=(self.filters,), initializer=self.bias_initializer, name="bias")

    def _weight_shapes(self, c_in):
        t, kh, kw = self.kernel_size
        if self.num_spatial_atoms is None:
            return {"spatial": (kh, kw, c_in, self.filters), "temporal": (t, self.filters, self.filters)}
        m, n = self.num_spatial_atoms, self.num_temporal_atoms
        return {"atoms": (m * kh * kw + n * t,), "spatial": (c_in, m, self.filters), "temporal": (self.filters, n, self.filters)}

    def kernels(self):
        """The spatial `(1, k, k, C_in, C_out)` and temporal `(t, 1, 1, C_out, C_out)` kernels."""
        if self.num_spatial_atoms is None:
            return self.spatial_kernel, self.temporal_kernel
        spatial = ops.einsum("myx,imo->yxio", self.spatial_atoms, self.spatial_coefficients)
        temporal = ops.einsum("nt,ino->tio", self.temporal_atoms, self.temporal_coefficients)
        return spatial[None], temporal[:, None, None]

    def call(self, inputs):
        st, sh, sw = self.strides
        d = self.spatial_dilation
        spatial_kernel, temporal_kernel = self.kernels()
        x = dilated_conv3d(inputs, spatial_kernel, (1, sh, sw), self.padding, (1, d, d))
        x = dilated_conv3d(x, temporal_kernel, (st, 1, 1), self.padding, (self.temporal_dilation, 1, 1))
        return x + self.bias if self.use_bias else x

    def grow_receptive_field(self, field):
        """Analysis protocol: a `t x k x k` window with the two dilations."""
        dilation = (self.temporal_dilation, self.spatial_dilation, self.spatial_dilation)
        return field.convolve(self.kernel_size, self.strides, dilation, self.padding)

    def count_macs(self, input_shape, output_shape):
        """Analysis protocol: the spatial then the temporal convolution."""
        t, kh, kw = self.kernel_size
        c_in, c_out = input_shape[-1], self.filters
        out_t, out_h, out_w = output_shape[1:4]
        return input_shape[1] * out_h * out_w * kh * kw * c_in * c_out + out_t * out_h * out_w * t * c_out * c_out

    def compute_output_shape(self, input_shape):
        dilation = (self.temporal_dilation, self.spatial_dilation, self.spatial_dilation)
        out = conv_output_size(input_shape[1:4], self.kernel_size, self.strides, self.padding, dilation)
        return (input_shape[0], *out, self.filters)

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "spatial_dilation": self.spatial_dilation,
            "temporal_dilation": self.temporal_dilation,
            "use_bias": self.use_bias,
            "num_spatial_atoms": self.num_spatial_atoms,
            "num_temporal_atoms": self.num_temporal_atoms,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
        }
