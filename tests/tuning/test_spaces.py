import pathlib
import re

import keras
import keras_tuner
import pytest

from stkeras.models import build_video_resnet
from stkeras.tuning import SPACES
from stkeras.tuning import CourtneyHyperModel
from stkeras.tuning import FrameModelHyperModel
from stkeras.tuning import VideoResNetHyperModel
from stkeras.tuning import searchable_ops

CLIP = (4, 16, 16, 1)
SMALL = {
    "courtney": dict(input_shape=CLIP, width_multipliers=(0.25,)),
    "video_resnet": dict(input_shape=CLIP, width_multipliers=(0.125,)),
    "heads": dict(input_shape=CLIP, width_multipliers=(0.25,), heads=("mlp", "lstm", "fcn3d")),
}


def _point(**values):
    hp = keras_tuner.HyperParameters()
    for name, value in values.items():
        hp.Fixed(name, value)
    return hp


def _whole_space(hypermodel, tmp_path):
    """Every hyperparameter keras-tuner finds in the space (it activates every conditional scope)."""
    tuner = keras_tuner.RandomSearch(hypermodel, objective=hypermodel.objective, max_trials=1,
                                     directory=str(tmp_path), overwrite=True)
    return tuner.oracle.get_space()


@pytest.mark.parametrize("space", list(SPACES))
def test_the_default_point_of_every_space_builds_and_trains(space):
    hypermodel = SPACES[space](**SMALL[space], total_steps=2)
    model = hypermodel.build(keras_tuner.HyperParameters())
    assert model.optimizer is not None and model.output.shape == (None, 10)
    x = keras.random.uniform((2, *CLIP), seed=0)
    history = model.fit(x, keras.ops.convert_to_tensor([1, 2]), epochs=1, verbose=0)
    assert history.history["loss"][0] > 0


def test_conditional_hyperparameters_follow_the_op_registry(tmp_path):
    hypermodel = CourtneyHyperModel(**SMALL["courtney"])
    hp = _point(first_temporal_stage=3, res3_op="convlstm", res4_op="conv3d")
    model = hypermodel.build(hp)
    active = {name for name in hp.values if hp.is_active(name)}
    # Stages 1-2 are per frame, res3's ConvLSTM has no temporal kernel or stride, res4's Conv3D has both.
    assert not any(name.startswith(("res1_", "res2_")) for name in active)
    assert "res3_op" in active and not {"res3_temporal_kernel", "res3_temporal_stride"} & active
    assert {"res4_temporal_kernel", "res4_temporal_stride"} <= active
    assert model.get_layer("res1_1").op == "conv2d" and model.get_layer("res3_1").op == "convlstm"
    # Only the 2D network with a temporal head: no stage hyperparameter at all.
    hp = _point(first_temporal_stage=5)
    hypermodel.build(hp)
    assert not any(name.startswith("res") and hp.is_active(name) for name in hp.values)
    space = {p.name: p for p in _whole_space(hypermodel, tmp_path).space}
    assert set(space["res2_op"].values) == set(searchable_ops())
    assert [c.values for c in space["res2_temporal_stride"].conditions][-1] == [
        op for op in searchable_ops() if op not in ("conv2d", "convlstm")]


# The kinds stride time by 2 in the first block of conv3_x ... conv5_x where the op can.
STRIDED = {f"conv{i}_x_temporal_stride": 2 for i in (3, 4, 5)}


@pytest.mark.parametrize("kind, point", [
    ("r3d", dict(first_temporal_stage=1, **STRIDED)),
    ("mc3", dict(first_temporal_stage=1, conv3_x_op="conv2d", conv4_x_op="conv2d", conv5_x_op="conv2d")),
    ("rmc3", dict(first_temporal_stage=3, **STRIDED)),
    ("f_r2d", dict(first_temporal_stage=6)),
])
def test_tran_kinds_are_points_of_the_video_resnet_space(kind, point):
    hypermodel = VideoResNetHyperModel(input_shape=(8, 32, 32, 1), width_multipliers=(1.0,))
    searched = hypermodel.build(_point(head="pool", **point))
    paper = build_video_resnet(kind=kind, depth=10, input_shape=(8, 32, 32, 1), num_classes=10)
    shapes = lambda m: [tuple(w.shape) for w in m.weights]  # noqa: E731
    assert shapes(searched) == shapes(paper)
    assert searched.get_layer("conv5_1").output.shape == paper.get_layer("conv5_1").output.shape


def test_an_architecture_that_cannot_exist_fails_the_trial_before_any_layer(monkeypatch):
    import stkeras.models.courtney as courtney

    built = []
    original = courtney.ResidualBottleneck
    monkeypatch.setattr(courtney, "ResidualBottleneck", lambda *a, **k: built.append(k) or original(*a, **k))
    hypermodel = CourtneyHyperModel(input_shape=(2, 16, 16, 1), width_multipliers=(0.25,))
    point = _point(**{f"res{i}_temporal_stride": 2 for i in (1, 2)})  # 2 frames -> 1 -> stride 2 on 1 frame
    with pytest.raises(keras_tuner.errors.FailedTrialError, match="res2_1 .*temporal stride 2.* 1 frame"):
        hypermodel.build(point)
    assert built == []
    # One temporal stride fits: the same space builds.
    hypermodel.build(_point(res1_temporal_stride=2))


def test_an_op_asked_to_stride_in_time_that_cannot_is_refused_before_any_layer(monkeypatch):
    import stkeras.models.courtney as courtney
    from stkeras.models import build_courtney_resnet

    monkeypatch.setattr(courtney, "ResidualBottleneck", None)  # any layer construction would raise TypeError
    with pytest.raises(ValueError, match="res2_1: op 'convlstm' cannot stride in time"):
        build_courtney_resnet(op=("conv3d", "convlstm", "conv3d", "conv3d"), input_shape=CLIP,
                              temporal_strides=(1, 2, 1, 1))


@pytest.mark.parametrize("argument, value, message", [
    ("ops", ("conv3d", "warp"), "Unknown op: 'warp'"),
    ("heads", ("per_frame",), "heads"),
    ("width_multipliers", (0,), "width_multipliers"),
    ("width", "huge", "width"),
])
def test_bad_space_arguments_name_the_argument(argument, value, message):
    with pytest.raises(ValueError, match=message):
        CourtneyHyperModel(input_shape=CLIP, **{argument: value})


def test_frame_model_space_searches_width_and_head():
    hypermodel = FrameModelHyperModel(**SMALL["heads"])
    narrow = hypermodel.build(_point(head="fcn3d", feature_dim=64))
    assert narrow.get_layer("frame_backbone").layer.get_layer("stage3_conv1").filters == 32
    assert narrow.get_layer("projection").output.shape[-1] == 64


@pytest.mark.parametrize("space", list(SPACES))
def test_every_hyperparameter_is_documented_in_the_docstring_and_the_tune_guide(space, tmp_path):
    guide = (pathlib.Path(__file__).resolve().parents[2] / "docs" / "guide" / "tune.md").read_text()
    hypermodel = SPACES[space](**SMALL[space])
    names = {p.name for p in _whole_space(hypermodel, tmp_path).space}
    assert {"learning_rate", "width_multiplier", "head"} <= names
    generic = {re.sub(r"^(res\d|conv\d(_x)?)_", "{s}_", name) for name in names}
    for name in generic:
        assert name in type(hypermodel).__doc__, name
        assert f"`{name}`" in guide, name


def test_a_search_leaves_out_and_refuses_an_op_that_keeps_its_channels():
    from stkeras.tuning.stages import searchable_ops

    assert "channelwise3d" not in searchable_ops() and "conv3d" in searchable_ops()
    with pytest.raises(ValueError, match="'channelwise3d', which gives as many channels as it takes"):
        searchable_ops(["conv3d", "channelwise3d"])
