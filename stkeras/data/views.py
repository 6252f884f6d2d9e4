"""Test-time views: a model's outputs averaged over several views of each video or clip.

Two kinds of views, one averaging (`predict_views`):

- MMAction2's test pipelines: `K` clips in time x 1 or 3 crops in space.
  `video_dataset_from_directory(..., num_clips=K, spatial_crops=3)` yields
  `(views, label)` with views `(V, T, H, W, C)`, `V = K x crops`, the crops
  of one clip next to each other; `evaluate_views` scores the averages
  (top-1, top-5). `parse_views("10x3")` reads the `KxC` notation.
- Courtney & Sreenivas 2019's test-time augmentation: centred crops of
  several sizes, each also mirrored (`crop_views`, `predict_tta`).
"""

import re

import keras
import numpy as np
from keras import ops

from stkeras.layers.fold_frames import fold_frames
from stkeras.layers.fold_frames import unfold_frames
from stkeras.validation import check_positive_int


def parse_views(views):
    """`(num_clips, spatial_crops)` from `"KxC"` (C is 1 or 3), e.g. `"10x3"`.

    Example:
    >>> parse_views("10x3")
    (10, 3)
    """
    match = re.fullmatch(r"\s*(\d+)\s*[xX]\s*([13])\s*", views) if isinstance(views, str) else None
    if match is None or int(match.group(1)) < 1:
        raise ValueError("`views` must be 'KxC': K >= 1 clips in time, C = 1 (centre) or 3 spatial crops, e.g. "
                         f"'10x3'. Received: views={views!r}")
    return int(match.group(1)), int(match.group(2))


def _batches(dataset):
    for element in dataset:
        views, *rest = element if isinstance(element, (tuple, list)) else (element,)
        views = np.asarray(views)
        if views.ndim == 5:  # one video's views, unbatched
            views, rest = views[None], [np.asarray(r)[None] for r in rest]
        if views.ndim != 6:
            raise ValueError("`dataset` must yield views (batch, views, frames, height, width, channels) or "
                             f"(views, frames, height, width, channels). Received an element of shape {views.shape}")
        yield views, (np.asarray(rest[0]) if rest else None)


def predict_views(model, dataset, *, chunk_size=None):
    """A model's outputs averaged over each video's views, `(num_videos, *outputs)` (per-frame outputs stay per frame).

    Args:
        model: a Keras model over clips `(batch, T, H, W, C)`.
        dataset: batches of views `(batch, V, T, H, W, C)` (or `(views,
            labels)` pairs; unbatched elements are fine too).
        chunk_size: clips per model call (default: a whole batch's views).

    Returns:
        a NumPy array of the averaged outputs (class scores).

    Example:
    >>> import keras, numpy as np
    >>> model = keras.Sequential([keras.Input((2, 4, 4, 3)), keras.layers.GlobalAveragePooling3D()])
    >>> predict_views(model, [np.ones((1, 6, 2, 4, 4, 3), "float32")]).shape
    (1, 3)
    """
    check_positive_int("chunk_size", chunk_size, allow_none=True)
    scores = []
    for views, _ in _batches(dataset):
        clips = views.reshape((-1, *views.shape[2:]))
        step = chunk_size or len(clips)
        outputs = np.concatenate([np.asarray(model.predict_on_batch(clips[i:i + step]))
                                  for i in range(0, len(clips), step)])
        scores.append(outputs.reshape((views.shape[0], views.shape[1], *outputs.shape[1:])).mean(axis=1))
    if not scores:
        raise ValueError("`dataset` is empty: no views to predict.")
    return np.concatenate(scores)


def top_k_accuracies(scores, labels, ks=(1, 5)):
    """`{"top1": ..., "top5": ...}`: the share of rows of `scores` `(n, classes)` whose label is among the k best.

    Ties rank the lower class first.

    Example:
    >>> top_k_accuracies(np.array([[0.1, 0.9], [0.8, 0.2]]), np.array([1, 1]), ks=(1,))
    {'top1': 0.5}
    """
    ranking = np.argsort(-np.asarray(scores), axis=1, kind="stable")
    labels = np.asarray(labels, np.int64).reshape(-1, 1)
    return {f"top{k}": float(np.mean(np.any(ranking[:, :k] == labels, axis=1))) for k in ks}


def evaluate_views(model, dataset, *, top_k=(1, 5), chunk_size=None):
    """Top-k accuracies of the view-averaged scores of `(views, labels)` batches.

    Args:
        model: a classifier over clips.
        dataset: `(views, labels)` batches (int labels).
        top_k: the k of each accuracy (a k above the number of classes counts as the number of classes).
        chunk_size: clips per model call.

    Returns:
        `{"top1": ..., "top5": ..., "num_videos": N}` (one `top<k>` per k).

    Example:
    >>> import keras, numpy as np
    >>> model = keras.Sequential([keras.Input((2, 4, 4, 3)), keras.layers.GlobalAveragePooling3D()])
    >>> views = np.zeros((2, 3, 2, 4, 4, 3), "float32"); views[0, ..., 2] = 1; views[1, ..., 0] = 1
    >>> evaluate_views(model, [(views, np.array([2, 1]))], top_k=(1,))
    {'top1': 0.5, 'num_videos': 2}
    """
    ks = tuple(check_positive_int("top_k", k) for k in (top_k if isinstance(top_k, (tuple, list)) else (top_k,)))
    labels, scores = [], []
    for views, batch_labels in _batches(dataset):
        if batch_labels is None:
            raise ValueError("`dataset` must yield (views, labels) to evaluate; it yields views only.")
        scores.append(predict_views(model, [views], chunk_size=chunk_size))
        labels.append(batch_labels.reshape(-1))
    if not scores:
        raise ValueError("`dataset` is empty: no views to evaluate.")
    result = top_k_accuracies(np.concatenate(scores), np.concatenate(labels), ks)
    result["num_videos"] = int(sum(len(batch) for batch in labels))
    return result


def crop_views(clips, *, crop_sizes, output_size, flip=True):
    """Clips `(n, T, H, W, C)` as views `(n, V, T, output_size, output_size, C)`: centred square crops of
    `crop_sizes`, resized to `output_size`, each followed by its mirror image when `flip`.

    Example:
    >>> crop_views(np.zeros((2, 4, 12, 12, 1), "float32"), crop_sizes=(8, 12), output_size=8).shape
    (2, 4, 4, 8, 8, 1)
    """
    clips = np.asarray(clips, dtype="float32")
    images = fold_frames(ops.convert_to_tensor(clips))
    frames, channels = clips.shape[1], clips.shape[4]
    views = []
    for size in crop_sizes:
        view = keras.layers.Resizing(output_size, output_size)(keras.layers.CenterCrop(size, size)(images))
        views.append(unfold_frames(view, frames, channels))
        if flip:
            views.append(unfold_frames(ops.flip(view, axis=2), frames, channels))
    return np.stack([np.asarray(view) for view in views], axis=1)


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
    batches = (crop_views(clips[start:start + batch_size], crop_sizes=crop_sizes, output_size=output_size, flip=flip)
               for start in range(0, len(clips), batch_size))
    return predict_views(model, batches)
