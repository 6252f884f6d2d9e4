import json
import os
import pathlib
import subprocess
import sys

import keras
import numpy as np
import pytest

from stkeras.cli import main
from stkeras.training import make_strategy
from stkeras.training import strategy_scope

ROOT = pathlib.Path(__file__).resolve().parents[1]
TINY = ["--train-clips", "32", "--test-clips", "16", "--frames", "4", "--batch-size", "16", "--epochs", "1"]


def _child(*args):
    done = subprocess.run([sys.executable, "-m", "tests.replicas_check", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=600, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_two_replicas_give_the_losses_of_one():
    """Same global batch of 8 on one CPU device and on two: the same losses within 1e-5 (relative)."""
    results = json.loads(_child("models").strip().splitlines()[-1])
    assert results.pop("replicas") == 2
    assert "stateful ConvLSTM2D cannot be built under a strategy with 2 replicas" in results.pop("stateful")
    assert set(results) == {"stdcf_reconstruction", "rank1_reconstruction", "convlstm"}
    for name, losses in results.items():
        np.testing.assert_allclose(losses["two"], losses["one"], rtol=1e-5, err_msg=name)
        assert losses["one"][1] < losses["one"][0], name  # it trained


def test_train_command_on_two_replicas(tmp_path):
    out = tmp_path / "run"
    printed = _child("cli", "train", "--distribute", "mirrored", "--model", "small_3d_cnn_regular", "--task", "order",
                     "--out", str(out), *TINY)
    assert "2 replica(s)" in printed and "1 epoch(s) trained in all" in printed
    assert keras.saving.load_model(out / "model.keras", safe_mode=True).output.shape[-1] > 1


@pytest.mark.large
def test_compare_command_with_a_mirrored_strategy(tmp_path):
    assert main(["compare", "--distribute", "mirrored", "--models", "conv2d", "--out", str(tmp_path), *TINY]) == 0
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["models"]["conv2d"]["epochs_trained"] == 1


def test_strategy_arguments_are_checked():
    with pytest.raises(ValueError, match="Unknown `distribute`: 'ring'"):
        make_strategy("ring")
    assert make_strategy("none") is None
    with pytest.raises(TypeError, match="strategy="):
        strategy_scope("mirrored")


def test_batch_normalization_is_synchronized_over_two_replicas():
    """Global batch of 8 on one CPU device and on two, one SGD step (lr 0.01): the loss after it within 2%
    and the step's gradient within 2% (relative norm), for the ConvLSTM ResNet, Conv3D and STDCF models;
    with per-replica statistics (the control) every gradient is more than 10% off."""
    results = json.loads(_child("batch_norm").strip().splitlines()[-1])
    assert results.pop("replicas") == 2
    assert set(results) == {"convlstm_resnet", "conv3d_lstm", "stdcf_3d_cnn"}
    for name, result in results.items():
        (before, after), (synced_before, synced_after) = result["one"], result["synchronized"]
        np.testing.assert_allclose(synced_before, before, rtol=1e-4, err_msg=name)
        np.testing.assert_allclose(synced_after, after, rtol=0.02, err_msg=name)
        assert result["gradient_synchronized"] < 0.02, name
        assert result["gradient_per_replica"] > 0.1, name
    per_replica_after = results["convlstm_resnet"]["per_replica"][1]
    assert abs(per_replica_after - results["convlstm_resnet"]["one"][1]) > 0.02 * results["convlstm_resnet"]["one"][1]
