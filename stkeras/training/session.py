"""A fresh Keras session between the models of a run, keeping its mixed precision policy."""

import keras


def fresh_session():
    """`keras.utils.clear_session()`, keeping the global dtype policy (which `clear_session` resets to float32).

    A run that trains several models frees each one's graph state before the
    next; under `--mixed-precision` every model must still be built under
    the run's policy.

    Example:
    >>> keras.mixed_precision.set_global_policy("mixed_bfloat16")
    >>> fresh_session()
    >>> keras.mixed_precision.global_policy().name
    'mixed_bfloat16'
    >>> keras.mixed_precision.set_global_policy("float32")
    """
    policy = keras.mixed_precision.global_policy()
    keras.utils.clear_session()
    keras.mixed_precision.set_global_policy(policy)
