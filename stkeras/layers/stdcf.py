"""STDCF: a 3D convolution decomposed over spatial atoms, temporal atoms and joint coefficients."""

import math

import keras
from keras import ops

from stkeras.layers.dilation import dilated_conv3d
from stkeras.layers.shapes import conv_output_size
from stkeras.validation import check_choice
from stkeras.validation import check_dilation_fits
from stkeras.validation import check_positive_int
from stkeras.validation import normalize_tuple

IMPLEMENTATIONS = ("auto", "kernel", "atoms")


@keras.saving.register_keras_serializable(package="stkeras")
class STDCFConv3D(keras.layers.Layer):
    """A 3D convolution whose kernel is built from shared spatial and temporal atoms.

    `W[tau, y, x, i, o] = sum_{m, n} coefficients[i, m, n, o] *
    spatial_atoms[m, y, x] * temporal_atoms[n, tau]`, with `M` spatial atoms
    (`k x k`) and `N` temporal atoms (length `t`) shared by every channel
    pair of the layer. Parameters: `C_in C_out M N + M k^2 + N t` (+ bias).

    Atom swapping: `spatial_dilation` and `temporal_dilation` may be changed
    at any time without touching the weights; the layer then equals the
    convolution with the dilated kernel (strided or not). Use
    `stkeras.training.set_atom_dilation` on a whole model.

    Two ways to compute the same numbers (`implementation`):
    `"kernel"` rebuilds `W` (`C_in C_out M N t k^2` multiplications) and runs
    one 3D convolution; `"atoms"` runs the paper's three convolutions
    (spatial atoms per input channel, temporal atoms, then the 1x1x1
    coefficients). `"auto"` picks `"kernel"`: in a training step on CPU it
    was 3.3-9.3x faster than `"atoms"` at 16-128 channels (about as fast as
    a Conv3D; benchmarks/stdcf.py), although `"atoms"` does 0.47-0.65x the
    multiply-accumulates: its `C_in M N`-channel intermediate tensors and
    layout changes cost more than the arithmetic saved.

    Args:
        filters: output channels.
        kernel_size: int or `(t, k, k)` (spatial atoms are `k x k`).
        num_spatial_atoms: `M`.
        num_temporal_atoms: `N`.
        strides: int or `(t, h, w)`.
        padding: `"same"` or `"valid"`.
        spatial_dilation, temporal_dilation: atom dilations.
        use_bias: whether to add a bias.
        implementation: `"auto"`, `"kernel"` or `"atoms"`.
        spatial_atoms_initializer, temporal_atoms_initializer, coefficients_initializer, bias_initializer:
            initializers (the defaults give the rebuilt kernel He-initialization variance).
        spatial_atoms_regularizer, temporal_atoms_regularizer, coefficients_regularizer, bias_regularizer:
            regularizers.

    Call arguments:
        inputs: clips `(batch, time, height, width, channels)`.

    Example:
    >>> import numpy as np
    >>> layer = STDCFConv3D(16, 3, num_spatial_atoms=6, num_temporal_atoms=2)
    >>> layer(np.zeros((1, 8, 16, 16, 4), "float32")).shape
    TensorShape([1, 8, 16, 16, 16])
    >>> layer.count_params() == 4 * 16 * 6 * 2 + 6 * 9 + 2 * 3 + 16
    True

    Reference: Miao et al. 2021, *Spatiotemporal joint filter decomposition
    in 3D convolutional neural networks*, Sections 2.1-2.4.
    """

    def __init__(
        self,
        filters,
        kernel_size=3,
        num_spatial_atoms=6,
        num_temporal_atoms=2,
        strides=1,
        padding="same",
        spatial_dilation=1,
        temporal_dilation=1,
        use_bias=True,
        implementation="auto",
        spatial_atoms_initializer=None,
        temporal_atoms_initializer=None,
        coefficients_initializer="he_normal",
        bias_initializer="zeros",
        spatial_atoms_regularizer=None,
        temporal_atoms_regularizer=None,
        coefficients_regularizer=None,
        bias_regularizer=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.filters = check_positive_int("filters", filters)
        self.kernel_size = normalize_tuple(kernel_size, 3, "kernel_size")
        self.num_spatial_atoms = check_positive_int("num_spatial_atoms", num_spatial_atoms)
        self.num_temporal_atoms = check_positive_int("num_temporal_atoms", num_temporal_atoms)
        self.strides = normalize_tuple(strides, 3, "strides")
        self.padding = check_choice("padding", padding, ("same", "valid"))
        self.spatial_dilation = check_positive_int("spatial_dilation", spatial_dilation)
        self.temporal_dilation = check_positive_int("temporal_dilation", temporal_dilation)
        self.use_bias = bool(use_bias)
        self.implementation = check_choice("implementation", implementation, IMPLEMENTATIONS)
        t, kh, kw = self.kernel_size
        self.spatial_atoms_initializer = keras.initializers.get(
            spatial_atoms_initializer or keras.initializers.RandomNormal(stddev=1.0 / math.sqrt(kh * kw))
        )
        self.temporal_atoms_initializer = keras.initializers.get(
            temporal_atoms_initializer or keras.initializers.RandomNormal(stddev=1.0 / math.sqrt(t))
        )
        self.coefficients_initializer = keras.initializers.get(coefficients_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.spatial_atoms_regularizer = keras.regularizers.get(spatial_atoms_regularizer)
        self.temporal_atoms_regularizer = keras.regularizers.get(temporal_atoms_regularizer)
        self.coefficients_regularizer = keras.regularizers.get(coefficients_regularizer)
        self.bias_regularizer = keras.regularizers.get(bias_regularizer)
        self.input_spec = keras.layers.InputSpec(ndim=5)

    def build(self, input_shape):
        channels = input_shape[-1]
        if channels is None:
            raise ValueError(f"The channel dimension must be defined. Received: input_shape={input_shape}")
        t, kh, kw = self.kernel_size
        m, n = self.num_spatial_atoms, self.num_temporal_atoms
        check_dilation_fits(self.name, self.kernel_size,
                            (self.temporal_dilation, self.spatial_dilation, self.spatial_dilation), self.padding,
                            tuple(input_shape[1:4]),
                            dilation_name="(temporal_dilation, spatial_dilation, spatial_dilation)")
        self.spatial_atoms = self.add_weight(
            shape=(m, kh, kw), initializer=self.spatial_atoms_initializer,
            regularizer=self.spatial_atoms_regularizer, name="spatial_atoms",
        )
        self.temporal_atoms = self.add_weight(
            shape=(n, t), initializer=self.temporal_atoms_initializer,
            regularizer=self.temporal_atoms_regularizer, name="temporal_atoms",
        )
        self.coefficients = self.add_weight(
            shape=(channels, m, n, self.filters), initializer=self.coefficients_initializer,
            regularizer=self.coefficients_regularizer, name="coefficients",
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(self.filters,), initializer=self.bias_initializer,
                regularizer=self.bias_regularizer, name="bias",
            )

    @property
    def dilation(self):
        """The current `(temporal, spatial, spatial)` atom dilation."""
        return (self.temporal_dilation, self.spatial_dilation, self.spatial_dilation)

    def to_conv3d_kernel(self):
        """The equivalent (undilated) Conv3D kernel `(t, k, k, C_in, C_out)`."""
        return ops.einsum("imno,myx,nt->tyxio", self.coefficients, self.spatial_atoms, self.temporal_atoms)

    def call(self, inputs):
        if self.implementation == "atoms":
            outputs = self._atoms(inputs)
        else:
            outputs = dilated_conv3d(inputs, self.to_conv3d_kernel(), self.strides, self.padding, self.dilation)
        if self.use_bias:
            outputs = outputs + self.bias
        return outputs

    def _atoms(self, inputs):
        """The paper's three convolutions: spatial atoms, temporal atoms, coefficients."""
        t, kh, kw = self.kernel_size
        m, n = self.num_spatial_atoms, self.num_temporal_atoms
        st, sh, sw = self.strides
        frames, height, width, channels = inputs.shape[1:]
        batch = ops.shape(inputs)[0]
        # Every input channel is convolved with the M spatial atoms.
        x = ops.reshape(ops.transpose(inputs, (0, 4, 1, 2, 3)), (-1, frames, height, width, 1))
        spatial = ops.reshape(ops.transpose(self.spatial_atoms, (1, 2, 0)), (1, kh, kw, 1, m))
        x = dilated_conv3d(x, spatial, (1, sh, sw), self.padding, (1, self.spatial_dilation, self.spatial_dilation))
        out_h, out_w = x.shape[2], x.shape[3]
        # Every (channel, spatial atom) map is convolved with the N temporal atoms.
        x = ops.reshape(ops.transpose(x, (0, 4, 1, 2, 3)), (-1, frames, out_h, out_w, 1))
        temporal = ops.reshape(ops.transpose(self.temporal_atoms), (t, 1, 1, 1, n))
        x = dilated_conv3d(x, temporal, (st, 1, 1), self.padding, (self.temporal_dilation, 1, 1))
        out_t = x.shape[1]
        # (batch, C, M, T', H', W', N) -> (batch, T', H', W', C * M * N), then the coefficients.
        x = ops.reshape(x, (batch, channels, m, out_t, out_h, out_w, n))
        x = ops.reshape(ops.transpose(x, (0, 3, 4, 5, 1, 2, 6)), (batch, out_t, out_h, out_w, channels * m * n))
        return ops.matmul(x, ops.reshape(self.coefficients, (channels * m * n, self.filters)))

    def grow_receptive_field(self, field):
        """Analysis protocol: a `t x k x k` window with the atoms' dilations."""
        return field.convolve(self.kernel_size, self.strides, self.dilation, self.padding)

    def count_macs(self, input_shape, output_shape):
        """Analysis protocol: what the chosen implementation multiplies.

        `"kernel"`: the kernel rebuild plus one 3D convolution; `"atoms"`:
        the paper's three convolutions.
        """
        t, kh, kw = self.kernel_size
        c_in, c_out = input_shape[-1], self.filters
        m, n = self.num_spatial_atoms, self.num_temporal_atoms
        out_t, out_h, out_w = output_shape[1:4]
        if self.implementation == "atoms":
            spatial = input_shape[1] * out_h * out_w * c_in * m * kh * kw
            temporal = out_t * out_h * out_w * c_in * m * n * t
            return spatial + temporal + out_t * out_h * out_w * c_in * m * n * c_out
        rebuild = c_in * c_out * m * n * t * kh * kw
        return rebuild + out_t * out_h * out_w * t * kh * kw * c_in * c_out

    def compute_output_shape(self, input_shape):
        out = conv_output_size(input_shape[1:4], self.kernel_size, self.strides, self.padding, self.dilation)
        return (input_shape[0], *out, self.filters)

    def get_config(self):
        serialize = keras.saving.serialize_keras_object
        return {
            **super().get_config(),
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "num_spatial_atoms": self.num_spatial_atoms,
            "num_temporal_atoms": self.num_temporal_atoms,
            "strides": self.strides,
            "padding": self.padding,
            "spatial_dilation": self.spatial_dilation,
            "temporal_dilation": self.temporal_dilation,
            "use_bias": self.use_bias,
            "implementation": self.implementation,
            "spatial_atoms_initializer": serialize(self.spatial_atoms_initializer),
            "temporal_atoms_initializer": serialize(self.temporal_atoms_initializer),
            "coefficients_initializer": serialize(self.coefficients_initializer),
            "bias_initializer": serialize(self.bias_initializer),
            "spatial_atoms_regularizer": serialize(self.spatial_atoms_regularizer),
            "temporal_atoms_regularizer": serialize(self.temporal_atoms_regularizer),
            "coefficients_regularizer": serialize(self.coefficients_regularizer),
            "bias_regularizer": serialize(self.bias_regularizer),
        }
