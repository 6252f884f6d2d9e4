"""Vectorized drawing of moving image patches into clips, in TensorFlow ops."""

import tensorflow as tf


def bounce(start, velocity, frames, extent):
    """Positions of points that move in a straight line and bounce off walls.

    A point at `start` moves by `velocity` per frame inside `[0, extent]`; a
    coordinate that would cross a wall is reflected on the frame of impact
    (its velocity component reverses), so it never leaves the box.

    Args:
        start: float tensor `(n, 2)`, positions at frame 0.
        velocity: float tensor `(n, 2)`, displacement per frame.
        frames: number of frames.
        extent: the largest allowed coordinate (a float > 0).

    Returns:
        float tensor `(n, frames, 2)`.

    Example:
    >>> bounce(tf.constant([[0.0, 9.0]]), tf.constant([[4.0, 4.0]]), 4, 10.0).numpy()[0, :, 1]
    array([9., 7., 3., 1.], dtype=float32)
    """
    t = tf.range(frames, dtype=start.dtype)
    free = start[:, None, :] + velocity[:, None, :] * t[None, :, None]
    folded = tf.math.floormod(free, 2.0 * extent)
    return tf.where(folded > extent, 2.0 * extent - folded, folded)


def paste(patches, rows, cols, size, dtype=tf.float32, overlap=True):
    """Draws patches into empty square frames.

    Each patch is first spread along its frame's columns by a product with a
    one-hot placement matrix (exact: one non-zero term per pixel), then its
    rows are scattered into the frame, so the work grows with the patch
    area, not with the frame area.

    Args:
        patches: float tensor `(n, frames, k, h, w)`, `k` patches per frame
            with values >= 0.
        rows, cols: int32 tensors `(n, frames, k)`, top-left corners; every
            patch must lie inside the frame.
        size: frame height and width.
        dtype: dtype of the frames (`tf.float32` or `tf.uint8`).
        overlap: whether patches of a frame may overlap; they then combine by
            their maximum. Without overlap a plain scatter is used (faster).

    Returns:
        tensor `(n, frames, size, size)` of `dtype`.
    """
    shape = tf.shape(patches)
    n, frames, k, h, w = shape[0], shape[1], shape[2], shape[3], shape[4]
    column_hot = tf.one_hot(cols[..., None] + tf.range(w), size, dtype=patches.dtype)
    wide_rows = tf.linalg.matmul(patches, column_hot)  # (n, frames, k, h, size)
    clip_index = tf.broadcast_to(tf.range(n)[:, None, None, None], [n, frames, k, h])
    frame_index = tf.broadcast_to(tf.range(frames)[None, :, None, None], [n, frames, k, h])
    row_index = rows[..., None] + tf.range(h)
    indices = tf.stack([clip_index, frame_index, row_index], axis=-1)
    shape = tf.stack([n, frames, size, size])
    wide_rows = tf.cast(wide_rows, dtype)
    if not overlap:
        return tf.scatter_nd(indices, wide_rows, shape)
    return tf.tensor_scatter_nd_max(tf.zeros(shape, dtype=dtype), indices, wide_rows)
