"""The training recipe of runs: schedule, clip stream, resumption on the same batches."""

import keras
import numpy as np
import pytest

from stkeras.experiments import synthetic_data
from stkeras.experiments import train_model
from stkeras.experiments.run_models import build_run_model
from stkeras.models import get_preset
from stkeras.models import list_presets
from stkeras.training import warmup_cosine

# The cheapest trainable network: resumption is the recipe's, not the model's.
MODEL = "small_3d_cnn_regular"
TINY = {"frames": 4, "train_clips": 32, "validation_clips": 16, "batch_size": 16, "epochs": 2}


def test_warmup_cosine_rises_then_decays_to_zero():
    schedule = warmup_cosine(1e-2, total_steps=100, warmup_fraction=0.1)
    rates = [float(schedule(step)) for step in range(101)]
    assert rates[0] == 0.0 and rates[10] == pytest.approx(1e-2)
    assert all(a <= b for a, b in zip(rates[:10], rates[1:11]))
    assert all(a >= b for a, b in zip(rates[10:], rates[11:])) and rates[100] == pytest.approx(0.0, abs=1e-9)
    with pytest.raises(ValueError, match="warmup_fraction"):
        warmup_cosine(1e-2, 100, warmup_fraction=1.5)
    with pytest.raises(ValueError, match="learning_rate"):
        warmup_cosine(-1, 100)


class _StopAfterFirstEpoch(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        if epoch == 0:
            raise KeyboardInterrupt


def _train(folder, interrupt=False):
    data = synthetic_data(recipe="blink16_12k", **TINY)
    model = build_run_model(MODEL, data, seed=data.seed, folder=folder).model
    if interrupt:
        with pytest.raises(KeyboardInterrupt):
            train_model(model, data, seed=data.seed, folder=folder, label=MODEL, callbacks=[_StopAfterFirstEpoch()])
        return _train(folder)
    history = train_model(model, data, seed=data.seed, folder=folder, label=MODEL)
    return history, [w.numpy() for w in model.weights]


def test_an_interrupted_run_resumes_on_the_same_clips(tmp_path):
    straight_history, straight = _train(tmp_path / "straight")
    resumed_history, resumed = _train(tmp_path / "resumed", interrupt=True)
    assert [row["clips_seen"] for row in resumed_history] == [32, 64]
    assert [row["loss"] for row in resumed_history] == pytest.approx([row["loss"] for row in straight_history])
    for a, b in zip(straight, resumed):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_a_run_builds_one_preset_of_each_family_at_its_clips_for_its_task():
    order, speed = (synthetic_data(task=task, recipe="blink32_3k") for task in ("order", "speed"))
    names = ("small_3d_cnn_rank1", "r2plus1d_10", "lipreading_reduced", "stdcf_r50_r3d", "frames_trn_multiscale",
             "x3d_xs", "s3d")
    assert {get_preset(name).family for name in names} == {p.family for p in list_presets()} - {"courtney",
                                                                                              "vggm_convlstm"}
    for name in names:
        model = build_run_model(name, order, seed=0, folder="unused").model
        assert model.input_shape == (None, 16, 32, 32, 1) and model.output.shape == (None, 6)
    assert build_run_model("r3d_10", speed, seed=0, folder="unused").model.output.shape == (None, 1)
    assert build_run_model("r3d_10", order, seed=0, folder="unused", head="temporal_pool").model.get_layer(
        "predictions")
    with pytest.raises(ValueError, match="does not take head"):
        build_run_model("lipreading", order, seed=0, folder="unused", head="pool")
    with pytest.raises(ValueError, match="r4d_18"):
        build_run_model("r4d_18", order, seed=0, folder="unused")
