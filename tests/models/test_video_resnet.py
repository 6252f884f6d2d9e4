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
TRAN_TABLE = {"r2d": 11.4, "f_r2d": 11.4, "mc2": 11.4, "mc3": 11.7, "mc4": 12.7, "mc5": 16.9, "rmc2": 33.3,
              "rmc3": 33.0, "rmc4": 32.0, "rmc5": 27.9, "r3d": 33.4, "r2plus1d": 33.3}


@pytest.mark.parametrize("kind", TRAN_TABLE)
def test_parameters_match_tran_et_al(kind):
    model = stkeras.build_video_resnet(kind=kind, depth=18, input_shape=(8, 112, 112, 3))
    assert abs(model.count_params() / 1e6 / TRAN_TABLE[kind] - 1) < 0.02


def test_stage_ops():
    assert stage_ops("mc2") == ("conv3d", ["conv2d"] * 4)
    assert stage_ops("mc5") == ("conv3d", ["conv3d"] * 3 + ["conv2d"])
    assert stage_ops("rmc3") == ("conv2d", ["conv2d", "conv3d", "conv3d", "conv3d"])
    assert stage_ops("r2d") == ("conv2d", ["conv2d"] * 4)
    assert stage_ops("f_r2d") == ("conv2d", ["conv2d"] * 4)


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
    bottleneck = depth == 50 or kind == "p3d"
    assert all(isinstance(b, ResidualBottleneck if bottleneck else ResidualBasic) for b in blocks)
    last = model.get_layer(blocks[-1].name).output.shape
    assert last[-1] == (2048 if bottleneck else 512) and last[2] == 2
    _, ops = stage_ops(kind)
    three_d = sum(op != "conv2d" for op in ops[1:])  # stages 3-5 downsample
    assert last[1] == (1 if kind == "r2d" else 8 // 2 ** three_d)  # R2D folds the frames into channels


def test_p3d_cycles_a_b_c_after_a_2d_stem():
    model = stkeras.build_video_resnet(kind="p3d", depth=18, input_shape=TINY)
    ops = [l.op for l in model.layers if isinstance(l, ResidualBottleneck)]
    assert ops == ["p3d_a", "p3d_b", "p3d_c"] * 2 + ["p3d_a", "p3d_b"]
    # "P3D starts with 2D convs then uses the proposed version" (Tran et al. 2018).
    assert model.get_layer("conv1").kernel_size == (1, 7, 7)
    assert stkeras.build_video_resnet(kind="r3d", depth=10, input_shape=TINY).get_layer("conv1").kernel_size == (
        3, 7, 7)


@pytest.mark.parametrize("depth", [10, 18, 34])
def test_p3d_has_bottleneck_blocks_at_every_depth_and_basic_ones_on_request(depth):
    # Qiu et al. 2017 adapt the bottleneck block of the 2D ResNet; `block=` still overrides.
    model = stkeras.build_video_resnet(kind="p3d", depth=depth, input_shape=TINY, num_classes=3)
    blocks = [l for l in model.layers if isinstance(l, (ResidualBasic, ResidualBottleneck))]
    assert len(blocks) == sum(DEPTHS[depth][1]) and all(isinstance(b, ResidualBottleneck) for b in blocks)
    assert [b.op for b in blocks[:3]] == ["p3d_a", "p3d_b", "p3d_c"][:len(blocks[:3])]
    assert blocks[-1].filters == 2048
    basic = stkeras.build_video_resnet(kind="p3d", depth=depth, block="basic", input_shape=TINY, num_classes=3)
    blocks = [l for l in basic.layers if isinstance(l, (ResidualBasic, ResidualBottleneck))]
    assert all(isinstance(b, ResidualBasic) for b in blocks) and blocks[-1].filters == 512


def _p3d_parameters_by_hand(blocks, classes=400):
    """Qiu et al.'s P3D bottleneck (their reference code): 1x1x1 to `p`, 1x3x3 and 3x1x1 at `p`, 1x1x1 to
    `4p`, each with batch norm (Keras counts its 4 weights per channel), projection at each stage's first block.
    P3D-B (every third block) sums its spatial and temporal convolutions before one batch norm here, where
    the reference code normalizes the spatial one apart: `p` fewer channels of batch norm."""
    bn = 4
    total, cin, index = 3 * 7 * 7 * 64 + bn * 64, 64, 0
    for planes, count in zip((64, 128, 256, 512), blocks):
        for j in range(count):
            total += cin * planes + 9 * planes ** 2 + 3 * planes ** 2 + 4 * planes ** 2
            total += bn * (planes * (2 if index % 3 == 1 else 3) + 4 * planes)
            if j == 0:
                total += cin * 4 * planes + bn * 4 * planes
            cin, index = 4 * planes, index + 1
    return total + cin * classes + classes


def test_p3d_18_parameters_match_the_bottleneck_counted_by_hand():
    model = stkeras.build_video_resnet(kind="p3d", depth=18)
    assert model.count_params() == _p3d_parameters_by_hand((2, 2, 2, 2)) == 16_889_936


def test_unknown_block_is_refused():
    with pytest.raises(ValueError, match="Unknown `block`: 'wide'"):
        stkeras.build_video_resnet(kind="p3d", depth=18, block="wide", input_shape=TINY)


@pytest.mark.parametrize("kind, depth", [("r2plus1d", 10), ("p3d", 10), ("mc3", 10), ("r2d", 10), ("f_r2d", 10),
                                         ("rmc4", 10),
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


def test_f_r2d_keeps_time_and_r2d_folds_it_into_conv1s_channels():
    frame_wise = stkeras.build_video_resnet(kind="f_r2d", depth=10, input_shape=(4, 32, 32, 3))
    assert frame_wise.get_layer("conv5_1").output.shape[1] == 4
    assert frame_wise.get_layer("conv1").kernel.shape == (1, 7, 7, 3, 64)
    folded = stkeras.build_video_resnet(kind="r2d", depth=10, input_shape=(4, 32, 32, 3))
    assert folded.get_layer("conv1").kernel.shape == (1, 7, 7, 12, 64)  # 3L x 7 x 7 for L = 4
    assert folded.get_layer("conv1").output.shape == (None, 1, 16, 16, 64)
    assert folded.get_layer("conv5_1").output.shape[1] == 1


# torchvision's resnet18 (1000 classes): its parameters, batch norm's moving statistics excluded.
TORCHVISION_RESNET18 = 11_689_512


def _trainable(model):
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


@pytest.mark.parametrize("frames", [8, 16])
def test_r2d_18_is_a_2d_resnet_18_with_3l_input_channels(frames):
    # f-R2D-18 is torchvision's resnet18 on every frame; R2D-18 differs only in conv1: 3L x 64 x 7 x 7.
    shape = (frames, 112, 112, 3)
    frame_wise = stkeras.build_video_resnet(kind="f_r2d", depth=18, input_shape=shape, num_classes=1000)
    folded = stkeras.build_video_resnet(kind="r2d", depth=18, input_shape=shape, num_classes=1000)
    assert _trainable(frame_wise) == TORCHVISION_RESNET18
    assert _trainable(folded) == TORCHVISION_RESNET18 + (3 * frames - 3) * 64 * 7 * 7
