import numpy as np
import pytest

import stkeras
from stkeras.blocks import ResidualBasic
from stkeras.blocks import ResidualBottleneck
from stkeras.models.video_resnet import DEPTHS
from stkeras.models.video_resnet import KINDS
from stkeras.models import get_preset
from stkeras.models.video_resnet import stage_ops
from tests.layer_checks import check_model

TINY = (8, 32, 32, 3)

# Tran et al. 2018, Table 1 (Kinetics, 8x112x112 clips): parameters of the
# 18-layer networks, in millions.
TRAN_TABLE = {"r2d": 11.4, "mc2": 11.4, "mc3": 11.7, "mc4": 12.7, "mc5": 16.9, "rmc2": 33.3,
              "rmc3": 33.0, "rmc4": 32.0, "rmc5": 27.9, "r3d": 33.4, "r2plus1d": 33.3}


@pytest.mark.parametrize("kind", TRAN_TABLE)
def test_parameters_match_tran_et_al(kind):
    model = stkeras.build_video_resnet(kind=kind, depth=18)
    assert abs(model.count_params() / 1e6 / TRAN_TABLE[kind] - 1) < 0.02


def test_stage_ops():
    assert stage_ops("mc2") == ("conv3d", ["conv2d"] * 4)
    assert stage_ops("mc5") == ("conv3d", ["conv3d"] * 3 + ["conv2d"])
    assert stage_ops("rmc3") == ("conv2d", ["conv2d", "conv3d", "conv3d", "conv3d"])
    assert stage_ops("r2d") == ("conv2d", ["conv2d"] * 4)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("depth", sorted(DEPTHS))
def test_every_kind_and_depth_builds_and_trains_one_step(kind, depth):
    model = stkeras.build_video_resnet(kind=kind, depth=depth, input_shape=TINY, num_classes=7)
    assert tuple(model.output.shape) == (None, 7)
    # Eager: tracing a train step takes ~10 s per model; the traced path of
    # each op and block is trained in test_tiny_models_train_and_round_trip.
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", run_eagerly=True)
    x = np.random.default_rng(0).uniform(size=(1, *TINY)).astype("float32")
    assert np.isfinite(model.train_on_batch(x, np.array([3])))
    blocks = [l for l in model.layers if isinstance(l, (ResidualBasic, ResidualBottleneck))]
    assert len(blocks) == sum(DEPTHS[depth][1])
    assert all(isinstance(b, ResidualBasic if depth < 50 else ResidualBottleneck) for b in blocks)
    last = model.get_layer(blocks[-1].name).output.shape
    assert last[-1] == (512 if depth < 50 else 2048) and last[2] == 2
    _, ops = stage_ops(kind)
    three_d = sum(op != "conv2d" for op in ops[1:])  # stages 3-5 downsample
    assert last[1] == 8 // 2 ** three_d


def test_p3d_cycles_a_b_c_after_a_2d_stem():
    model = stkeras.build_video_resnet(kind="p3d", depth=18, input_shape=TINY)
    ops = [l.op for l in model.layers if isinstance(l, ResidualBasic)]
    assert ops == ["p3d_a", "p3d_b", "p3d_c"] * 2 + ["p3d_a", "p3d_b"]
    # "P3D starts with 2D convs then uses the proposed version" (Tran et al. 2018).
    assert model.get_layer("conv1").kernel_size == (1, 7, 7)
    assert stkeras.build_video_resnet(kind="r3d", depth=10, input_shape=TINY).get_layer("conv1").kernel_size == (
        3, 7, 7)


def test_p3d_bottleneck_blocks_below_depth_50():
    model = stkeras.build_video_resnet(kind="p3d", depth=18, block="bottleneck", input_shape=TINY, num_classes=3)
    blocks = [l for l in model.layers if isinstance(l, (ResidualBasic, ResidualBottleneck))]
    assert len(blocks) == 8 and all(isinstance(b, ResidualBottleneck) for b in blocks)
    assert [b.op for b in blocks[:3]] == ["p3d_a", "p3d_b", "p3d_c"] and blocks[-1].filters == 2048
    with pytest.raises(ValueError, match="Unknown `block`: 'wide'"):
        stkeras.build_video_resnet(kind="p3d", depth=18, block="wide", input_shape=TINY)


@pytest.mark.parametrize("kind, depth", [("r2plus1d", 10), ("p3d", 10), ("mc3", 10), ("r2d", 10), ("rmc4", 10),
                                         ("r3d", 50)])
def test_tiny_models_train_and_round_trip(kind, depth, tmp_path):
    model = stkeras.build_video_resnet(kind=kind, depth=depth, input_shape=TINY, num_classes=3)
    x = np.random.default_rng(0).uniform(size=(2, *TINY)).astype("float32")
    check_model(model, x, tmp_path)


def test_presets_are_argument_sets():
    assert get_preset("r2plus1d_18").arguments == {"kind": "r2plus1d", "depth": 18}
    assert stkeras.from_preset("r3d_10", input_shape=TINY).name == "r3d_10"


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"kind": "r4d", "depth": 18}, "Unknown `kind`: 'r4d'"),
        ({"kind": "r3d", "depth": 19}, "Unknown `depth`: 19.*10, 18, 34, 50"),
        ({"kind": "r3d", "num_classes": 5, "task": "digit"}, "not both"),
        ({"kind": "r3d", "depth": 18, "input_shape": (4, 112, 112, 3)}, "shrink time below one frame"),
        ({"kind": "r2d", "depth": 18, "input_shape": (4, 8, 8, 3)}, "too small for the spatial strides"),
        ({"kind": "r3d", "depth": 18, "input_shape": (16, 112, 112)}, "input_shape"),
    ],
)
def test_bad_arguments_raise(kwargs, message):
    with pytest.raises(ValueError, match=message):
        stkeras.build_video_resnet(**kwargs)


def test_r2d_keeps_time():
    model = stkeras.build_video_resnet(kind="r2d", depth=10, input_shape=(4, 32, 32, 3))
    assert model.get_layer("conv5_1").output.shape[1] == 4
