"""Training one model of a run on its `RunData`: seeds, the recipe, the clip stream, the learning curve and
progress lines."""

import os
import time

import keras
import tensorflow as tf

from stkeras.experiments.report import log
from stkeras.training import compile_for_task
from stkeras.training import fit_resumable
from stkeras.training import recipe_optimizer


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


def train_model(model, data, *, seed, folder, label, preprocessing=None, verbose=False, callbacks=(),
                tensorboard=False):
    """Compiles and trains `model` on the run's training stream, resumably, scoring held-out clips each epoch.

    Args:
        model: an uncompiled Keras model for the data's task.
        data: the run's `RunData`: its task, its recipe's optimizer and
            schedule, its training stream and held-out clips.
        seed: the seed of the clips (and of the data's shuffle).
        folder: where the backup, checkpoint and history go.
        label: the model's name in progress lines.
        preprocessing: the model's `Preprocessing`; its mean and std, if
            any, normalize the clips (`None`: the clips as they are).
        verbose: also show Keras' progress bar.
        callbacks: more Keras callbacks.
        tensorboard: also log the losses and metrics of every epoch for
            TensorBoard, in `folder/tensorboard` (Keras' callback).

    Returns:
        the history: one dict per epoch, with `clips_seen` and the held-out
        scores as `val_*`.
    """
    settings = dict(data.settings, seed=seed)
    steps = data.steps_per_epoch
    optimizer, schedule_callbacks = recipe_optimizer(settings, steps)
    compile_for_task(model, data.task, optimizer=optimizer)
    callbacks = [*callbacks, *schedule_callbacks]
    if tensorboard:
        callbacks = [*callbacks, keras.callbacks.TensorBoard(os.path.join(folder, "tensorboard"))]
    train, validation = data.train(seed), data.validation(seed)
    if preprocessing is not None:
        train, validation = preprocessing.normalized(train), preprocessing.normalized(validation)
    history = fit_resumable(
        model, train, settings["epochs"], folder, validation_data=validation, verbose=1 if verbose else 0,
        steps_per_epoch=steps,
        callbacks=[ProgressLines(label, settings["epochs"], settings["train_clips"], data.task.metric), *callbacks],
    )
    for row in history:
        row["clips_seen"] = (int(row["epoch"]) + 1) * settings["train_clips"]
    return history
