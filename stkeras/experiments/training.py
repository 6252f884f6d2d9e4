"""Training one model of a run: seeds, the recipe, the clip stream, the learning curve and progress lines."""

import os
import time

import keras
import tensorflow as tf

from stkeras.experiments.data import clips
from stkeras.experiments.data import steps_per_epoch
from stkeras.experiments.report import log
from stkeras.training import compile_for_task
from stkeras.training import fit_resumable
from stkeras.training import recipe_optimizer
from stkeras.training.data_parallel import written_path


def seed_everything(seed):
    """Seeds Python, NumPy and TensorFlow and makes TensorFlow's ops deterministic.

    With it, the same command and seed give the same numbers on machines of
    the same kind (the clips are already a pure function of the seed).

    Example:
    >>> seed_everything(0)
    """
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


class ProgressLines(keras.callbacks.Callback):
    """One stkeras line per epoch: clips seen, training and held-out scores, time.

    Args:
        label: prefix of each line (the model's name).
        epochs: total epochs of the training.
        clips_per_epoch: training clips per epoch.
        metric: the task's metric, e.g. `"accuracy"`.
    """

    def __init__(self, label, epochs, clips_per_epoch, metric):
        super().__init__()
        self.label, self.epochs, self.clips_per_epoch, self.metric = label, epochs, clips_per_epoch, metric
        self.start = None

    def on_train_begin(self, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        parts = [f"loss {logs.get('loss', float('nan')):.3f}", f"{self.metric} {logs.get(self.metric, float('nan')):.3f}"]
        if f"val_{self.metric}" in logs:
            parts.append(f"held-out {self.metric} {logs[f'val_{self.metric}']:.3f}")
        log(f"    {self.label} epoch {epoch + 1}/{self.epochs}: {(epoch + 1) * self.clips_per_epoch:,} clips seen, "
            f"{', '.join(parts)}, {time.perf_counter() - self.start:.0f} s")


def train_model(model, settings, task, folder, label, verbose=False, callbacks=(), train_data=None,
                validation_data=None, tensorboard=False):
    """Compiles and trains `model` on the run's clip stream, resumably, scoring held-out clips each epoch.

    Args:
        model: an uncompiled Keras model for the task.
        settings: the run's settings (`stkeras.experiments.resolve_settings`).
        task: a `stkeras.tasks.Task`.
        folder: where the backup, checkpoint and history go.
        label: the model's name in progress lines.
        verbose: also show Keras' progress bar.
        callbacks: more Keras callbacks.
        train_data, validation_data: batched datasets instead of the run's
            quadrant-blink clips (`train_data` must hold `epochs *
            train_clips` clips).
        tensorboard: also log the losses and metrics of every epoch for
            TensorBoard, in `folder/tensorboard` (Keras' callback).

    Returns:
        the history: one dict per epoch, with `clips_seen` and the held-out
        scores as `val_*`.
    """
    steps = steps_per_epoch(settings)
    optimizer, schedule_callbacks = recipe_optimizer(settings, steps)
    compile_for_task(model, task, optimizer=optimizer)
    callbacks = [*callbacks, *schedule_callbacks]
    if tensorboard:
        callbacks = [*callbacks, keras.callbacks.TensorBoard(written_path(os.path.join(folder, "tensorboard")))]
    validation = validation_data or clips(settings, task, "test", num_clips=settings["validation_clips"])
    history = fit_resumable(
        model, train_data or clips(settings, task, "train"), settings["epochs"], folder, validation_data=validation,
        verbose=1 if verbose else 0, steps_per_epoch=steps,
        callbacks=[ProgressLines(label, settings["epochs"], settings["train_clips"], task.metric), *callbacks],
    )
    for row in history:
        row["clips_seen"] = (int(row["epoch"]) + 1) * settings["train_clips"]
    return history
