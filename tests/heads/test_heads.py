"""The head registry: every head alone, refusals, a user's choice of head and a user's own head in builders."""

import keras
import numpy as np
import pytest

import stkeras
from stkeras.heads import available_heads
from stkeras.heads import build_head
from stkeras.heads import get_head
from stkeras.heads import register_head
from stkeras.heads.registry import HEADS
from stkeras.tasks import Task
from tests.layer_checks import check_model

FEATURES = (6, 4, 4, 8)
OUTPUTS = {"pool": (10,), "temporal_pool": (10,), "per_frame": (6, 10), "lstm": (10,)}


@pytest.mark.parametrize("head", ["pool", "temporal_pool", "per_frame", "lstm"])
def test_every_head_alone(head, tmp_path):
    model = build_head(head, input_shape=FEATURES, task="digit")
    assert tuple(model.output.shape[1:]) == OUTPUTS[head]
    assert model.get_layer("predictions").activation is keras.activations.softmax
    x = np.random.default_rng(0).normal(size=(2, *FEATURES)).astype("float32")
    check_model(model, x, tmp_path)


def test_head_options_and_task_shape_the_output():
    lstm = build_head("lstm", input_shape=FEATURES, task="speed", layers=1, units=5, dropout=0.2, per_frame=True)
    assert lstm.output.shape == (None, 6, 1) and lstm.get_layer("lstm").units == 5
    assert lstm.get_layer("predictions").activation is keras.activations.linear
    logits = build_head("pool", input_shape=FEATURES, task=Task.classification("k", 7, activation=None))
    assert logits.output.shape == (None, 7)
    mean = build_head("temporal_pool", input_shape=FEATURES, task="order", mode="mean")
    x = np.random.default_rng(1).normal(size=(1, *FEATURES)).astype("float32")
    pooled = keras.Model(mean.input, mean.get_layer("temporal_pool").output)(x)
    np.testing.assert_allclose(pooled, x.mean(axis=(2, 3)).mean(axis=1), atol=1e-5)


@pytest.mark.parametrize(
    "head, options, error, message",
    [
        ("lstm", {"state_reset_period": 2}, ValueError, "'lstm' does not support option.*layers, per_frame"),
        ("pool", {"dropout": 1.5}, ValueError, "`dropout` must be a number in \\[0, 1\\)"),
        ("temporal_pool", {"mode": "first"}, ValueError, "Unknown `mode`: 'first'"),
        ("lstm", {"units": 0}, ValueError, "`units` must be an int >= 1"),
        ("transformer", {}, ValueError, "Unknown head: 'transformer'. Available heads: 'pool'"),
    ],
)
def test_bad_heads_and_options_raise(head, options, error, message):
    with pytest.raises(error, match=message):
        build_head(head, input_shape=FEATURES, task="digit", **options)


def test_head_refuses_features_of_the_wrong_rank():
    with pytest.raises(ValueError, match="reads clips features of rank 5.*\\(None, 8\\)"):
        get_head("pool").apply(keras.Input((8,)), task="digit")


def test_user_chosen_head_in_a_builder(tmp_path):
    model = stkeras.build_conv2d_lstm(input_shape=(4, 16, 16, 1), head="pool", head_options={"dropout": 0.1})
    assert "lstm1" not in [layer.name for layer in model.layers]
    assert model.get_layer("pool") is not None and model.output.shape == (None, 10)
    paper = stkeras.build_conv2d_lstm(input_shape=(4, 16, 16, 1))
    # Only the head differs: the backbone's parameters are the same.
    assert model.get_backbone().count_params() == paper.get_backbone().count_params()
    check_model(model, np.random.default_rng(2).uniform(size=(2, 4, 16, 16, 1)).astype("float32"), tmp_path)


def _max_then_dense(features, *, task, output_name, prefix="", hidden=8):
    x = keras.layers.GlobalMaxPooling3D(name=f"{prefix}max")(features)
    x = keras.layers.Dense(hidden, activation="relu", name=f"{prefix}hidden")(x)
    return keras.layers.Dense(task.units, activation=task.activation, name=output_name)(x)


@pytest.fixture
def user_head():
    """A head registered as a user would, for one test only."""
    with HEADS.temporary():
        register_head("max_then_dense")(_max_then_dense)
        yield "max_then_dense"
    assert "max_then_dense" not in available_heads()


def test_user_registered_head_on_any_backbone(tmp_path, user_head):
    assert user_head in available_heads() and get_head(user_head).options == {"hidden"}
    video = stkeras.build_video_resnet(kind="mc3", depth=10, input_shape=(4, 32, 32, 3), num_classes=5,
                                       head="max_then_dense", head_options={"hidden": 6})
    assert video.get_layer("hidden").units == 6 and video.output.shape == (None, 5)
    backbone = stkeras.models.build_courtney_backbone(op="convlstm", input_shape=(4, 16, 16, 1))
    model = backbone.with_head("max_then_dense", task="speed")
    check_model(model, np.random.default_rng(2).uniform(size=(2, 4, 16, 16, 1)).astype("float32"), tmp_path)
