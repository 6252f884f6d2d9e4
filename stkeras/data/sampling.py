"""Shared argument checks and random draws of the clip synthesizers."""

import tensorflow as tf

from stkeras.data.digits import SOURCES
from stkeras.validation import check_choice
from stkeras.validation import check_positive_int

SPLIT_STREAMS = {"train": 0, "test": 1}
DTYPES = ("float32", "uint8")
DEFAULT_CHUNK = 32  # clips generated together when a dataset yields single clips


def check_common(split, seed, num_clips, batch_size, frames, size, digit_size, dtype, digits):
    """Checks the arguments every synthesizer shares; raises `ValueError`."""
    check_choice("split", split, tuple(SPLIT_STREAMS))
    check_choice("digits", digits, SOURCES)
    check_choice("dtype", dtype, DTYPES)
    check_positive_int("seed", seed, minimum=0)
    check_positive_int("num_clips", num_clips, allow_none=True)
    check_positive_int("batch_size", batch_size, allow_none=True)
    check_positive_int("frames", frames)
    check_positive_int("digit_size", digit_size, minimum=2)
    check_positive_int("size", size)
    if size <= digit_size:
        raise ValueError(
            f"`size` must be larger than `digit_size` so that the digit can move. Received: size={size}, "
            f"digit_size={digit_size}"
        )


def digit_pool(images, digit_size, dtype):
    """Digits as float32 `(n, d, d)`: in [0, 1], or 0-255 for uint8 clips."""
    pool = tf.convert_to_tensor(images[..., None])
    pool = tf.cast(pool, tf.float32)
    if digit_size != pool.shape[1]:
        pool = tf.round(tf.image.resize(pool, (digit_size, digit_size), method="area"))
    scale = 1.0 if tf.as_dtype(dtype) == tf.uint8 else 1.0 / 255.0
    return pool[..., 0] * scale


def chunked_dataset(generate, num_clips, batch_size):
    """A dataset that calls `generate(chunk_index, count)` per chunk of clips.

    Each chunk is one batch (`batch_size`) or `DEFAULT_CHUNK` clips that are
    then unbatched. The chunk index seeds the stateless random numbers, so
    the same arguments give the same clips.
    """
    chunk = batch_size or DEFAULT_CHUNK
    if num_clips is None:
        chunks = tf.data.Dataset.counter().map(lambda i: (i, tf.constant(chunk, tf.int64)))
    else:
        chunks = tf.data.Dataset.range(-(-num_clips // chunk)).map(
            lambda i: (i, tf.minimum(tf.constant(chunk, tf.int64), num_clips - i * chunk))
        )
    dataset = chunks.map(
        lambda i, n: generate(i, tf.cast(n, tf.int32)),
        num_parallel_calls=tf.data.AUTOTUNE,
        deterministic=True,
    )
    if batch_size is None:
        dataset = dataset.unbatch()
    return dataset.prefetch(tf.data.AUTOTUNE)


def stateless_uniform(seed, split, chunk_index, count, columns):
    """`(count, columns)` uniforms in [0, 1) for one chunk of one split."""
    key = tf.stack(
        [tf.constant(seed * 2 + SPLIT_STREAMS[split], tf.int64), tf.cast(chunk_index, tf.int64)]
    )
    return tf.random.stateless_uniform(tf.stack([count, columns]), seed=key)


def pick(u, n):
    """Uniform ints in [0, n) from uniforms `u` (n may be a tensor)."""
    return tf.minimum(tf.cast(u * tf.cast(n, tf.float32), tf.int32), n - 1)
