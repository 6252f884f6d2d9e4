"""Test-time views, as MMAction2's test pipelines: `K` clips in time x 1 or 3 crops in space, scores averaged.

`video_dataset_from_directory(..., num_clips=K, spatial_crops=3)` yields
`(views, label)` with views `(V, T, H, W, C)`, `V = K x crops`, the crops of
one clip next to each other; `predict_views` runs a model on every view
and averages its outputs over a video's views, `evaluate_views` scores the
averages (top-1, top-5). `parse_views("10x3")` reads the `KxC` notation.
"""

import re

import numpy as np

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
    """A model's outputs averaged over each video's views, `(num_videos, outputs)`.

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
        scores.append(outputs.reshape((views.shape[0], views.shape[1], -1)).mean(axis=1))
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
