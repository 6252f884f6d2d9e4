"""A Keras `BatchNormalization` that runs TensorFlow's fused kernel over clips with frames folded into the batch."""

import keras
from keras import ops

# TensorFlow's fused kernel refuses a smaller epsilon (its CUDNN_BN_MIN_EPSILON).
_FUSED_MIN_EPSILON = 1.001e-5


@keras.saving.register_keras_serializable(package="stkeras")
class FusedBatchNormalization(keras.layers.BatchNormalization):
    """`keras.layers.BatchNormalization` computed with TensorFlow's fused kernel where it can be.

    On the TensorFlow backend, for channels-last inputs of rank 4 or 5, the
    layer folds every axis but the channels into one batch axis, `(B, T, H,
    W, C) -> (B·T, H, W, C)`, and normalizes with one fused op
    (`FusedBatchNormV3`), whose gradient is one fused op too. Keras' layer
    computes the moments, the normalization and their gradients as a dozen
    separate element-wise ops over the whole 5D tensor. Same weights, same
    arguments, same moving-statistics update (biased batch variance, as
    Keras), same outputs to float32 rounding (`benchmarks/batch_norm.py`
    measures the speed). Other backends, other ranks or axes, masks,
    `renorm`, `synchronized=True` and an epsilon below 1.001e-5 run Keras'
    own computation.

    Args: those of `keras.layers.BatchNormalization`.

    Example:
    >>> import numpy as np
    >>> clips = np.random.rand(2, 4, 8, 8, 3).astype("float32")
    >>> fused, plain = FusedBatchNormalization(), keras.layers.BatchNormalization()
    >>> a, b = fused(clips, training=True), plain(clips, training=True)
    >>> bool(np.allclose(a, b, atol=1e-5))
    True
    """

    def _runs_fused(self, inputs, mask):
        return (
            keras.backend.backend() == "tensorflow"
            and len(inputs.shape) in (4, 5)
            and self.axis in (-1, len(inputs.shape) - 1)
            and None not in inputs.shape[-1:]
            and mask is None
            and not self.renorm
            and not self.synchronized
            and self.epsilon >= _FUSED_MIN_EPSILON
        )

    def call(self, inputs, training=None, mask=None):
        if not self._runs_fused(inputs, mask):
            return super().call(inputs, training=training, mask=mask)
        import tensorflow as tf  # the fused kernel is TensorFlow's; other backends never get here

        channels = inputs.shape[-1]
        x = tf.cast(inputs, "float32")
        folded = tf.reshape(x, tf.concat([[-1], tf.shape(x)[-3:]], 0)) if len(x.shape) == 5 else x
        gamma = tf.cast(self.gamma, "float32") if self.scale else tf.ones((channels,), "float32")
        beta = tf.cast(self.beta, "float32") if self.center else tf.zeros((channels,), "float32")
        if training and self.trainable:
            y, mean, variance = tf.compat.v1.nn.fused_batch_norm(
                folded, gamma, beta, epsilon=self.epsilon, data_format="NHWC", is_training=True)
            # The fused op returns the unbiased (n - 1) variance for the moving
            # average; Keras averages the biased one, which normalized `y`.
            count = tf.cast(tf.size(folded) // channels, "float32")
            variance = variance * tf.maximum(count - 1.0, 0.0) / count
            self.moving_mean.assign(
                ops.cast(self.moving_mean, "float32") * self.momentum + mean * (1.0 - self.momentum))
            self.moving_variance.assign(
                ops.cast(self.moving_variance, "float32") * self.momentum + variance * (1.0 - self.momentum))
        else:
            y, _, _ = tf.compat.v1.nn.fused_batch_norm(
                folded, gamma, beta, mean=tf.cast(self.moving_mean, "float32"),
                variance=tf.cast(self.moving_variance, "float32"), epsilon=self.epsilon, data_format="NHWC",
                is_training=False)
        if len(x.shape) == 5:
            y = tf.reshape(y, tf.shape(x))
        return ops.cast(y, self.compute_dtype)
