"""Per-epoch training backups that survive a kill at any moment, and their restoration."""

import csv
import io
import json
import os
import re
import shutil
import warnings

import keras

from stkeras.atomic_files import atomic_path
from stkeras.atomic_files import save_model_atomically
from stkeras.atomic_files import write_text_atomically

_EPOCH_FOLDER = re.compile(r"^epoch-(\d+)$")
_WEIGHTS = "state.weights.h5"
_STATE = "state.json"


class CheckpointWarning(UserWarning):
    """A backup could not be read; an earlier one (or a fresh start) is used instead."""


class EpochBackups(keras.callbacks.Callback):
    """After each epoch, writes the training state to `directory/epoch-NNNN/`, atomically.

    A backup holds the weights with the optimizer's state (`state.weights.h5`)
    and the epochs done with the history of every epoch so far
    (`state.json`). It is written in a temporary folder and renamed into
    place, so a kill while writing leaves the previous backups intact; the
    last `keep` are kept, so that a backup damaged later (a full disk, a
    copy cut short) still leaves one to fall back on. The optional
    `checkpoint` model and `history_csv` are written (atomically) before the
    backup, so a backup never claims an epoch they lack.

    Args:
        directory: the backups' folder.
        history: rows of the epochs already done (from `restore_backup`).
        keep: backups kept, at least 1.
        checkpoint: path of a `.keras` model written each epoch, or `None`.
        history_csv: path of a CSV of the history written each epoch, or `None`.

    Example:
    >>> model.fit(data, epochs=5, callbacks=[EpochBackups("runs/x/backup")])  # doctest: +SKIP
    """

    def __init__(self, directory, history=(), keep=2, checkpoint=None, history_csv=None):
        super().__init__()
        if not isinstance(keep, int) or keep < 1:
            raise ValueError(f"`keep` must be a positive integer. Received: keep={keep!r}")
        self.directory, self.keep = directory, keep
        self.checkpoint, self.history_csv = checkpoint, history_csv
        self.history = [dict(row) for row in history]

    def on_epoch_end(self, epoch, logs=None):
        row = {"epoch": epoch, **{k: float(v) for k, v in (logs or {}).items() if _is_number(v)}}
        self.history = [r for r in self.history if r["epoch"] < epoch] + [row]
        if self.checkpoint:
            save_model_atomically(self.model, self.checkpoint)
        if self.history_csv:
            write_text_atomically(self.history_csv, _history_as_csv(self.history))
        with atomic_path(os.path.join(self.directory, f"epoch-{epoch + 1:04d}")) as partial:
            os.makedirs(partial)
            self.model.save_weights(os.path.join(partial, _WEIGHTS))
            with open(os.path.join(partial, _STATE), "w") as handle:
                json.dump({"epochs_done": epoch + 1, "history": self.history}, handle)
        older = []
        for done, folder in list_backups(self.directory):
            if done > epoch + 1:  # left by a run that was later resumed from an earlier backup
                shutil.rmtree(folder, ignore_errors=True)
            elif done < epoch + 1:
                older.append(folder)
        for folder in older[self.keep - 1:]:
            shutil.rmtree(folder, ignore_errors=True)


def restore_backup(model, directory):
    """Loads the newest readable backup of `EpochBackups` into `model`; returns its history.

    Backups are tried newest first. One that cannot be read (a truncated or
    corrupt weights file, a broken `state.json`, weights of another model)
    is reported with a `CheckpointWarning` naming it and the error, and the
    one before it is tried. If none can be read, the model keeps its
    initial weights and the training starts over, with a warning.

    Args:
        model: a compiled, built Keras model (its optimizer is built here).
        directory: the backups' folder.

    Returns:
        the history rows of the restored backup (`[]`: nothing restored);
        its length is the number of epochs done.

    Example:
    >>> history = restore_backup(model, "runs/conv3d/backup")  # doctest: +SKIP
    """
    backups = list_backups(directory)
    if not backups:
        return []
    if model.optimizer is not None and not model.optimizer.built:
        model.optimizer.build(model.trainable_variables)
    variables = list(model.variables) + (list(model.optimizer.variables) if model.optimizer is not None else [])
    initial = [v.numpy() for v in variables]
    for position, (done, folder) in enumerate(backups):
        try:
            with open(os.path.join(folder, _STATE)) as handle:
                state = json.load(handle)
            history = [dict(row) for row in state["history"]]
            if state["epochs_done"] != done or len(history) != done:
                raise ValueError(f"state.json says {state['epochs_done']} epochs with {len(history)} history rows")
            model.load_weights(os.path.join(folder, _WEIGHTS))
        except (OSError, ValueError, KeyError, TypeError) as error:  # h5py raises OSError on a truncated file
            fallback = (f"using the backup after epoch {backups[position + 1][0]}" if position + 1 < len(backups)
                        else "no readable backup is left, so training starts over")
            warnings.warn(f"The training backup {folder} cannot be read ({type(error).__name__}: "
                          f"{_first_line(error)}); {fallback}.", CheckpointWarning, stacklevel=2)
            continue
        return history
    for variable, value in zip(variables, initial):  # a failed load may have written part of the weights
        variable.assign(value)
    return []


def epochs_done(directory):
    """Epochs done according to the newest backup whose `state.json` reads (0 when there is none)."""
    for done, folder in list_backups(directory):
        try:
            with open(os.path.join(folder, _STATE)) as handle:
                return int(json.load(handle)["epochs_done"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return 0


def list_backups(directory):
    """(epochs done, folder) of every backup in `directory`, newest first."""
    if not os.path.isdir(directory):
        return []
    found = [(int(m.group(1)), os.path.join(directory, name))
             for name in os.listdir(directory) if (m := _EPOCH_FOLDER.match(name))]
    return sorted(found, reverse=True)


def _history_as_csv(history):
    columns = ["epoch"] + sorted({k for row in history for k in row} - {"epoch"})
    text = io.StringIO()
    writer = csv.DictWriter(text, columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(history)
    return text.getvalue()


def _is_number(value):
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def _first_line(error):
    return (str(error).strip().splitlines() or [""])[0][:300]
