"""Training on several devices of one machine through `tf.distribute`."""

import contextlib

import tensorflow as tf

from stkeras.backend_support import require_tensorflow
from stkeras.choices import STRATEGIES
from stkeras.validation import check_choice


def make_strategy(name="mirrored"):
    """A `tf.distribute` strategy by name, for `--distribute` and the Python helpers.

    `"mirrored"`: `tf.distribute.MirroredStrategy` over every local GPU, or
    over every logical CPU device when there is no GPU (one, unless the
    process split its CPU with `tf.config.set_logical_device_configuration`).
    Each replica gets `global batch / replicas` clips of every batch and the
    gradients are summed across replicas before each update, so the global
    batch size and the learning rate keep their meaning. `"none"`: `None`,
    the default single-device training.

    Keras' data-parallel distribution on JAX (`"data_parallel"`, one or
    several processes) is global rather than a scope: see
    `stkeras.training.start_data_parallel`.

    Args:
        name: `"mirrored"` or `"none"`.

    Returns:
        a strategy, or `None` for `"none"`.

    Example:
    >>> strategy = make_strategy("mirrored")
    >>> strategy.num_replicas_in_sync >= 1
    True
    """
    check_choice("distribute", name, tuple(s for s in STRATEGIES if s != "data_parallel"))
    if name == "none":
        return None
    require_tensorflow("tf.distribute")
    gpus = tf.config.list_logical_devices("GPU")
    devices = [d.name for d in gpus] or [d.name for d in tf.config.list_logical_devices("CPU")]
    return tf.distribute.MirroredStrategy(devices)


def strategy_scope(strategy):
    """`strategy.scope()`, or a scope that does nothing for `None`.

    Build and compile models inside it: their variables and the optimizer's
    are then mirrored on every replica.

    Example:
    >>> with strategy_scope(None):
    ...     pass
    """
    if strategy is None:
        return contextlib.nullcontext()
    if not isinstance(strategy, tf.distribute.Strategy):
        raise TypeError(f"`strategy` must be a tf.distribute.Strategy or None. Received: strategy={strategy!r}")
    return strategy.scope()
