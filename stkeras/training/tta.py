"""Test-time augmentation (Courtney & Sreenivas 2019): predictions averaged over three crops, each also flipped."""

import keras
import numpy as np
from keras import ops

from stkeras.data.augment import fold_frames
from stkeras.data.augment import unfold_frames
from stkeras.validation import check_positive_int


def _views(clips, crop_sizes, output_size, flip):
    images = fold_frames(ops.convert_to_tensor(clips))
    frames, channels = clips.shape[1], clips.shape[4]
    for size in crop_sizes:
        view = keras.layers.CenterCrop(size, size)(images)
        view = keras.layers.Resizing(output_size, output_size)(view)
        yield unfold_frames(view, frames, channels)
        if flip:
            yield unfold_frames(ops.flip(view, axis=2), frames, channels)


def predict_tta(model, clips, *, crop_sizes, output_size=None, flip=True, batch_size=16):
    """The model's predictions averaged over centred crops of several sizes and their mirror images.

    Courtney & Sreenivas 2019 tests on three crops and their horizontal flips; with training
    crops of 48-64 pixels, `crop_sizes=(48, 56, 64)` covers the smallest,
    middle and largest. Per-frame outputs stay per frame.

    Args:
        model: a Keras model over clips.
        clips: array `(n, frames, height, width, channels)`.
        crop_sizes: square crop sizes in source pixels, each at most the
            frame size.
        output_size: size the crops are resized to (default: the model's
            input frame size).
        flip: also predict on each crop mirrored left to right.
        batch_size: clips per prediction batch.

    Returns:
        a NumPy array shaped like `model.predict(...)` on one view.

    Example:
    >>> import keras, numpy as np
    >>> inputs = keras.Input((4, 8, 8, 1))
    >>> model = keras.Model(inputs, keras.layers.Dense(2)(keras.layers.Flatten()(inputs)))
    >>> clips = np.random.default_rng(0).uniform(size=(3, 4, 12, 12, 1)).astype("float32")
    >>> predict_tta(model, clips, crop_sizes=(8, 10, 12)).shape
    (3, 2)
    """
    clips = np.asarray(clips, dtype="float32")
    if clips.ndim != 5:
        raise ValueError(f"`clips` must be (n, frames, height, width, channels). Received shape {clips.shape}")
    if isinstance(crop_sizes, int) or not crop_sizes:
        raise ValueError(f"`crop_sizes` must be a non-empty list of crop sizes. Received: crop_sizes={crop_sizes!r}")
    for size in crop_sizes:
        check_positive_int("crop_sizes", size)
        if size > min(clips.shape[2:4]):
            raise ValueError(f"`crop_sizes` holds {size}, larger than the {clips.shape[2]}x{clips.shape[3]} frames.")
    output_size = check_positive_int("output_size", output_size or model.inputs[0].shape[2])
    check_positive_int("batch_size", batch_size)
    total = None
    for start in range(0, len(clips), batch_size):
        batch_total = None
        for view in _views(clips[start:start + batch_size], crop_sizes, output_size, flip):
            out = np.asarray(model.predict_on_batch(np.asarray(view)), dtype="float64")
            batch_total = out if batch_total is None else batch_total + out
        total = batch_total if total is None else np.concatenate([total, batch_total])
    views = len(crop_sizes) * (2 if flip else 1)
    return (total / views).astype("float32")
