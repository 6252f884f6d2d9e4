"""A Keras `MaxPooling3D` that pools each frame alone with 2D max pooling when its window spans one frame."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="stkeras")
class FrameMaxPooling3D(keras.layers.MaxPooling3D):
    """`keras.layers.MaxPooling3D` computed as 2D max pooling over frames when it pools no time.

    A window and stride of one frame treat every frame alone, so the layer
    folds time into the batch and runs one 2D max pooling, with the same
    outputs as `keras.layers.MaxPooling3D`. TensorFlow has no float16 CPU
    kernel for 3D max pooling but has one for 2D, so models that pool this
    way run under the `mixed_float16` policy on a CPU too. Other windows
    and `channels_first` run as 3D pooling.

    Args: those of `keras.layers.MaxPooling3D`.

    Example:
    >>> import numpy as np
    >>> clips = np.random.rand(2, 4, 8, 8, 3).astype("float32")
    >>> fast = FrameMaxPooling3D((1, 3, 3), strides=(1, 2, 2), padding="same")
    >>> plain = keras.layers.MaxPooling3D((1, 3, 3), strides=(1, 2, 2), padding="same")
    >>> bool(np.array_equal(fast(clips), plain(clips)))
    True
    """

    def call(self, inputs):
        if self.pool_size[0] != 1 or self.strides[0] != 1 or self.data_format != "channels_last":
            return super().call(inputs)
        shape = ops.shape(inputs)
        images = ops.reshape(inputs, (-1, shape[2], shape[3], shape[4]))
        pooled = ops.max_pool(images, self.pool_size[1:], strides=self.strides[1:], padding=self.padding,
                              data_format="channels_last")
        out = ops.shape(pooled)
        return ops.reshape(pooled, (-1, shape[1], out[1], out[2], out[3]))
