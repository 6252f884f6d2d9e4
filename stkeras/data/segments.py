"""TSN-style segment sampling: `N` frames from a video of any length, as a `tf.data` transform.

A video of `L` frames is cut into `N` equal segments (segment `i` covers
frames `floor(i L / N)` to `floor((i + 1) L / N) - 1`; a video shorter than
`N` frames repeats frames). Training draws one frame per segment at random,
evaluation takes each segment's centre (Köpüklü et al., Fig. 1; Wang et al.'s TSN).
"""

import tensorflow as tf

from stkeras.data.finite import finite_clips
from stkeras.validation import check_bool
from stkeras.validation import check_positive_int


def segment_indices(length, num_segments, training, seed=None):
    """The `num_segments` frame indices sampled from a video of `length` frames.

    Args:
        length: frames in the video (a Python int or a scalar tensor >= 1).
        num_segments: `N`.
        training: draw a random frame per segment (`True`) or take each
            segment's centre (`False`).
        seed: a stateless seed, a shape-`(2,)` int tensor, for the training
            draw (the same seed gives the same frames).

    Returns:
        int32 indices, shape `(num_segments,)`, in increasing order.

    Example:
    >>> segment_indices(16, 4, training=False).numpy()
    array([ 2,  6, 10, 14], dtype=int32)
    """
    check_positive_int("num_segments", num_segments)
    check_bool("training", training)
    if not tf.is_tensor(length):
        check_positive_int("length", length)
    if seed is not None and not tf.is_tensor(seed) and not (
            isinstance(seed, (tuple, list)) and len(seed) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) for v in seed)):
        raise TypeError(f"`seed` must be None or a pair of ints (a shape-(2,) int tensor). Received: seed={seed!r}")
    length = tf.cast(length, tf.int32)
    tf.debugging.assert_positive(length, message="A video to sample segments from has no frames.")
    i = tf.range(num_segments, dtype=tf.int32)
    start = (i * length) // num_segments
    span = tf.maximum((i + 1) * length // num_segments - start, 1)
    if training:
        seed = tf.zeros((2,), tf.int64) if seed is None else seed
        offset = tf.cast(tf.random.stateless_uniform((num_segments,), seed=seed) * tf.cast(span, tf.float32), tf.int32)
        offset = tf.minimum(offset, span - 1)
    else:
        offset = span // 2
    return tf.minimum(start + offset, length - 1)


def sample_segments(dataset, num_segments, training, seed=0):
    """Replaces each element's video (`(L, ...)`, any `L`) by `num_segments` sampled frames.

    Args:
        dataset: a `tf.data.Dataset` of `(video, target)` or `(video, target,
            info)`; the video's first axis is time, unbatched.
        num_segments: `N`.
        training: random frame per segment, or segment centres.
        seed: seed of the training draws: element `i` draws with the
            stateless seed `(seed, i)`, so the same dataset and seed give the
            same frames, whatever TensorFlow's global seed.

    Returns:
        the dataset with videos of shape `(N, ...)`.

    Example:
    >>> videos = tf.data.Dataset.from_tensor_slices((tf.reshape(tf.range(40.0), (2, 20, 1)), [0, 1]))
    >>> [int(v[0, 0]) for v, _ in sample_segments(videos, 2, training=False)]
    [5, 25]
    """
    check_positive_int("num_segments", num_segments)
    check_positive_int("seed", seed, minimum=0)
    seeds = tf.data.Dataset.counter().map(lambda index: tf.stack([tf.constant(seed, tf.int64), index]))

    def sample(element, element_seed):
        video, *rest = element
        indices = segment_indices(tf.shape(video)[0], num_segments, training, element_seed)
        return (tf.gather(video, indices), *rest)

    return tf.data.Dataset.zip((finite_clips(dataset), seeds)).map(
        sample, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True
    )
