"""Squeeze-and-excitation over clips: channels re-weighted by a gate computed from the whole clip."""

import keras
from keras import ops

from stkeras.validation import check_positive_int


@keras.saving.register_keras_serializable(package="stkeras")
class SqueezeExcitation(keras.layers.Layer):
    """Scales every channel by a gate in (0, 1) computed from the clip's mean features.

    The clip is averaged over time and space ("squeeze"), passed through a
    dense layer to `filters` channels with ReLU and a dense layer back to the
    input's channels with a sigmoid ("excitation"), and the input is
    multiplied by the result, channel by channel. The two dense layers have
    biases; they are the 1x1x1 convolutions of fvcore's `SqueezeExcitation`
    (X3D in PyTorchVideo) applied to the averaged clip.

    Args:
        filters: channels of the squeezed representation (X3D: about
            1/16 of the input's, rounded to a multiple of 8).

    Call arguments:
        inputs: clips `(batch, time, height, width, channels)`.

    Example:
    >>> import numpy as np
    >>> layer = SqueezeExcitation(8)
    >>> clips = np.random.rand(2, 4, 5, 5, 24).astype("float32")
    >>> outputs = layer(clips)
    >>> tuple(outputs.shape), tuple(layer.reduce.kernel.shape)
    ((2, 4, 5, 5, 24), (24, 8))

    Reference: Hu et al. 2018, *Squeeze-and-Excitation Networks*; used by
    Feichtenhofer 2020 (X3D) after every other block's channel-wise convolution.
    """

    def __init__(self, filters, **kwargs):
        super().__init__(**kwargs)
        self.filters = check_positive_int("filters", filters)

    def build(self, input_shape):
        if len(input_shape) != 5 or input_shape[-1] is None:
            raise ValueError(f"SqueezeExcitation takes clips (batch, time, height, width, channels) with known "
                             f"channels. Received: input_shape={tuple(input_shape)}")
        channels = input_shape[-1]
        self.reduce = keras.layers.Dense(self.filters, activation="relu", name="reduce", dtype=self.dtype_policy)
        self.expand = keras.layers.Dense(channels, activation="sigmoid", name="expand", dtype=self.dtype_policy)
        self.reduce.build((input_shape[0], channels))
        self.expand.build((input_shape[0], self.filters))

    def call(self, inputs):
        gate = self.expand(self.reduce(ops.mean(inputs, axis=(1, 2, 3))))
        return inputs * gate[:, None, None, None, :]

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def grow_receptive_field(self, field):
        """Analysis protocol: the field of the features it scales (the gate is one number per channel)."""
        return field

    def count_macs(self, input_shape, output_shape):
        """Analysis protocol: the two dense layers on the averaged clip (the scaling is an elementwise product)."""
        return 2 * input_shape[-1] * self.filters

    def get_config(self):
        return {**super().get_config(), "filters": self.filters}
