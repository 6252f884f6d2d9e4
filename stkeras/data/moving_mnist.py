"""Moving MNIST: bouncing digits, for next-frame prediction."""

import math

import tensorflow as tf

from stkeras.data.digits import load_digits
from stkeras.data.rendering import bounce
from stkeras.data.rendering import paste
from stkeras.data.sampling import check_common
from stkeras.data.sampling import chunked_dataset
from stkeras.data.sampling import digit_pool
from stkeras.data.sampling import pick
from stkeras.data.sampling import stateless_uniform
from stkeras.validation import check_positive_int


def moving_mnist(
    split="train",
    seed=0,
    num_clips=None,
    num_digits=2,
    frames=20,
    input_frames=10,
    size=64,
    speed_range=(2.0, 5.0),
    batch_size=None,
    with_info=False,
    digits="auto",
    digit_size=28,
    dtype="float32",
):
    """A `tf.data.Dataset` of Moving MNIST clips split into input and future frames.

    `num_digits` digits move in straight lines at a random speed and
    direction, bouncing off the walls; where they overlap the brighter pixel
    wins. Each element is `(inputs, targets)`: the first `input_frames` frames
    and the `frames - input_frames` frames that follow.

    Args:
        split, seed, num_clips, batch_size, digits, digit_size, dtype: as in
            `stkeras.data.quadrant_blink`.
        num_digits: digits per clip.
        frames: frames per clip in all.
        input_frames: frames given as input (1 to `frames - 1`).
        size: frame height and width.
        speed_range: `(low, high)` pixels per frame, drawn uniformly.
        with_info: also yield `{"digit": (k,), "position": (frames, k, 2)}`.

    Returns:
        A dataset of `(inputs, targets)` shaped `(input_frames, size, size, 1)`
        and `(frames - input_frames, size, size, 1)` (batched when `batch_size`).

    Example:
    >>> ds = moving_mnist(num_clips=2, digits="embedded")
    >>> [tuple(t.shape) for t in next(iter(ds))]
    [(10, 64, 64, 1), (10, 64, 64, 1)]

    Reference: Srivastava et al. 2015, the moving-digit videos Courtney & Sreenivas 2022 builds on.
    """
    check_common(split, seed, num_clips, batch_size, frames, size, digit_size, dtype, digits)
    check_positive_int("num_digits", num_digits)
    if not isinstance(input_frames, int) or not 1 <= input_frames < frames:
        raise ValueError(
            f"`input_frames` must be an int in [1, frames - 1] = [1, {frames - 1}]. "
            f"Received: input_frames={input_frames!r}"
        )
    low, high = _check_speed_range(speed_range)
    images, labels = load_digits(split, source=digits)
    pool = digit_pool(images, digit_size, dtype)
    labels = tf.convert_to_tensor(labels, tf.int32)
    extent = float(size - digit_size)
    out_dtype = tf.as_dtype(dtype)

    def make(index, count):
        u = stateless_uniform(seed, split, index, count * num_digits, 5)
        digit_index = pick(u[:, 0], tf.shape(pool)[0])
        speed = low + u[:, 1] * (high - low)
        angle = u[:, 2] * (2.0 * math.pi)
        velocity = speed[:, None] * tf.stack([tf.sin(angle), tf.cos(angle)], axis=1)
        position = tf.cast(tf.round(bounce(u[:, 3:5] * extent, velocity, frames, extent)), tf.int32)
        position = tf.transpose(tf.reshape(position, [count, num_digits, frames, 2]), [0, 2, 1, 3])
        patches = tf.reshape(tf.gather(pool, digit_index), [count, 1, num_digits, digit_size, digit_size])
        patches = tf.tile(patches, [1, frames, 1, 1, 1])
        clips = paste(patches, position[..., 0], position[..., 1], size, out_dtype)[..., None]
        result = (clips[:, :input_frames], clips[:, input_frames:])
        if with_info:
            info = {
                "digit": tf.reshape(tf.gather(labels, digit_index), [count, num_digits]),
                "position": position,
            }
            result += (info,)
        return result

    return chunked_dataset(make, num_clips, batch_size)


def _check_speed_range(speed_range):
    try:
        low, high = (float(v) for v in speed_range)
    except (TypeError, ValueError):
        low = high = None
    if low is None or not 0 <= low <= high:
        raise ValueError(
            "`speed_range` must be (low, high) with 0 <= low <= high. "
            f"Received: speed_range={speed_range!r}"
        )
    return low, high
