"""The training recipe of runs: schedule, clip stream, resumption on the same batches."""

import keras
import numpy as np
import pytest

from stkeras.experiments import resolve_settings
from stkeras.experiments.models import trainable_names
from stkeras.models import get_preset
from stkeras.models import list_presets
from stkeras.experiments.models import build_trainable
from stkeras.experiments.training import seed_everything
from stkeras.experiments.training import train_model
from stkeras.tasks import get_task
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
    keras.utils.clear_session()
    settings = resolve_settings("quick", **TINY)
    seed_everything(settings["seed"])
    task = get_task("digit")
    model = build_trainable(MODEL, settings, task)
    if interrupt:
        with pytest.raises(KeyboardInterrupt):
            train_model(model, settings, task, folder, MODEL, callbacks=[_StopAfterFirstEpoch()])
        return _train(folder)
    history = train_model(model, settings, task, folder, MODEL)
    return history, [w.numpy() for w in model.weights]


def test_an_interrupted_run_resumes_on_the_same_clips(tmp_path):
    straight_history, straight = _train(tmp_path / "straight")
    resumed_history, resumed = _train(tmp_path / "resumed", interrupt=True)
    assert [row["clips_seen"] for row in resumed_history] == [32, 64]
    assert [row["loss"] for row in resumed_history] == pytest.approx([row["loss"] for row in straight_history])
    for a, b in zip(straight, resumed):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_every_family_is_trainable_by_name():
    settings = resolve_settings("quick32")
    assert {get_preset(name).family for name in trainable_names()} == {preset.family for preset in list_presets()}
    for name in ("small_3d_cnn_rank1", "r2plus1d_10", "lipreading_reduced", "stdcf_r50_r3d", "frames_trn_multiscale"):
        keras.utils.clear_session()
        assert build_trainable(name, settings, "order").output.shape == (None, 6)
    assert build_trainable("r3d_10", settings, "speed").output.shape == (None, 1)
    assert build_trainable("r3d_10", settings, "digit", head="temporal_pool").get_layer("predictions")
    with pytest.raises(ValueError, match="does not take head"):
        build_trainable("lipreading", settings, "digit", head="pool")
    with pytest.raises(ValueError, match="r4d_18"):
        build_trainable("r4d_18", settings, "digit")
