"""Training stops loudly on a NaN loss, keeps the last good checkpoint, and resumes from it."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from stkeras.training import NonFiniteLossError
from stkeras.training import fit_resumable
from stkeras.training import read_history
from stkeras.training.backups import epochs_done

STEPS = 3


def _stream(poison_batch=None):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3 * STEPS, 8, 4)).astype("float32")
    if poison_batch is not None:
        x[poison_batch, 0, 0] = np.nan
    y = rng.normal(size=(3 * STEPS, 8, 1)).astype("float32")
    return tf.data.Dataset.from_tensor_slices((x, y))


def _model():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return model


def test_nan_loss_names_epoch_and_batch_and_keeps_the_last_good_checkpoint(tmp_path):
    model = _model()
    with pytest.raises(NonFiniteLossError, match=r"epoch 2, batch 2; training stopped\. The last good checkpoint"):
        fit_resumable(model, _stream(poison_batch=STEPS + 1), 3, tmp_path, verbose=0, steps_per_epoch=STEPS)
    assert not np.isfinite(model.get_weights()[0]).all()  # the step that failed did reach the weights ...
    checkpoint = keras.saving.load_model(tmp_path / "checkpoint.keras", safe_mode=True)
    assert all(np.isfinite(w).all() for w in checkpoint.get_weights())  # ... but not the checkpoint or backup
    assert epochs_done(tmp_path / "backup") == 1 and len(read_history(tmp_path / "history.csv")) == 1

    rerun = _model()  # a rerun on clean data resumes from the good epoch
    history = fit_resumable(rerun, _stream(), 3, tmp_path, verbose=0, steps_per_epoch=STEPS)
    assert [int(row["epoch"]) for row in history] == [0, 1, 2]
    assert all(np.isfinite(w).all() for w in rerun.get_weights())


def test_nan_in_the_first_epoch_says_there_is_no_checkpoint(tmp_path):
    with pytest.raises(NonFiniteLossError, match="epoch 1, batch 1; .*no checkpoint"):
        fit_resumable(_model(), _stream(poison_batch=0), 1, tmp_path, verbose=0, steps_per_epoch=STEPS)


def test_the_command_line_reports_a_diverged_training_and_exits_1(tmp_path, capsys, monkeypatch):
    from stkeras.cli import main
    from stkeras.experiments import fitting

    def diverge(*args, **kwargs):
        raise NonFiniteLossError("The training loss became nan at epoch 1, batch 1")

    monkeypatch.setattr(fitting, "fit_resumable", diverge)
    args = ["train", "--model", "conv2d", "--frames", "4", "--train-clips", "16", "--out", str(tmp_path)]
    assert main(args) == 1
    assert "stkeras train: training stopped: The training loss became nan at epoch 1" in capsys.readouterr().err
