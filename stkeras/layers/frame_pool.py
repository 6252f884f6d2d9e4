"""A Keras `MaxPooling3D` that pools each frame alone with 2D max pooling when its window spans one frame."""

import keras
from keras import ops

from stkeras.validation import check_bool


@keras.saving.register_keras_serializable(package="stkeras")
class FrameMaxPooling3D(keras.layers.MaxPooling3D):
    """`keras.layers.MaxPooling3D` computed as 2D max pooling over frames when it pools no time.

    A window and stride of one frame treat every frame alone, so the layer
    folds time into the batch and runs one 2D max pooling, with the same
    outputs as `keras.layers.MaxPooling3D`. TensorFlow has no float16 CPU
    kernel for 3D max pooling but has one for 2D, so models that pool this
    way run under the `mixed_float16` policy on a CPU too. Other windows
    and `channels_first` run as 3D pooling.

    Args:
        symmetric_padding: with `padding="same"` and odd windows, pad
            `pool_size // 2` on both sides of every axis, as PyTorch's
            `MaxPool3d(padding=k // 2)` (S3D in torchvision), instead of
            TensorFlow's split, which puts the odd position at the end when
            the layer strides. The output shape is the same as `"same"`'s.
        other arguments: those of `keras.layers.MaxPooling3D`.

    Example:
    >>> import numpy as np
    >>> clips = np.random.rand(2, 4, 8, 8, 3).astype("float32")
    >>> fast = FrameMaxPooling3D((1, 3, 3), strides=(1, 2, 2), padding="same")
    >>> plain = keras.layers.MaxPooling3D((1, 3, 3), strides=(1, 2, 2), padding="same")
    >>> bool(np.array_equal(fast(clips), plain(clips)))
    True
    >>> FrameMaxPooling3D(3, strides=2, padding="same", symmetric_padding=True)(clips).shape
    TensorShape([2, 2, 4, 4, 3])
    """

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None, symmetric_padding=False,
                 **kwargs):
        super().__init__(pool_size=pool_size, strides=strides, padding=padding, data_format=data_format, **kwargs)
        self.symmetric_padding = check_bool("symmetric_padding", symmetric_padding)
        if self.symmetric_padding and (self.padding != "same" or any(k % 2 == 0 for k in self.pool_size)):
            raise ValueError(f"`symmetric_padding=True` needs padding='same' and odd pool sizes. Received: "
                             f"padding={padding!r}, pool_size={pool_size!r}")

    def call(self, inputs):
        padding = self.padding
        if self.symmetric_padding and self.data_format == "channels_last" and any(s > 1 for s in self.strides):
            # With stride 1, "same" already pads alike on both sides (and ignores the padding, as -inf does).
            pads = [(0, 0), *[(k // 2, k // 2) for k in self.pool_size], (0, 0)]
            inputs, padding = ops.pad(inputs, pads, constant_values=float("-inf")), "valid"
        if self.pool_size[0] != 1 or self.strides[0] != 1 or self.data_format != "channels_last":
            return ops.max_pool(inputs, self.pool_size, strides=self.strides, padding=padding,
                                data_format=self.data_format)
        shape = ops.shape(inputs)
        images = ops.reshape(inputs, (-1, shape[2], shape[3], shape[4]))
        pooled = ops.max_pool(images, self.pool_size[1:], strides=self.strides[1:], padding=padding,
                              data_format="channels_last")
        out = ops.shape(pooled)
        return ops.reshape(pooled, (-1, shape[1], out[1], out[2], out[3]))

    def get_config(self):
        return {**super().get_config(), "symmetric_padding": self.symmetric_padding}
