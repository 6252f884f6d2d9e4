"""Training that survives interruption: checkpoints each epoch, resumes on rerun."""

import csv
import os

import keras


def fit_resumable(model, train, epochs, directory, validation_data=None, verbose="auto", callbacks=()):
    """`model.fit` with a backup each epoch; rerunning it resumes where it stopped.

    Keras' `BackupAndRestore` keeps the weights, optimizer state and epoch in
    `directory/backup` (kept after the last epoch, so that a rerun of a
    finished training trains nothing more), `ModelCheckpoint` writes
    `directory/checkpoint.keras` each epoch, and the history of every epoch,
    across runs, is appended to `directory/history.csv`.

    Args:
        model: a compiled Keras model.
        train: training data (a `tf.data.Dataset` of batches).
        epochs: total number of epochs, counting those already done.
        directory: folder for the backup, checkpoint and history.
        validation_data: optional validation dataset.
        verbose: Keras' progress setting.
        callbacks: more callbacks.

    Returns:
        list of dicts, one per epoch trained so far (from `history.csv`).

    Example:
    >>> fit_resumable(model, train, epochs=5, directory="runs/conv3d")  # doctest: +SKIP
    """
    os.makedirs(directory, exist_ok=True)
    history_path = os.path.join(directory, "history.csv")
    model.fit(
        train,
        epochs=epochs,
        validation_data=validation_data,
        verbose=verbose,
        shuffle=False,  # datasets come in their own order (and Keras warns otherwise)
        callbacks=[
            keras.callbacks.BackupAndRestore(os.path.join(directory, "backup"), delete_checkpoint=False),
            keras.callbacks.ModelCheckpoint(os.path.join(directory, "checkpoint.keras")),
            keras.callbacks.CSVLogger(history_path, append=True),
            *callbacks,
        ],
    )
    return read_history(history_path)


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
