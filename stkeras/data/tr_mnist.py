"""TR-MNIST: translating and rotating digits, for clip reconstruction (Miao et al. 2021)."""

import math

import tensorflow as tf

from stkeras.data.digits import load_digits
from stkeras.data.moving_mnist import _check_speed_range
from stkeras.data.rendering import bounce
from stkeras.data.sampling import check_common
from stkeras.data.sampling import chunked_dataset
from stkeras.data.sampling import digit_pool
from stkeras.data.sampling import pick
from stkeras.data.sampling import stateless_uniform
from stkeras.validation import check_positive_int


def tr_mnist(
    split="train",
    seed=0,
    num_clips=None,
    num_digits=1,
    frames=16,
    size=64,
    speed_range=(1.0, 3.0),
    max_rotation=10.0,
    batch_size=None,
    with_info=False,
    digits="auto",
    digit_size=28,
    dtype="float32",
):
    """A `tf.data.Dataset` of translate-rotate-MNIST clips `(clip, clip)`.

    Each digit moves in a straight line, bouncing off the walls, and turns at
    a constant angular speed drawn uniformly from
    `[-max_rotation, max_rotation]` degrees per frame (bilinear resampling).
    The target is the clip itself, for reconstruction.

    Args:
        split, seed, num_clips, batch_size, digits, digit_size, dtype: as in
            `stkeras.data.quadrant_blink`.
        num_digits: digits per clip (brighter pixel wins where they overlap).
        frames: frames per clip.
        size: frame height and width.
        speed_range: `(low, high)` translation speed in pixels per frame.
        max_rotation: largest angular speed, degrees per frame (>= 0).
        with_info: also yield `{"digit": (k,), "position": (frames, k, 2)`
            top-left corners of the unrotated boxes, `"angle": (frames, k)`
            degrees}`.

    Returns:
        A dataset of `(clip, clip)` (or with `info`), clips shaped
        `(frames, size, size, 1)`.

    Example:
    >>> clip, target = next(iter(tr_mnist(num_clips=1, digits="embedded")))
    >>> clip.shape
    TensorShape([16, 64, 64, 1])

    Reference: Miao et al. 2021, Section 2.1.1.
    """
    check_common(split, seed, num_clips, batch_size, frames, size, digit_size, dtype, digits)
    check_positive_int("num_digits", num_digits)
    low, high = _check_speed_range(speed_range)
    if not isinstance(max_rotation, (int, float)) or max_rotation < 0:
        raise ValueError(f"`max_rotation` must be a number >= 0. Received: max_rotation={max_rotation!r}")
    images, labels = load_digits(split, source=digits)
    pool = digit_pool(images, digit_size, dtype)
    labels = tf.convert_to_tensor(labels, tf.int32)
    extent = float(size - digit_size)
    centre = (digit_size - 1) / 2.0
    out_dtype = tf.as_dtype(dtype)

    def make(index, count):
        n = count * num_digits
        u = stateless_uniform(seed, split, index, n, 7)
        digit_index = pick(u[:, 0], tf.shape(pool)[0])
        speed = low + u[:, 1] * (high - low)
        heading = u[:, 2] * (2.0 * math.pi)
        velocity = speed[:, None] * tf.stack([tf.sin(heading), tf.cos(heading)], axis=1)
        position = tf.round(bounce(u[:, 3:5] * extent, velocity, frames, extent))  # (n, T, 2)
        spin = (2.0 * u[:, 5] - 1.0) * max_rotation
        angle = u[:, 6] * 360.0 * tf.cast(max_rotation > 0, tf.float32)
        angle = angle[:, None] + spin[:, None] * tf.range(frames, dtype=tf.float32)  # (n, T)
        # Output pixel (x, y) samples the digit at R(-angle) (p - c_t) + c.
        theta = angle * (math.pi / 180.0)
        cos, sin = tf.cos(theta), tf.sin(theta)
        cy, cx = position[..., 0] + centre, position[..., 1] + centre
        zeros = tf.zeros_like(cos)
        transform = tf.stack(
            [cos, sin, centre - cos * cx - sin * cy,
             -sin, cos, centre + sin * cx - cos * cy,
             zeros, zeros],
            axis=-1,
        )
        digits_ = tf.tile(tf.gather(pool, digit_index)[:, None, :, :, None], [1, frames, 1, 1, 1])
        drawn = tf.raw_ops.ImageProjectiveTransformV3(
            images=tf.reshape(digits_, [n * frames, digit_size, digit_size, 1]),
            transforms=tf.reshape(transform, [n * frames, 8]),
            output_shape=tf.constant([size, size]),
            fill_value=0.0,
            interpolation="BILINEAR",
            fill_mode="CONSTANT",
        )
        drawn = tf.reduce_max(tf.reshape(drawn, [count, num_digits, frames, size, size, 1]), axis=1)
        clips = tf.cast(tf.round(drawn), out_dtype) if out_dtype == tf.uint8 else drawn
        result = (clips, clips)
        if with_info:
            info = {
                "digit": tf.reshape(tf.gather(labels, digit_index), [count, num_digits]),
                "position": tf.transpose(tf.reshape(tf.cast(position, tf.int32), [count, num_digits, frames, 2]), [0, 2, 1, 3]),
                "angle": tf.transpose(tf.reshape(angle, [count, num_digits, frames]), [0, 2, 1]),
            }
            result += (info,)
        return result

    return chunked_dataset(make, num_clips, batch_size)
