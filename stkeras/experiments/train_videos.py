"""`stkeras train --data`: train (or fine-tune) one network on a user's videos, resumably.

The run's recipe gives the optimizer, the schedule, the epochs and the
batch size; the data gives the classes and the clips, one random clip of
every training video per epoch, with the held-out videos scored after each
epoch. Writes the training's backup, checkpoint and `history.csv` (a rerun
resumes), the trained model as `model.keras` and its classes, in label
order, as `class_names.json`.
"""

import time

import keras

from stkeras.experiments.report import log
from stkeras.experiments.settings import resolve_settings
from stkeras.experiments.train import save_trained_model
from stkeras.experiments.training import seed_everything
from stkeras.experiments.training import train_model
from stkeras.experiments.video_data import save_class_names
from stkeras.experiments.video_data import training_videos
from stkeras.models.presets import from_preset
from stkeras.tasks import Task
from stkeras.training.distribute import strategy_scope
from stkeras.validation import check_positive_int


def video_run(data, *, layout=None, recipe="quick32", image_size=112, frame_step=2, validation_split=0.2,
              **overrides):
    """The settings, task and datasets of a training run on videos, resolved before any training.

    Under a Keras distribution (`--distribute data_parallel`) the datasets
    have full batches only, and the video counts of the settings are those
    the batches hold.

    Returns:
        `(settings, task, train, validation)`: the recipe's settings with
        the data's clip length and video counts, a classification task of
        the data's classes, and the two datasets.
    """
    settings = resolve_settings(recipe, **overrides)
    check_positive_int("image_size", image_size)
    train, validation = training_videos(data, layout=layout, clip_length=settings["frames"], frame_step=frame_step,
                                        image_size=image_size, batch_size=settings["batch_size"],
                                        seed=settings["seed"], validation_split=validation_split)
    settings.update(size=image_size, train_clips=len(train.file_paths), validation_clips=len(validation.file_paths),
                    test_clips=len(validation.file_paths))
    if keras.distribution.distribution() is not None:
        _full_batches_only(settings)
    task = Task.classification("classes", max(len(train.class_names), 2))
    return settings, task, train, validation


def _full_batches_only(settings):
    """Under a Keras distribution the pipelines drop each split's last partial batch: the counts say so."""
    batch = settings["batch_size"]
    for name, split in (("train_clips", "training"), ("validation_clips", "held-out")):
        if settings[name] < batch:
            raise ValueError(f"The {settings[name]} {split} videos are fewer than one global batch (batch_size="
                             f"{batch}): under distribute='data_parallel' a partial batch is dropped, which would "
                             "leave none. Lower the batch size or add videos.")
        settings[name] -= settings[name] % batch
    settings["test_clips"] = settings["validation_clips"]


def build_video_model(name, settings, task, *, weights=None, frozen_stages=None, head=None):
    """A preset at the run's clip shape (RGB) for the data's classes, optionally from a checkpoint.

    Args:
        name: a preset name.
        settings: the run's settings (`video_run`).
        task: the classification task of the data's classes.
        weights: a checkpoint the preset loads (one it declares, e.g.
            torchvision's `.pth` or PyTorchVideo's `.pyth`, or a
            `.weights.h5` of this model).
        frozen_stages: stages kept frozen (video ResNets).
        head: a registered head instead of the preset's.
    """
    extra = {} if head is None else {"head": head}
    if frozen_stages is not None:
        extra["frozen_stages"] = frozen_stages
    shape = (settings["frames"], settings["size"], settings["size"], 3)
    return from_preset(name, input_shape=shape, task=task, weights=weights, **extra)


def run_train_videos(out, *, model, data, layout=None, recipe="quick32", image_size=112, frame_step=2,
                     validation_split=0.2, weights=None, frozen_stages=None, head=None, strategy=None, verbose=False,
                     tensorboard=False, **overrides):
    """Trains one preset on a user's videos and saves it as `out/model.keras`, with `out/class_names.json`.

    Args:
        out: run folder (created; a rerun resumes unfinished training).
        model: a preset name (`stkeras.models.list_presets()`).
        data: a folder of class subfolders of videos, or a published
            layout's folder (`layout`).
        layout: `None` or a name of `stkeras.data.layouts.LAYOUTS`.
        recipe: the training recipe (optimizer, schedule, epochs, batch).
        image_size: the frames' height and width.
        frame_step: the step between a clip's frames.
        validation_split: the share of a plain folder's videos held out.
        weights: a checkpoint to start from (fine-tuning: with other
            classes than the checkpoint's, the classifier starts fresh).
        frozen_stages: stages kept frozen (video ResNets).
        head: a registered head instead of the preset's.
        strategy: a `tf.distribute.Strategy`, or `None`.
        verbose: also show Keras' progress bars.
        tensorboard: also log every epoch for TensorBoard.
        **overrides: `epochs`, `frames` (the clip length), `batch_size`,
            `seed`.

    Returns:
        the training history: one dict per epoch.

    Example:
    >>> run_train_videos("runs/ft", model="r2plus1d_18", data="videos", weights="r2plus1d_18-91a641e6.pth",
    ...                  frozen_stages=4, epochs=3)  # doctest: +SKIP
    """
    settings, task, train, validation = video_run(data, layout=layout, recipe=recipe, image_size=image_size,
                                                  frame_step=frame_step, validation_split=validation_split,
                                                  **overrides)
    seed_everything(settings["seed"])
    with strategy_scope(strategy):
        network = build_video_model(model, settings, task, weights=weights, frozen_stages=frozen_stages, head=head)
        log(f"stkeras train: {model} ({network.count_params():,} parameters) on {data}: "
            f"{len(train.class_names)} classes, {settings['train_clips']} training and "
            f"{settings['validation_clips']} held-out videos, clips of {settings['frames']}x{image_size}x{image_size}, "
            f"{settings['epochs']} epochs" + (f", from {weights}" if weights else ""))
        start = time.perf_counter()
        history = train_model(network, settings, task, out, model, verbose, train_data=train.repeat(),
                              validation_data=validation, tensorboard=tensorboard)
    save_class_names(out, train.class_names)
    save_trained_model(network, out, model, history, start)
    return history
