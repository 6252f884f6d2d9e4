"""Training that survives interruption: checkpoints each epoch, resumes on rerun."""

import csv
import json
import os

import keras

from stkeras.training.non_finite import StopOnNonFiniteLoss


def fit_resumable(model, train, epochs, directory, validation_data=None, verbose="auto", callbacks=(),
                  steps_per_epoch=None):
    """`model.fit` with a backup each epoch; rerunning it resumes where it stopped.

    With `steps_per_epoch`, `train` is one stream of batches over the whole
    training (every epoch sees new clips); a resumed run skips the batches
    of the epochs already trained, so it sees the same batches as an
    uninterrupted one.

    Keras' `BackupAndRestore` keeps the weights, optimizer state and epoch in
    `directory/backup` (kept after the last epoch, so that a rerun of a
    finished training trains nothing more), `ModelCheckpoint` writes
    `directory/checkpoint.keras` each epoch, and the history of every epoch,
    across runs, is appended to `directory/history.csv`. A NaN or infinite
    loss raises `NonFiniteLossError` naming the epoch and batch, before the
    broken weights reach the backup or the checkpoint.

    Args:
        model: a compiled Keras model.
        train: training data (a `tf.data.Dataset` of batches).
        epochs: total number of epochs, counting those already done.
        directory: folder for the backup, checkpoint and history.
        validation_data: optional validation dataset.
        verbose: Keras' progress setting.
        callbacks: more callbacks.
        steps_per_epoch: batches per epoch of a stream (see above); `None`:
            `train` is one epoch, repeated.

    Returns:
        list of dicts, one per epoch trained so far (from `history.csv`).

    Example:
    >>> fit_resumable(model, train, epochs=5, directory="runs/conv3d")  # doctest: +SKIP
    """
    os.makedirs(directory, exist_ok=True)
    history_path = os.path.join(directory, "history.csv")
    backup = os.path.join(directory, "backup")
    if steps_per_epoch is not None:
        train = train.skip(epochs_done(backup) * steps_per_epoch)
    model.fit(
        train,
        epochs=epochs,
        validation_data=validation_data,
        verbose=verbose,
        steps_per_epoch=steps_per_epoch,
        shuffle=False,  # datasets come in their own order (and Keras warns otherwise)
        callbacks=[
            StopOnNonFiniteLoss(checkpoint=os.path.join(directory, "checkpoint.keras")),
            keras.callbacks.BackupAndRestore(backup, delete_checkpoint=False),
            keras.callbacks.ModelCheckpoint(os.path.join(directory, "checkpoint.keras")),
            keras.callbacks.CSVLogger(history_path, append=True),
            *callbacks,
        ],
    )
    return read_history(history_path)


def epochs_done(backup_dir):
    """Epochs finished according to a `BackupAndRestore` folder (0 when there is none)."""
    path = os.path.join(backup_dir, "training_metadata.json")
    if not os.path.exists(path):
        return 0
    with open(path) as handle:
        return int(json.load(handle)["epoch"])  # Keras stores the next epoch to train


def read_history(path):
    """Rows of a `CSVLogger` file as dicts of floats (the last row per epoch)."""
    if not os.path.exists(path):
        return []
    by_epoch = {}
    with open(path, newline="") as handle:
        for row in csv.DictReader(handle):
            if row.get("epoch") in (None, "epoch"):
                continue
            by_epoch[int(row["epoch"])] = {k: float(v) for k, v in row.items() if _is_number(v)}
    return [by_epoch[e] for e in sorted(by_epoch)]


def _is_number(text):
    try:
        float(text)
    except (TypeError, ValueError):
        return False
    return True
