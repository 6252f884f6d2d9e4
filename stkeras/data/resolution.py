"""Resolution transforms of clips: space / beta and time / gamma (for ITSL)."""

import tensorflow as tf

from stkeras.validation import check_positive_int


def downsample_space(clips, beta):
    """Shrinks height and width by `beta` (area averaging).

    Args:
        clips: `(time, h, w, c)` or `(batch, time, h, w, c)` tensor.
        beta: int >= 1.

    Example:
    >>> downsample_space(tf.zeros((2, 4, 8, 8, 1)), 2).shape
    TensorShape([2, 4, 4, 4, 1])
    """
    check_positive_int("beta", beta)
    clips = tf.convert_to_tensor(clips)
    static = clips.shape.as_list()
    if any(size is not None and size < beta for size in static[-3:-1]):
        raise ValueError(f"`beta` must be at most the frames' height and width, {static[-3:-1]}. Received: "
                         f"beta={beta!r}")
    if beta == 1:
        return clips
    shape = tf.shape(clips)
    frames = tf.reshape(clips, tf.concat([[-1], shape[-3:]], axis=0))
    small = tf.image.resize(frames, shape[-3:-1] // beta, method="area")
    out_shape = tf.concat([shape[:-3], tf.shape(small)[1:]], axis=0)
    result = tf.reshape(tf.cast(small, clips.dtype), out_shape)
    static = clips.shape.as_list()
    for axis in (-3, -2):
        if static[axis] is not None:
            static[axis] //= beta
    result.set_shape(static)
    return result


def downsample_time(clips, gamma):
    """Keeps every `gamma`-th frame (time on axis -4).

    Example:
    >>> downsample_time(tf.zeros((2, 8, 4, 4, 1)), 2).shape
    TensorShape([2, 4, 4, 4, 1])
    """
    check_positive_int("gamma", gamma)
    clips = tf.convert_to_tensor(clips)
    if gamma == 1:
        return clips
    if clips.shape.rank == 4:
        return clips[::gamma]
    return clips[:, ::gamma]
