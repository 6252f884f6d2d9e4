"""A user's videos as a run's data: a folder of class subfolders, or a published layout.

`--data DIR` alone is a folder of class subfolders of video files or frame
folders (`stkeras.data.video_dataset_from_directory`); a share of it
(`validation_split`) is held out and scored after every epoch. With
`--layout` it is a published dataset's folder (`stkeras.data.video_dataset`),
whose own splits give the training and the held-out videos.
"""

import json
import os

from stkeras.data import video_dataset
from stkeras.data import video_dataset_from_directory
from stkeras.data.layouts import LAYOUTS
from stkeras.training.atomic import write_text_atomically
from stkeras.validation import check_choice

# The split each layout holds out for evaluation (the one its papers report).
HELD_OUT_SPLITS = {"ucf101": "test", "hmdb51": "test", "kinetics": "val", "something_something_v2": "validation",
                   "jester": "validation"}
CLASS_NAMES_FILE = "class_names.json"


def _common(clip_length, frame_step, image_size, batch_size, seed):
    return dict(clip_length=clip_length, frame_step=frame_step, image_size=(image_size, image_size),
                batch_size=batch_size, seed=seed)


def training_videos(data, *, layout=None, clip_length=16, frame_step=2, image_size=112, batch_size=8, seed=0,
                    validation_split=0.2):
    """`(train, validation)` datasets of a user's videos: random clips and crops, and held-out centre clips.

    Args:
        data: a folder of class subfolders, or a published layout's folder.
        layout: `None` or a name of `stkeras.data.layouts.LAYOUTS`.
        clip_length, frame_step: frames per clip and the step between them.
        image_size: the frames' height and width.
        batch_size: clips per batch.
        seed: seed of the split, the shuffle and the random clips.
        validation_split: the share of a plain folder's videos held out
            (a layout holds out its own evaluation split).

    Returns:
        two batched `(clips, labels)` datasets with `class_names` and
        `file_paths`; the training one yields every training video once.

    Example:
    >>> train, validation = training_videos("videos", clip_length=8, image_size=64)  # doctest: +SKIP
    """
    options = _common(clip_length, frame_step, image_size, batch_size, seed)
    if layout is None:
        train, validation = video_dataset_from_directory(data, validation_split=validation_split, subset="both",
                                                         **options)
        return train, validation
    check_choice("layout", layout, tuple(LAYOUTS))
    train = video_dataset(layout, data, split="train", **options)
    validation = video_dataset(layout, data, split=HELD_OUT_SPLITS[layout], shuffle=False, **options)
    if list(validation.class_names) != list(train.class_names):
        raise ValueError(f"The {layout} splits of {data!r} name different classes: {len(train.class_names)} in "
                         f"train, {len(validation.class_names)} in {HELD_OUT_SPLITS[layout]}.")
    return train, validation


def evaluation_videos(data, *, layout=None, split=None, clip_length=16, frame_step=2, image_size=112, batch_size=4,
                      num_clips=1, spatial_crops=1):
    """The test views of a user's videos: `num_clips` clips x `spatial_crops` crops of every video, in order.

    Args:
        data: a folder of class subfolders (every video is evaluated), or
            a published layout's folder.
        layout: `None` or a name of `stkeras.data.layouts.LAYOUTS`.
        split: the layout's split (default: its evaluation split).
        clip_length, frame_step, image_size: as the model was trained.
        batch_size: videos per batch.
        num_clips, spatial_crops: the views (`"10x3"` is 10 and 3).

    Returns:
        a batched `(views, labels)` dataset, views `(batch, num_clips *
        spatial_crops, clip_length, image_size, image_size, 3)`.
    """
    options = dict(_common(clip_length, frame_step, image_size, batch_size, 0), shuffle=False, training=False,
                   num_clips=num_clips, spatial_crops=spatial_crops)
    if layout is None:
        if split is not None:
            raise ValueError(f"`split` names a split of a published layout; give `layout` too. Received: "
                             f"split={split!r}, layout=None")
        return video_dataset_from_directory(data, **options)
    check_choice("layout", layout, tuple(LAYOUTS))
    return video_dataset(layout, data, split=split or HELD_OUT_SPLITS[layout], **options)


def save_class_names(folder, class_names):
    """Writes the class names of a run's model (in label order) to `folder/class_names.json`."""
    write_text_atomically(os.path.join(folder, CLASS_NAMES_FILE), json.dumps(list(class_names), indent=1))


def load_class_names(folder):
    """The class names saved beside a run's model, or `None` if there are none."""
    path = os.path.join(folder, CLASS_NAMES_FILE)
    if not os.path.isfile(path):
        return None
    with open(path) as file:
        names = json.load(file)
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        raise ValueError(f"{path!r} must hold a JSON list of class names.")
    return names
