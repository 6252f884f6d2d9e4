"""A Keras `BatchNormalization` that runs TensorFlow's fused kernel over clips with frames folded into the batch,
and normalizes with the statistics of the whole global batch when it runs on several replicas."""

import keras
from keras import ops

# cuDNN's smallest epsilon (CUDNN_BN_MIN_EPSILON); TensorFlow's Python wrapper of the fused kernel raises a
# smaller one to 1.001e-5, so the layer calls the kernel itself, with PyTorch's default 1e-5 as it is.
_FUSED_MIN_EPSILON = 1e-5


def replicas_in_sync():
    """The number of replicas that run the current step together (1 outside a `tf.distribute` strategy).

    Read from the replica context where there is one (inside
    `strategy.run`, as in `fit`), else from the strategy whose scope is
    open. Always 1 on backends other than TensorFlow.

    Example:
    >>> replicas_in_sync()
    1
    """
    if keras.backend.backend() != "tensorflow":
        return 1
    import tensorflow as tf

    context = tf.distribute.get_replica_context()
    if context is not None:
        return context.num_replicas_in_sync
    return tf.distribute.get_strategy().num_replicas_in_sync


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
    `renorm` and an epsilon below 1e-5 (PyTorch's default, cuDNN's smallest)
run Keras' own computation;
    synchronized training calls run the one below.

    Under a `tf.distribute` strategy with several replicas, each replica
    holds part of the global batch. With `synchronized=None` (the default)
    or `True`, the layer then normalizes with the mean and variance of the
    whole global batch: one all-reduce of the per-channel sums and counts
    gives the mean, a second one of the squared deviations from it gives
    the (biased) variance, and gradients flow back through both to every
    replica. Training on `n` replicas then computes what one device computes
    on the same global batch, up to float32 rounding. With the default on
    one replica nothing is exchanged and the fused kernel runs. Inference
    uses the moving statistics, which the synchronized updates keep equal
    on every replica.

    Args:
        synchronized: `None` (default): synchronized whenever the layer runs
            on more than one replica in sync (`replicas_in_sync()`), so a
            model built and trained under `MirroredStrategy` over two
            devices normalizes over the global batch; `True`: always (the
            TensorFlow backend only); `False`: each replica normalizes its
            own part of the batch. Masked inputs and `renorm` are
            synchronized only with `True` (by Keras' own computation).
        other arguments: those of `keras.layers.BatchNormalization`.

    Example:
    >>> import numpy as np
    >>> clips = np.random.rand(2, 4, 8, 8, 3).astype("float32")
    >>> fused, plain = FusedBatchNormalization(), keras.layers.BatchNormalization()
    >>> a, b = fused(clips, training=True), plain(clips, training=True)
    >>> bool(np.allclose(a, b, atol=1e-5))
    True
    >>> FusedBatchNormalization().synchronizes()  # no strategy: one replica
    False
    """

    def __init__(self, synchronized=None, **kwargs):
        if synchronized is not None and not isinstance(synchronized, bool):
            raise ValueError(
                f"`synchronized` must be None, True or False. Received: synchronized={synchronized!r}")
        # Keras refuses `synchronized=True` on other backends.
        super().__init__(synchronized=bool(synchronized), **kwargs)
        self.synchronized = synchronized

    def synchronizes(self):
        """Whether a training call made now normalizes over all replicas' batches."""
        if self.synchronized is None:
            return replicas_in_sync() > 1
        return self.synchronized

    def _runs_fused(self, inputs, mask):
        return (
            keras.backend.backend() == "tensorflow"
            and len(inputs.shape) in (4, 5)
            and self.axis in (-1, len(inputs.shape) - 1)
            and None not in inputs.shape[-1:]
            and mask is None
            and not self.renorm
            and self.epsilon >= _FUSED_MIN_EPSILON
        )

    def call(self, inputs, training=None, mask=None):
        if training and self.trainable and self.synchronizes():
            if mask is None and not self.renorm and keras.backend.backend() == "tensorflow":
                return self._synchronized_call(inputs)
            return super().call(inputs, training=training, mask=mask)
        if not self._runs_fused(inputs, mask):
            return super().call(inputs, training=training, mask=mask)
        import tensorflow as tf  # the fused kernel is TensorFlow's; other backends never get here

        channels = inputs.shape[-1]
        x = tf.cast(inputs, "float32")
        folded = tf.reshape(x, tf.concat([[-1], tf.shape(x)[-3:]], 0)) if len(x.shape) == 5 else x
        gamma = tf.cast(self.gamma, "float32") if self.scale else tf.ones((channels,), "float32")
        beta = tf.cast(self.beta, "float32") if self.center else tf.zeros((channels,), "float32")
        # The kernel itself (`tf.raw_ops`): its Python wrapper would raise an epsilon of 1e-5 to 1.001e-5.
        if training and self.trainable:
            empty = tf.zeros((0,), "float32")
            y, mean, variance, *_ = tf.raw_ops.FusedBatchNormV3(
                x=folded, scale=gamma, offset=beta, mean=empty, variance=empty, epsilon=self.epsilon,
                data_format="NHWC", is_training=True)
            # The fused op returns the unbiased (n - 1) variance for the moving
            # average; Keras averages the biased one, which normalized `y`.
            count = tf.cast(tf.size(folded) // channels, "float32")
            variance = variance * tf.maximum(count - 1.0, 0.0) / count
            self.moving_mean.assign(
                ops.cast(self.moving_mean, "float32") * self.momentum + mean * (1.0 - self.momentum))
            self.moving_variance.assign(
                ops.cast(self.moving_variance, "float32") * self.momentum + variance * (1.0 - self.momentum))
        else:
            y, *_ = tf.raw_ops.FusedBatchNormV3(
                x=folded, scale=gamma, offset=beta, mean=tf.cast(self.moving_mean, "float32"),
                variance=tf.cast(self.moving_variance, "float32"), epsilon=self.epsilon, data_format="NHWC",
                is_training=False)
        if len(x.shape) == 5:
            y = tf.reshape(y, tf.shape(x))
        return ops.cast(y, self.compute_dtype)

    def _synchronized_call(self, inputs):
        """Normalizes with the global batch's moments, all-reduced over the replicas in sync."""
        import tensorflow as tf  # `tf.distribute`'s all-reduce: the TensorFlow backend only

        x = tf.cast(inputs, "float32")
        axes = [i for i in range(len(x.shape)) if i != self.axis % len(x.shape)]
        context = tf.distribute.get_replica_context()
        local_sum = tf.reduce_sum(x, axis=axes)
        local_count = tf.cast(tf.size(x) // tf.shape(x)[self.axis], "float32")
        if context is None:  # cross-replica context: the whole batch is here
            count, total = local_count, local_sum
        else:  # one all-reduce carries the sums and the count
            reduced = context.all_reduce(tf.distribute.ReduceOp.SUM, tf.concat([local_sum, [local_count]], 0))
            total, count = reduced[:-1], reduced[-1]
        mean = total / count
        shape = [1] * len(x.shape)
        shape[self.axis] = -1
        # Two passes (the squared deviations from the global mean), as
        # `tf.nn.moments` on one device; the mean's gradient through them is zero.
        squares = tf.reduce_sum(tf.square(x - tf.stop_gradient(tf.reshape(mean, shape))), axis=axes)
        if context is not None:
            squares = context.all_reduce(tf.distribute.ReduceOp.SUM, squares)
        variance = squares / count
        self.moving_mean.assign(
            ops.cast(self.moving_mean, "float32") * self.momentum + mean * (1.0 - self.momentum))
        self.moving_variance.assign(
            ops.cast(self.moving_variance, "float32") * self.momentum + variance * (1.0 - self.momentum))
        gamma = tf.cast(self.gamma, "float32") if self.scale else None
        beta = tf.cast(self.beta, "float32") if self.center else None
        y = ops.batch_normalization(x, mean, variance, axis=self.axis, offset=beta, scale=gamma,
                                    epsilon=self.epsilon)
        return ops.cast(y, self.compute_dtype)
