"""`stkeras evaluate`: a trained classifier's top-1 and top-5 accuracy on a user's videos, over test views.

Each video gives `K` clips in time x 1 or 3 crops in space (`--views KxC`,
as MMAction2's test pipelines); the model's class scores are averaged over
a video's views. Writes `evaluation.json` (accuracies, the views, the
classes, the confusion matrix and each video's prediction) and
`confusion_matrix.png` to the output folder.
"""

import json
import os

import numpy as np

from stkeras.data import parse_views
from stkeras.data import predict_views
from stkeras.data.views import top_k_accuracies
from stkeras.experiments.report import log
from stkeras.experiments.video_data import evaluation_videos
from stkeras.experiments.video_data import load_class_names
from stkeras.atomic_files import write_text_atomically
from stkeras.validation import check_positive_int
from stkeras.viz.confusion import confusion_matrix
from stkeras.viz.confusion import plot_confusion_matrix


def model_clip_shape(model):
    """`(frames, height, width, channels)` of the clips a model takes; a `ValueError` if it has no fixed one."""
    shape = tuple(model.inputs[0].shape[1:])
    if len(shape) != 4 or any(d is None for d in shape):
        raise ValueError(f"Model {model.name!r} must take clips of a fixed shape (frames, height, width, channels); "
                         f"it takes {shape}.")
    if shape[1] != shape[2]:
        raise ValueError(f"Model {model.name!r} takes {shape[1]}x{shape[2]} frames; evaluation crops square frames.")
    if shape[3] != 3:
        raise ValueError(f"Model {model.name!r} takes {shape[3]}-channel frames; videos are decoded as RGB (3).")
    return shape


def evaluation_data(model, *, data, layout=None, split=None, views="1x1", frame_step=2, batch_size=4,
                    class_names=None):
    """The test views of `data` for `model`, checked against it: a `ValueError` before anything is evaluated.

    Args: as `run_evaluate`'s.

    Returns:
        the batched `(views, labels)` dataset, with `class_names`,
        `file_paths` and `views` (`(K, C)`).
    """
    num_clips, crops = parse_views(views)
    check_positive_int("frame_step", frame_step)
    frames, size, _, _ = model_clip_shape(model)
    dataset = evaluation_videos(data, layout=layout, split=split, clip_length=frames, frame_step=frame_step,
                                image_size=size, batch_size=batch_size, num_clips=num_clips, spatial_crops=crops)
    names = list(dataset.class_names)
    if class_names is not None and list(class_names) != names:
        raise ValueError(f"The model's {len(class_names)} classes are not the data's {len(names)} in the same "
                         f"order: model {list(class_names)[:5]}, data {names[:5]} (first five of each).")
    outputs = model.outputs[0].shape[-1]
    if outputs != len(names):
        raise ValueError(f"Model {model.name!r} has {outputs} outputs; the data {data!r} has {len(names)} classes.")
    dataset.views = (num_clips, crops)
    return dataset


def run_evaluate(model, out, *, data, layout=None, split=None, views="1x1", frame_step=2, batch_size=4,
                 class_names=None, label=None):
    """Evaluates a classifier on videos and writes the scores, the confusion matrix and its plot to `out`.

    Args:
        model: a trained Keras classifier over RGB clips.
        out: the output folder.
        data: a folder of class subfolders (every video is evaluated) or a
            published layout's folder (`layout`).
        layout: `None` or a name of `stkeras.data.layouts.LAYOUTS`.
        split: the layout's split (default: its evaluation split).
        views: `"KxC"`: K clips in time x C (1 or 3) crops per video.
        frame_step: the step between a clip's frames, as in training.
        batch_size: videos per batch.
        class_names: the model's classes in label order (default: the
            data's); they must be the data's, in the same order.
        label: the model's name in lines and files (default: its name).

    Returns:
        the evaluation as a dict: `top1`, `top5`, `num_videos`, `views`,
        `class_names`, `confusion`, `videos` (each one's prediction) and
        `files`.

    Example:
    >>> run_evaluate(keras.saving.load_model("run/model.keras"), "run/evaluation", data="videos/test",
    ...              views="10x3")  # doctest: +SKIP
    """
    dataset = evaluation_data(model, data=data, layout=layout, split=split, views=views, frame_step=frame_step,
                              batch_size=batch_size, class_names=class_names)
    (num_clips, crops), names = dataset.views, list(dataset.class_names)
    label = label or model.name
    log(f"stkeras evaluate: {label} on {len(dataset.file_paths)} videos of {data}, {len(names)} classes, "
        f"{num_clips}x{crops} views of {model.inputs[0].shape[1]} frames")
    scores, labels = [], []
    for batch_views, batch_labels in dataset:
        scores.append(predict_views(model, [(batch_views, batch_labels)]))
        labels.append(np.asarray(batch_labels).reshape(-1))
    scores, labels = np.concatenate(scores), np.concatenate(labels).astype(np.int64)
    top, predicted = top_k_accuracies(scores, labels), np.argmax(scores, axis=1)
    matrix = confusion_matrix(labels, predicted, len(names))
    os.makedirs(out, exist_ok=True)
    plot = os.path.join(out, "confusion_matrix.png")
    plot_confusion_matrix(matrix, names, plot, title=f"{label}: top-1 {top['top1']:.3f} ({num_clips}x{crops} views)")
    result = {**top, "num_videos": int(len(labels)), "views": f"{num_clips}x{crops}", "model": label,
              "data": os.fspath(data), "layout": layout, "class_names": names, "confusion": matrix.tolist(),
              "videos": [{"file": path, "label": int(y), "prediction": int(p)}
                         for path, y, p in zip(dataset.file_paths, labels, predicted)],
              "files": [plot]}
    write_text_atomically(os.path.join(out, "evaluation.json"), json.dumps(result, indent=1))
    log(f"{label}: top-1 {top['top1']:.3f}, top-5 {top['top5']:.3f} on {len(labels)} videos; wrote {plot}")
    return result


def saved_class_names(model_file):
    """The class names `stkeras train --data` saved beside a model file, or `None`."""
    return load_class_names(os.path.dirname(os.path.abspath(model_file)))
