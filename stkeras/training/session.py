"""A fresh Keras session between the models of a run, keeping its mixed precision policy and distribution."""

import keras


def fresh_session():
    """`keras.utils.clear_session()`, keeping the global dtype policy and distribution (which it resets).

    A run that trains several models frees each one's graph state before the
    next; under `--mixed-precision` every model must still be built under
    the run's policy, and under `--distribute data_parallel` its distribution.

    Example:
    >>> keras.mixed_precision.set_global_policy("mixed_bfloat16")
    >>> fresh_session()
    >>> keras.mixed_precision.global_policy().name
    'mixed_bfloat16'
    >>> keras.mixed_precision.set_global_policy("float32")
    """
    policy, distribution = keras.mixed_precision.global_policy(), keras.distribution.distribution()
    keras.utils.clear_session()
    keras.mixed_precision.set_global_policy(policy)
    keras.distribution.set_distribution(distribution)
