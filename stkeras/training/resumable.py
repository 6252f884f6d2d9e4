"""Training that survives interruption: checkpoints each epoch, resumes on rerun."""

import csv
import json
import os

import keras

from stkeras.training.backups import EpochBackups
from stkeras.training.backups import list_backups
from stkeras.training.backups import restore_backup
from stkeras.training.data_parallel import check_full_batches
from stkeras.training.non_finite import StopOnNonFiniteLoss


def fit_resumable(model, train, epochs, directory, validation_data=None, verbose="auto", callbacks=(),
                  steps_per_epoch=None):
    """`model.fit` with a backup each epoch; rerunning it resumes where it stopped.

    With `steps_per_epoch`, `train` is one stream of batches over the whole
    training (every epoch sees new clips); a resumed run skips the batches
    of the epochs already trained, so it sees the same batches as an
    uninterrupted one.

    After each epoch `EpochBackups` writes the weights, optimizer state and
    history to `directory/backup/epoch-NNNN/`, the model to
    `directory/checkpoint.keras` and the history to
    `directory/history.csv`, each atomically: a kill at any moment, even
    while writing, leaves the last complete epoch to resume from. A rerun
    restores the newest readable backup (a corrupt one is named in a
    `CheckpointWarning` and the one before it used) and trains the epochs
    left; a finished training trains nothing more. A NaN or infinite loss
    raises `NonFiniteLossError` naming the epoch and batch, before the
    broken weights reach the backup or the checkpoint.

    Under a Keras distribution, `train` and `validation_data` must have
    full batches of a static size the devices share (`check_full_batches`);
    in a multi-process run process 0 writes the files and every process
    reads them back to resume (`stkeras.training.data_parallel`).

    Args:
        model: a compiled, built Keras model.
        train: training data (a `tf.data.Dataset` of batches).
        epochs: total number of epochs, counting those already done.
        directory: folder for the backup, checkpoint and history.
        validation_data: optional validation dataset.
        verbose: Keras' progress setting.
        callbacks: more callbacks.
        steps_per_epoch: batches per epoch of a stream (see above); `None`:
            `train` is one epoch, repeated.

    Returns:
        list of dicts, one per epoch trained so far, across runs.

    Example:
    >>> fit_resumable(model, train, epochs=5, directory="runs/conv3d")  # doctest: +SKIP
    """
    os.makedirs(directory, exist_ok=True)
    backup = os.path.join(directory, "backup")
    checkpoint = os.path.join(directory, "checkpoint.keras")
    history_path = os.path.join(directory, "history.csv")
    if not model.built:
        raise ValueError(f"`model` must be built before `fit_resumable` so that a backup can be loaded into it. "
                         f"Received: the unbuilt model {model.name!r}; call it on a batch first.")
    if keras.distribution.distribution() is not None:  # Keras shares every batch between the devices
        check_full_batches(train, "train")
        if validation_data is not None:
            check_full_batches(validation_data, "validation_data")
    history = _restore_keras_backup(model, backup, history_path) or restore_backup(model, backup)
    done = len(history)
    if done >= epochs:
        return history
    if steps_per_epoch is not None:
        train = train.skip(done * steps_per_epoch)
    backups = EpochBackups(backup, history, checkpoint=checkpoint, history_csv=history_path)
    model.fit(
        train,
        epochs=epochs,
        initial_epoch=done,
        validation_data=validation_data,
        verbose=verbose,
        steps_per_epoch=steps_per_epoch,
        shuffle=False,  # datasets come in their own order (and Keras warns otherwise)
        callbacks=[StopOnNonFiniteLoss(checkpoint=checkpoint), backups, *callbacks],
    )
    return backups.history


def _restore_keras_backup(model, backup, history_path):
    """Resumes a run folder written by stkeras before `EpochBackups` (Keras' `BackupAndRestore` layout)."""
    weights, metadata = os.path.join(backup, "latest.weights.h5"), os.path.join(backup, "training_metadata.json")
    if list_backups(backup) or not (os.path.exists(weights) and os.path.exists(metadata)):
        return []
    with open(metadata) as handle:
        done = int(json.load(handle)["epoch"])  # Keras stores the next epoch to train
    if model.optimizer is not None and not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
    model.load_weights(weights)
    return read_history(history_path)[:done]


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
