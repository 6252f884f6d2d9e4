"""Temporal controls of clips: the frames shuffled, reversed, frozen, slowed or averaged, per clip with a seed.

Each control is a transform of clips `(..., T, H, W, C)` (time on axis -4,
any leading axes: one clip, a batch, a batch of views) in TensorFlow ops, so
it runs inside `tf.data` (which feeds every Keras backend) or eagerly on
arrays. It keeps the clip's shape and dtype and removes one thing the frames
carry:

- `shuffled`: the frames in a random order (a permutation per clip): order.
- `reversed`: the frames last to first: the direction of time.
- `static_middle`: frame `T // 2` repeated `T` times: all motion and every
  other frame.
- `static_random`: one random frame per clip repeated: the same, wherever
  the frame falls.
- `half_rate`: every other frame, each shown twice (frames 0, 0, 2, 2, ...):
  half the temporal resolution, the clip's length and timing kept.
- `quarter_rate`: every fourth frame, each shown four times.
- `mean_frame`: the clip's mean frame repeated: what a long exposure shows.

`CONTROLS` registers them by name (`register_control` adds one of your own);
`apply_control(dataset, name, seed)` applies one to every clip of a dataset
of batches, each batch with its own stateless seed `(seed, batch index)`:
the same seed and the same batches give the same clips.

Example:
>>> import numpy as np
>>> clip = np.arange(4, dtype="float32").reshape(4, 1, 1, 1)
>>> control_clips(clip, "half_rate").numpy().ravel().tolist()
[0.0, 0.0, 2.0, 2.0]
>>> control_clips(clip, "reversed").numpy().ravel().tolist()
[3.0, 2.0, 1.0, 0.0]
"""

import dataclasses

import tensorflow as tf

from stkeras.registry import Registry


@dataclasses.dataclass(frozen=True)
class ClipControl:
    """A temporal control: a transform of clips and what it removes.

    Attributes:
        name: its name in results and on the command line.
        transform: `transform(clips, seed)` -> clips of the same shape and
            dtype; `clips` are `(N, T, H, W, C)`, `seed` a stateless seed
            (an int tensor of shape `(2,)`, unused by deterministic controls).
        removes: what the control takes away, one line for reports.
        random: whether the transform draws from `seed`.
    """

    name: str
    transform: object
    removes: str
    random: bool = False


CONTROLS = Registry("temporal control")


def register_control(control):
    """Adds a `ClipControl` to `CONTROLS`; returns it."""
    if not isinstance(control, ClipControl):
        raise TypeError(f"`control` must be a stkeras.analysis.ClipControl. Received: control={control!r}")
    return CONTROLS.register(control.name, control)


def get_control(name, argument="controls"):
    """The registered `ClipControl` called `name` (a `ValueError` naming the choices otherwise)."""
    return CONTROLS.get(name, argument)


def _take_frames(clips, indices):
    """`clips[n, indices[n, t]]` for clips `(N, T, H, W, C)` and indices `(N, T)`."""
    return tf.gather(clips, indices, axis=1, batch_dims=1)


def _shuffled(clips, seed):
    shape = tf.shape(clips)
    keys = tf.random.stateless_uniform(shape[:2], seed=seed)
    return _take_frames(clips, tf.argsort(keys, axis=1))


def _reversed(clips, seed):
    del seed
    return tf.reverse(clips, axis=[1])


def _repeat_frame(clips, index):
    """Frame `index[n]` of each clip repeated for the clip's length."""
    frames = tf.shape(clips)[1]
    return _take_frames(clips, tf.tile(index[:, None], tf.stack([1, frames])))


def _static_middle(clips, seed):
    del seed
    shape = tf.shape(clips)
    return _repeat_frame(clips, tf.fill(shape[:1], shape[1] // 2))


def _static_random(clips, seed):
    shape = tf.shape(clips)
    index = tf.random.stateless_uniform(shape[:1], seed=seed, minval=0, maxval=shape[1], dtype=tf.int32)
    return _repeat_frame(clips, index)


def _reduced_rate(factor):
    def transform(clips, seed):
        del seed
        shape = tf.shape(clips)
        kept = (tf.range(shape[1]) // factor) * factor  # 0,0,2,2,... for factor 2
        return _take_frames(clips, tf.tile(kept[None], tf.stack([shape[0], 1])))

    return transform


def _mean_frame(clips, seed):
    del seed
    mean = tf.reduce_mean(tf.cast(clips, tf.float32), axis=1, keepdims=True)
    if clips.dtype.is_integer:
        mean = tf.round(mean)
    return tf.cast(tf.broadcast_to(mean, tf.shape(clips)), clips.dtype)


for _control in (
    ClipControl("shuffled", _shuffled, "the order of the frames", random=True),
    ClipControl("reversed", _reversed, "the direction of time"),
    ClipControl("static_middle", _static_middle, "all motion: the middle frame repeated"),
    ClipControl("static_random", _static_random, "all motion: a random frame repeated", random=True),
    ClipControl("half_rate", _reduced_rate(2), "half the temporal resolution: every other frame shown twice"),
    ClipControl("quarter_rate", _reduced_rate(4), "three quarters of the frames: every fourth shown four times"),
    ClipControl("mean_frame", _mean_frame, "all motion and order: the clip's mean frame repeated"),
):
    register_control(_control)

# The controls of a test-time analysis by default (every registered one at import), and of training.
TEST_CONTROLS = CONTROLS.names()
TRAIN_CONTROLS = ("shuffled", "static_middle")


def _seed_tensor(seed):
    seed = tf.convert_to_tensor(seed)
    if seed.shape.rank == 0:
        seed = tf.stack([tf.cast(seed, tf.int64), tf.constant(0, tf.int64)])
    return tf.cast(seed, tf.int64)


def control_clips(clips, control, seed=0):
    """Applies one control to clips `(..., T, H, W, C)`; returns a tensor of the same shape and dtype.

    Args:
        clips: one clip `(T, H, W, C)`, a batch `(N, T, H, W, C)` or more
            leading axes (views), a tensor or an array.
        control: a registered control's name or a `ClipControl`.
        seed: an int or a stateless seed of shape `(2,)`; the random
            controls draw each clip's permutation or frame from it.

    Example:
    >>> import numpy as np
    >>> clips = np.arange(8, dtype="float32").reshape(2, 4, 1, 1, 1)
    >>> control_clips(clips, "static_middle").numpy()[:, :, 0, 0, 0].tolist()
    [[2.0, 2.0, 2.0, 2.0], [6.0, 6.0, 6.0, 6.0]]
    """
    control = control if isinstance(control, ClipControl) else get_control(control, "control")
    clips = tf.convert_to_tensor(clips)
    if clips.shape.rank is not None and clips.shape.rank < 4:
        raise ValueError(f"`clips` must be (..., frames, height, width, channels), rank 4 or more. Received: "
                         f"shape {clips.shape}")
    shape = tf.shape(clips)
    flat = tf.reshape(clips, tf.concat([[-1], shape[-4:]], axis=0))
    result = tf.reshape(control.transform(flat, _seed_tensor(seed)), shape)
    result.set_shape(clips.shape)
    return result


def apply_control(dataset, control, seed=0):
    """A `tf.data.Dataset` whose clips (the first element of each item) have `control` applied.

    Args:
        dataset: a `tf.data.Dataset` of clips or of tuples `(clips, target[,
            info])`, batched or not.
        control: a registered control's name or a `ClipControl`.
        seed: an int: batch `i` draws from the stateless seed `(seed, i)`.

    Example:
    >>> import tensorflow as tf
    >>> data = tf.data.Dataset.from_tensor_slices((tf.zeros((4, 8, 2, 2, 1)), tf.range(4))).batch(2)
    >>> [tuple(clips.shape) for clips, _ in apply_control(data, "shuffled", seed=3)]
    [(2, 8, 2, 2, 1), (2, 8, 2, 2, 1)]
    """
    control = control if isinstance(control, ClipControl) else get_control(control, "control")
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ValueError(f"`seed` must be an int. Received: seed={seed!r}")

    def transform(index, item):
        batch_seed = tf.stack([tf.constant(seed, tf.int64), tf.cast(index, tf.int64)])
        if isinstance(item, tuple):
            return (control_clips(item[0], control, batch_seed), *item[1:])
        return control_clips(item, control, batch_seed)

    return dataset.enumerate().map(transform, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
