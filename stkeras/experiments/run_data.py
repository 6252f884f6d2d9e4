"""`RunData`: what a run trains and scores on, the same for every application.

Two sources, one interface:

- `SyntheticData`: Courtney & Sreenivas 2022's quadrant-blink clips of a
  recipe, for a task (`stkeras.data.quadrant_blink`);
- `VideoData`: a user's videos, a folder of class subfolders or a published
  layout's folder (`stkeras.data.layouts`).

A `RunData` gives the task, the clip shape (`input_shape`), the class names,
the recipe's settings with the data's counts, the `Preprocessing` of its
clips, and its datasets: the training stream, the held-out clips scored after
each epoch, the test clips, the test views of a video, a few clips to
explain, and the scores of a predictor that ignores the clips. Videos are
listed and probed once, when the `VideoData` is made; each dataset is made
once and shared by every model of the run.

Example:
>>> data = synthetic_data(task="order", recipe="blink16_12k", epochs=1)
>>> data.input_shape, data.task.units, data.steps_per_epoch
((16, 16, 16, 1), 6, 32)
"""

import abc
import os

import keras
import numpy as np
import tensorflow as tf

from stkeras.data import quadrant_blink
from stkeras.data import sample_segments
from stkeras.data.layouts import LAYOUTS
from stkeras.data.layouts import read_layout
from stkeras.data.preprocessing import Preprocessing
from stkeras.data.video_files import build_video_dataset
from stkeras.data.video_files import list_class_videos
from stkeras.data.video_files import probe_videos
from stkeras.data.video_files import split_files
from stkeras.recipes import CLIP_KEYS
from stkeras.recipes import FINE_TUNING_DEFAULTS
from stkeras.recipes import fine_tuning_settings
from stkeras.recipes import is_video_recipe
from stkeras.recipes import recipe_settings
from stkeras.tasks import Task
from stkeras.tasks import get_task
from stkeras.validation import check_choice
from stkeras.validation import check_positive_int

# The split each layout holds out for evaluation (the one its papers report).
HELD_OUT_SPLITS = {"ucf101": "test", "hmdb51": "test", "kinetics": "val", "something_something_v2": "validation",
                   "jester": "validation"}
DEFAULT_FRAME_SIZE = 112  # a video's frames, when neither the run nor the model's weights say


def targets(dataset):
    """Every target of a finite dataset of `(clip, target[, info])` batches, as one array."""
    return np.concatenate([np.asarray(batch[1]) for batch in dataset])


class RunData(abc.ABC):
    """What a run trains and scores on (see the module's notes); made by `synthetic_data` or `video_data`.

    Attributes:
        task: the `stkeras.tasks.Task` the clips' targets are.
        input_shape: `(frames, height, width, channels)` of the clips.
        class_names: the classes in label order, or `None` (synthetic tasks).
        recipe: the recipe's name.
        settings: its settings, with the data's counts (`train_clips`, ...).
        preprocessing: the `Preprocessing` of the clips.
    """

    task = None
    input_shape = None
    class_names = None
    recipe = None
    settings = None
    preprocessing = None

    @property
    def steps_per_epoch(self):
        """Batches of one epoch of the training stream."""
        return -(-self.settings["train_clips"] // self.settings["batch_size"])

    @property
    def seed(self):
        """The run's first seed."""
        return self.settings["seed"]

    def record(self):
        """What a preset folder's `recipe.json` keeps: the recipe's name, its settings and the data."""
        settings = {k: list(v) if isinstance(v, (tuple, range)) else v for k, v in self.settings.items()}
        return {"name": self.recipe, "settings": settings, "data": self.source()}

    @abc.abstractmethod
    def source(self):
        """The data as a dict (`recipe.json`'s `data`)."""

    @abc.abstractmethod
    def describe(self):
        """One line for the terminal."""


class SyntheticData(RunData):
    """Quadrant-blink clips of a recipe, for a task; `segments` samples that many frames of each clip (TSN).

    Args:
        task: a registered task name or a `Task` whose target the clips carry.
        recipe: the recipe's name.
        settings: its settings (`stkeras.recipes.recipe_settings`).
        segments: `None`, or frames sampled per clip, one per segment (a
            random frame in training, the centre one in evaluation).
    """

    def __init__(self, *, task, recipe, settings, segments=None):
        self.task = get_task(task)
        self.recipe, self.settings = recipe, dict(settings)
        if is_video_recipe(self.settings):
            raise ValueError(f"Recipe {recipe!r} is for your videos (--data DIR): it holds no synthetic clips "
                             f"({', '.join(CLIP_KEYS)}).")
        fine_tuning = fine_tuning_settings(self.settings)
        changed = [name for name, value in fine_tuning.items() if value != FINE_TUNING_DEFAULTS[name]]
        if changed:
            raise ValueError(f"{', '.join(f'`{name}`' for name in changed)}: fine-tuning on your videos (--data "
                             f"DIR); quadrant-blink clips train without it. Received: "
                             f"{', '.join(f'{name}={fine_tuning[name]!r}' for name in changed)}")
        self.segments = check_positive_int("segments", segments, allow_none=True)
        if self.segments is not None and self.segments > self.settings["frames"]:
            raise ValueError(f"`segments` samples one frame per segment of a clip's {self.settings['frames']} frames: "
                             f"at most {self.settings['frames']}. Received: segments={self.segments}")
        frames, size = self.segments or self.settings["frames"], self.settings["frame_size"]
        self.input_shape = (frames, size, size, 1)
        self.preprocessing = Preprocessing(frames=frames, sampling="segments" if self.segments else "dense")

    def clips(self, split, *, seed, num_clips, with_info=False, training=None):
        """`num_clips` clips of `split` (`"train"` or `"test"` digits), batched; segments sampled if the data has them."""
        s = self.settings
        dataset = quadrant_blink(split=split, seed=seed, num_clips=num_clips, frames=s["frames"],
                                 size=s["frame_size"], digit_size=s["digit_size"], speeds=s["speeds"],
                                 visible_every=s["visible_every"], max_step=s["max_step"], task=self.task,
                                 batch_size=s["batch_size"], with_info=with_info)
        if self.segments is None:
            return dataset
        training = split == "train" if training is None else training
        sampled = sample_segments(dataset.unbatch(), self.segments, training, seed).batch(s["batch_size"])
        # Unbatching forgets the number of batches; Keras' validation loop warns without it.
        return sampled.apply(tf.data.experimental.assert_cardinality(-(-num_clips // s["batch_size"])))

    def train(self, seed):
        """The training stream: `epochs * train_clips` new clips of the training digits."""
        return self.clips("train", seed=seed, num_clips=self.settings["epochs"] * self.settings["train_clips"])

    def validation(self, seed):
        """The held-out clips scored after each epoch (the first `validation_clips` test clips)."""
        return self.clips("test", seed=seed, num_clips=self.settings["validation_clips"])

    def test(self, seed, with_info=False):
        """The `test_clips` test clips, with each clip's info (S, V, ...) if asked."""
        return self.clips("test", seed=seed, num_clips=self.settings["test_clips"], with_info=with_info)

    def baseline(self, seed):
        """The scores of a predictor that ignores the clips (`Task.baseline`), from one epoch's training clips."""
        train = self.clips("train", seed=seed, num_clips=self.settings["train_clips"])
        return self.task.baseline(targets(train), targets(self.test(seed)))

    def sample(self, num_clips, seed):
        """`(clips, targets, info)` of `num_clips` test clips as arrays: what `explain` and `sensitivity` read."""
        check_positive_int("num_clips", num_clips)
        batches = list(self.clips("test", seed=seed, num_clips=num_clips, with_info=True))
        clips, labels = (np.concatenate([np.asarray(b[i]) for b in batches]) for i in range(2))
        info = {k: np.concatenate([np.asarray(b[2][k]) for b in batches]) for k in batches[0][2]}
        return clips, labels, info

    def source(self):
        return {"kind": "quadrant_blink", "task": self.task.name, "segments": self.segments}

    def describe(self):
        s = self.settings
        frames = f"{self.segments} of {s['frames']} frames" if self.segments else f"{s['frames']} frames"
        return (f"quadrant-blink {self.task.name}, recipe {self.recipe}: {s['epochs']} epochs of {s['train_clips']} "
                f"new clips of {frames} of {s['frame_size']}x{s['frame_size']}")


def synthetic_data(*, task="digit", recipe, segments=None, **overrides):
    """`SyntheticData` of a recipe with overrides (`epochs`, `train_clips`, ..., `seed`).

    Example:
    >>> synthetic_data(recipe="blink16_12k", segments=4).input_shape
    (4, 16, 16, 1)
    """
    return SyntheticData(task=task, recipe=recipe, settings=recipe_settings(recipe, **overrides), segments=segments)


class VideoData(RunData):
    """A user's videos: a folder of class subfolders (`layout=None`) or a published layout's folder.

    For training (`split=None`) a folder's videos are split into training
    and held-out videos (`validation_split`, seeded), and a layout's splits
    are its training split and its evaluation split; for evaluation
    (`split` given, or `evaluation=True`) every video of the folder, or the
    layout's `split`, is the test set.

    Args:
        path: the folder.
        layout: `None` or a name of `stkeras.data.layouts.LAYOUTS`.
        recipe: the recipe whose training settings the run uses.
        settings: its settings (`epochs`, `batch_size`, `frames`, `seed`).
        frame_size: the frames' height and width (the crop).
        frame_step: the step between a clip's frames.
        resize: the short side before the crop (`None`: 8/7 of the frame size).
        validation_split: the share of a folder's videos held out.
        evaluation: the whole folder (or `split`) is the test set.
        split: a layout's split to evaluate on (default: its evaluation split).
        segments: `None` (consecutive frames, `frame_step` apart) or TSN
            segments: `settings["frames"]` frames, one per segment.
    """

    def __init__(self, path, *, layout=None, recipe, settings, frame_size, frame_step=2, resize=None,
                 validation_split=0.2, evaluation=False, split=None, segments=False):
        if not isinstance(path, (str, os.PathLike)) or not os.path.isdir(path):
            raise ValueError(f"--data {path!r} is not a folder of videos.")
        self.path, self.layout, self.recipe, self.settings = os.fspath(path), layout, recipe, dict(settings)
        if layout is not None:
            check_choice("layout", layout, tuple(LAYOUTS))
        elif split is not None:
            raise ValueError(f"`split` names a split of a published layout; give `layout` too. Received: "
                             f"split={split!r}, layout=None")
        self.evaluation = evaluation or split is not None
        self.split = split or (HELD_OUT_SPLITS[layout] if layout and self.evaluation else None)
        frame_size = check_positive_int("frame_size", frame_size)
        check_positive_int("frame_step", frame_step)
        self.sampling = "segments" if segments else "dense"
        self.preprocessing = Preprocessing(frames=self.settings["frames"], frame_step=frame_step,
                                           sampling=self.sampling, resize=resize or round(frame_size * 8 / 7),
                                           crop=(frame_size, frame_size))
        self.input_shape = (self.settings["frames"], frame_size, frame_size, 3)
        self._parts = self._list(validation_split)
        self.class_names = list(self._parts["class_names"])
        self.task = Task.classification("classes", max(len(self.class_names), 2))
        held_out = len(self._parts["held_out"][0])
        self.settings.update(frame_size=frame_size, frame_step=frame_step,
                             train_clips=len(self._parts["train"][0]) or held_out, validation_clips=held_out,
                             test_clips=held_out)
        if not self.evaluation and keras.distribution.distribution() is not None:
            self._full_batches_only()
        self._datasets = {}

    def _full_batches_only(self):
        """Under a Keras distribution the pipelines drop each split's last partial batch: the counts say so."""
        batch = self.settings["batch_size"]
        for name, split in (("train_clips", "training"), ("validation_clips", "held-out")):
            if self.settings[name] < batch:
                raise ValueError(f"The {self.settings[name]} {split} videos are fewer than one global batch "
                                 f"(batch_size={batch}): under distribute='data_parallel' a partial batch is "
                                 "dropped, which would leave none. Lower the batch size or add videos.")
            self.settings[name] -= self.settings[name] % batch
        self.settings["test_clips"] = self.settings["validation_clips"]

    def _list(self, validation_split):
        """`{"train": (paths, video indexes, labels), "held_out": ..., "class_names": ...}`: listed and probed once."""
        if self.layout is None:
            paths, labels, class_names = list_class_videos(self.path)
            if self.evaluation:
                parts = [([], []), (paths, labels)]
            else:
                parts = split_files(paths, labels, validation_split=validation_split, subset="both", shuffle=True,
                                    seed=self.settings["seed"])
        elif self.evaluation:
            paths, labels, class_names = read_layout(self.layout, self.path, split=self.split)
            parts = [([], []), (paths, labels)]
        else:
            train = read_layout(self.layout, self.path, split="train")
            held = read_layout(self.layout, self.path, split=HELD_OUT_SPLITS[self.layout])
            if list(held[2]) != list(train[2]):
                raise ValueError(f"The {self.layout} splits of {self.path!r} name different classes: {len(train[2])} "
                                 f"in train, {len(held[2])} in {HELD_OUT_SPLITS[self.layout]}.")
            parts, class_names = [train[:2], held[:2]], train[2]
        probed = {}
        for name, (part_paths, part_labels) in zip(("train", "held_out"), parts):
            kept, indexes, _ = probe_videos(list(part_paths))  # each video's frame index, kept for decoding
            label_of = dict(zip(part_paths, part_labels))
            probed[name] = (kept, indexes, [label_of[p] for p in kept])
        return {**probed, "class_names": class_names}

    def _dataset(self, key, part, **options):
        if key not in self._datasets:
            paths, indexes, labels = self._parts[part]
            self._datasets[key] = build_video_dataset(
                paths, indexes, labels, self.class_names, clip_length=self.settings["frames"],
                frame_step=self.preprocessing.frame_step, sampling=self.sampling,
                image_size=self.preprocessing.crop, resize_short=self.preprocessing.short_side, **options)
        return self._datasets[key]

    def train(self, seed):
        """Every training video once per epoch, a random clip and crop of each, repeated for the epochs.

        With the recipe's `class_balance="sampling"`, an endless stream of
        videos drawn class by class, every class equally often (an epoch is
        as many clips as there are training videos).
        """
        if not self._parts["train"][0]:
            raise ValueError(f"{self.path!r} holds test videos only here (split={self.split!r}): nothing to train on.")
        balanced = self.settings.get("class_balance") == "sampling"
        return self._dataset(("train", seed, balanced), "train", batch_size=self.settings["batch_size"], shuffle=True,
                             seed=seed, training=True, balanced=balanced).repeat()

    @property
    def train_labels(self):
        """The label of every training video (for class weights)."""
        return list(self._parts["train"][2])

    def validation(self, seed=None):
        """The held-out videos' centre clips, in a fixed order."""
        return self._dataset("held_out", "held_out", batch_size=self.settings["batch_size"], shuffle=False,
                             training=False)

    def test(self, seed=None, with_info=False):
        """The held-out videos' centre clips (the test set of a run on videos)."""
        if with_info:
            raise ValueError("Videos have no per-clip info (S, V): error grids are for synthetic clips.")
        return self.validation(seed)

    def views(self, num_clips, spatial_crops, batch_size):
        """The test videos as views `(batch, num_clips * spatial_crops, frames, h, w, 3)`, in a fixed order."""
        return self._dataset(("views", num_clips, spatial_crops, batch_size), "held_out", batch_size=batch_size,
                             num_clips=num_clips, spatial_crops=spatial_crops, shuffle=False, training=False)

    @property
    def file_paths(self):
        """The test videos, in the order of `test` and `views`."""
        return list(self._parts["held_out"][0])

    def baseline(self, seed=None):
        """The majority training class's accuracy on the held-out videos (`Task.baseline`)."""
        train_labels = self._parts["train"][2] or self._parts["held_out"][2]
        return self.task.baseline(train_labels, self._parts["held_out"][2])

    def sample(self, num_clips, seed=None):
        """`(clips, labels, files)` of `num_clips` held-out videos spread evenly over their order, centre clips."""
        check_positive_int("num_clips", num_clips)
        total = len(self.file_paths)
        picked = sorted({int(i) for i in np.linspace(0, total - 1, min(num_clips, total))})
        clips, labels = [], []
        for index, (clip, label) in enumerate(self.validation().unbatch().take(picked[-1] + 1)):
            if index in picked:
                clips.append(np.asarray(clip))
                labels.append(int(label))
        return np.stack(clips), np.asarray(labels), [self.file_paths[i] for i in picked]

    def check_classes(self, class_names, owner):
        """Raises `ValueError` unless `class_names` (a model's) are these videos' classes, in the same order."""
        if class_names is not None and list(class_names) != self.class_names:
            raise ValueError(f"The classes of {owner} are not those of {self.path!r} in the same order: model "
                             f"{list(class_names)[:5]}, data {self.class_names[:5]} (first five of each; "
                             f"{len(class_names)} and {len(self.class_names)} classes).")

    def source(self):
        return {"kind": "videos", "path": self.path, "layout": self.layout}

    def describe(self):
        s, train = self.settings, len(self._parts["train"][0])
        counts = f"{train} training and {s['validation_clips']} held-out videos" if train else \
            f"{s['test_clips']} videos"
        return (f"{self.path}: {len(self.class_names)} classes, {counts}, clips of {s['frames']}x{s['frame_size']}x"
                f"{s['frame_size']}")


def video_data(path, *, layout=None, recipe, frame_size=None, frame_step=2, resize=None, validation_split=0.2,
               evaluation=False, split=None, segments=False, **overrides):
    """`VideoData` of a folder with a recipe's training settings and overrides (`epochs`, `frames`, ...).

    Example:
    >>> data = video_data("videos", recipe="blink32_3k", frames=8, frame_size=64)  # doctest: +SKIP
    """
    settings = recipe_settings(recipe, **overrides)
    return VideoData(path, layout=layout, recipe=recipe, settings=settings, frame_size=frame_size or DEFAULT_FRAME_SIZE,
                     frame_step=frame_step, resize=resize, validation_split=validation_split, evaluation=evaluation,
                     split=split, segments=segments)
