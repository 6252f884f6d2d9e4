"""The `normalization` argument of blocks and builders: its allowed values, their check and the layer each names.

- `"batch"`: `FusedBatchNormalization(synchronized=None)`, batch
  normalization that is synchronized automatically, over the global batch,
  when the model runs under a `tf.distribute` strategy with more than one
  replica in sync (`MirroredStrategy` over several devices), and is plain
  batch normalization otherwise.
- `"sync_batch"`: `FusedBatchNormalization(synchronized=True)`, always
  synchronized (the TensorFlow backend only).
- `None`: no normalization layer.

Both batch normalizations have the same weights, so a model saved with one
loads with the other.

Example:
>>> normalization_layer("sync_batch", name="conv1_bn").synchronized
True
>>> normalization_layer(None, name="conv1_bn") is None
True
>>> check_normalization("group")
Traceback (most recent call last):
...
ValueError: Unknown `normalization`: 'group'. Allowed values: 'batch', 'sync_batch', None.
"""

from stkeras.layers.fused_batch_norm import FusedBatchNormalization
from stkeras.validation import check_choice

NORMALIZATIONS = ("batch", "sync_batch", None)


def check_normalization(normalization):
    """Returns `normalization` if it is one of `NORMALIZATIONS`, else raises `ValueError` naming the argument."""
    return check_choice("normalization", normalization, NORMALIZATIONS)


def normalization_layer(normalization, *, name, momentum=0.9, epsilon=1e-3, dtype=None):
    """The normalization layer that `normalization` names, or `None` for `normalization=None`.

    Args:
        normalization: `"batch"`, `"sync_batch"` or `None` (see the module).
        name: the layer's name (also the path of its saved weights).
        momentum: momentum of the moving statistics.
        epsilon: added to the variance (Keras' default 1e-3; PyTorch's
            1e-5; below 1e-5 Keras' own computation runs instead of the
            fused kernel: `FusedBatchNormalization`).
        dtype: the layer's dtype policy (`None`: the global one).

    Returns:
        a `FusedBatchNormalization`, or `None`.

    Raises:
        ValueError: `normalization` is not one of `NORMALIZATIONS`.

    Example:
    >>> normalization_layer("batch", name="op1_bn", momentum=0.99).momentum
    0.99
    """
    normalization = check_normalization(normalization)
    if normalization is None:
        return None
    return FusedBatchNormalization(
        momentum=momentum, epsilon=epsilon, synchronized=True if normalization == "sync_batch" else None, name=name, dtype=dtype)
