"""Per-frame targets and random-length subsequences of clips (Courtney & Sreenivas 2019, Section 4.1)."""

import tensorflow as tf

from stkeras.data.finite import finite_clips
from stkeras.validation import check_positive_int
from stkeras.validation import check_seed


def per_frame_targets(dataset):
    """`dataset` of `(clips, targets[, ...])` batches with each clip's target repeated at every frame.

    Trains a model built with per-frame outputs (`per_frame=True`) with a
    loss at every frame: class indices `(batch,)` become `(batch, frames)`,
    one-hot or numeric targets `(batch, k)` become `(batch, frames, k)`.
    Apply it after `random_subsequences`, so the targets have the clips' length.

    Example:
    >>> import numpy as np
    >>> clips = tf.data.Dataset.from_tensor_slices((np.zeros((2, 3, 4, 4, 1), "float32"), [1, 2])).batch(2)
    >>> next(iter(per_frame_targets(clips)))[1].numpy()
    array([[1, 1, 1],
           [2, 2, 2]], dtype=int32)
    """

    def repeat(clips, targets, *rest):
        frames = tf.shape(clips)[1]
        targets = tf.convert_to_tensor(targets)
        expanded = tf.expand_dims(targets, 1)
        multiples = tf.concat([[1, frames], tf.ones([tf.rank(targets) - 1], tf.int32)], axis=0)
        return (clips, tf.tile(expanded, multiples), *rest)

    return finite_clips(dataset).map(repeat)


def random_subsequences(dataset, length, seed=None):
    """`dataset` of `(clips, targets[, ...])` batches cut to a random window of frames.

    Each batch gets one length (so that it stays one tensor) and every clip
    in it its own start. Courtney & Sreenivas 2019 trains on windows of 24 of LRW's 29 frames.

    Args:
        dataset: a batched `tf.data.Dataset` of clips `(batch, frames, ...)`.
        length: frames per window: an int, or `(shortest, longest)` drawn
            uniformly per batch (the model must then take any number of
            frames: `input_shape=(None, h, w, c)`).
        seed: seed of the lengths and starts.

    Example:
    >>> import numpy as np
    >>> clips = np.arange(10, dtype="float32").reshape(1, 10, 1, 1, 1)
    >>> cut = random_subsequences(tf.data.Dataset.from_tensor_slices((clips, [0])).batch(1), 4, seed=0)
    >>> window = next(iter(cut))[0].numpy().ravel()
    >>> len(window), bool(np.all(np.diff(window) == 1))
    (4, True)
    """
    if isinstance(length, (tuple, list)):
        if len(length) != 2:
            raise ValueError(f"`length` must be an int or (shortest, longest). Received: length={length!r}")
        shortest = check_positive_int("length[0]", length[0])
        longest = check_positive_int("length[1]", length[1])
        if shortest > longest:
            raise ValueError(f"`length` must be (shortest, longest) with shortest <= longest. Received: "
                             f"length={tuple(length)!r}")
    else:
        shortest = longest = check_positive_int("length", length)
    frames = dataset.element_spec[0].shape[1]
    if frames is not None and longest > frames:
        raise ValueError(f"`length`={length!r} is longer than the clips' {frames} frames.")
    check_seed("seed", seed)
    if seed is None:
        generator = tf.random.Generator.from_non_deterministic_state()
    else:
        generator = tf.random.Generator.from_seed(seed)

    def cut(clips, *rest):
        batch, total = tf.shape(clips)[0], tf.shape(clips)[1]
        size = generator.uniform([], shortest, longest + 1, dtype=tf.int32)
        starts = generator.uniform([batch], 0, total - size + 1, dtype=tf.int32)
        indices = starts[:, None] + tf.range(size)[None, :]
        return (tf.gather(clips, indices, batch_dims=1), *rest)

    return finite_clips(dataset).map(cut)
