"""The learning-rate schedule of stkeras' training recipe: linear warm-up, then cosine decay to zero."""

import keras

from stkeras.validation import check_positive_int


def warmup_cosine(learning_rate, total_steps, warmup_fraction=0.05):
    """A schedule rising linearly to `learning_rate`, then decaying to 0 along a cosine.

    Short trainings from scratch gain most from both ends: the warm-up keeps
    the first Adam steps, taken with unreliable second-moment estimates and
    batch statistics, from throwing the weights far; the decay to zero lets
    the last steps settle instead of bouncing at the peak rate.

    Args:
        learning_rate: the peak rate, reached after the warm-up.
        total_steps: optimizer steps of the whole training.
        warmup_fraction: share of `total_steps` spent warming up, in [0, 1).

    Returns:
        a `keras.optimizers.schedules.CosineDecay`.

    Example:
    >>> schedule = warmup_cosine(3e-3, total_steps=100)
    >>> round(float(schedule(5)), 6), round(float(schedule(100)), 6)
    (0.003, 0.0)
    """
    check_positive_int("total_steps", total_steps)
    if not isinstance(learning_rate, (int, float)) or not learning_rate > 0:
        raise ValueError(f"`learning_rate` must be a number > 0. Received: learning_rate={learning_rate!r}")
    if not isinstance(warmup_fraction, (int, float)) or not 0 <= warmup_fraction < 1:
        raise ValueError(f"`warmup_fraction` must be in [0, 1). Received: warmup_fraction={warmup_fraction!r}")
    warmup = int(round(warmup_fraction * total_steps))
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=0.0 if warmup else learning_rate,
        decay_steps=max(total_steps - warmup, 1),
        alpha=0.0,
        warmup_target=learning_rate if warmup else None,
        warmup_steps=warmup,
    )
