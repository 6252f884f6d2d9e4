"""Refusing clips with NaN or infinite values before they reach a model."""

import numpy as np
import tensorflow as tf


def check_finite_clips(clips, argument="clips"):
    """Returns `clips` (an array) if every value is finite, else raises `ValueError`.

    The message names the argument, how many values are NaN or infinite and
    where the first one is, so that a broken file is found before training.

    Args:
        clips: an array of clips `(clips, frames, ...)`.
        argument: the name the user gave it, for the message.

    Example:
    >>> check_finite_clips(np.array([[[0.0, np.nan]]]), "clips")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: `clips` has 1 NaN or infinite value(s), the first in clip 0, frame 0. Clips must be finite ...
    """
    values = np.asarray(clips)
    if values.ndim < 2:
        raise ValueError(f"`{argument}` must be an array of clips, (clips, frames, ...). Received: {argument} of "
                         f"shape {values.shape}: {_short_repr(clips)}")
    if not np.issubdtype(values.dtype, np.floating):
        return clips
    bad = ~np.isfinite(values)
    if bad.any():
        first = np.argwhere(bad)[0]
        where = f"clip {first[0]}" + (f", frame {first[1]}" if len(first) > 1 else "")
        raise ValueError(
            f"`{argument}` has {int(bad.sum())} NaN or infinite value(s), the first in {where}. Clips must be "
            "finite (replace or drop the broken clips)."
        )
    return clips


def finite_clips(dataset, argument="dataset"):
    """`dataset` of `(clips, ...)` that stops with a clear error at the first clip with NaN or Inf.

    The check runs as the data are read (a `tf.data` map), so it costs no
    pass over the data up front; the error is an `InvalidArgumentError`
    whose message names `argument`.

    Args:
        dataset: a `tf.data.Dataset` whose elements are clips or tuples
            starting with clips.
        argument: the name the user gave it, for the message.

    Example:
    >>> data = tf.data.Dataset.from_tensor_slices((np.array([[1.0], [np.inf]], "float32"), [0, 1]))
    >>> [int(y) for _, y in finite_clips(data).take(1)]
    [0]
    """

    def check(clips, *rest):
        if clips.dtype.is_floating:
            clips = tf.debugging.assert_all_finite(
                clips, f"`{argument}` holds clips with NaN or infinite values; clips must be finite"
            )
        return (clips, *rest) if rest else clips

    return dataset.map(check)


def _short_repr(value):
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
