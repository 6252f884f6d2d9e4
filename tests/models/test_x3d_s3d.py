"""X3D and S3D: the peers' parameter counts, the paper's multiply-accumulates, their designs and arguments.

Training a step, saving and reloading with `safe_mode=True` are in `test_presets.py` (every preset) and
`tests/backends/test_families.py` (JAX, PyTorch); XLA in `tests/test_xla.py`; the checkpoints against
PyTorchVideo's and torchvision's own models in `test_x3d_s3d_weights.py`.
"""

import keras
import numpy as np
import pytest

from stkeras.analysis import count_flops
from stkeras.analysis import receptive_field
from stkeras.models import from_preset
from stkeras.models import get_preset
from stkeras.models.s3d import build_s3d
from stkeras.models.x3d import build_x3d

# PyTorchVideo's parameters (`sum(p.numel() for p in model.parameters())` of `pytorchvideo.models.hub.x3d_xs` ...,
# X3D-L: `create_x3d(input_clip_length=16, input_crop_size=312, depth_factor=5.0)`), torchvision's `s3d`
# (`S3D_Weights.KINETICS400_V1.meta["num_params"]`); and Feichtenhofer 2020's GFLOPs (Table 4; one "FLOP" is
# a multiply-accumulate there) at each preset's clip.
PEER_PARAMETERS = {"x3d_xs": 3794274, "x3d_s": 3794274, "x3d_m": 3794274, "x3d_l": 6153384, "s3d": 8320048}
PAPER_GFLOPS = {"x3d_xs": 0.60, "x3d_s": 1.96, "x3d_m": 4.73, "x3d_l": 18.37}


def _trainable(model):
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


@pytest.mark.parametrize("name", list(PEER_PARAMETERS))
def test_parameters_equal_the_peers_and_macs_the_papers(name):
    model = from_preset(name)
    assert _trainable(model) == PEER_PARAMETERS[name]
    if name in PAPER_GFLOPS:
        assert count_flops(model) / 1e9 == pytest.approx(PAPER_GFLOPS[name], rel=0.01)  # XS: 0.605
    preset = get_preset(name)
    assert preset.preprocessing.crop[0] >= model.input.shape[2] and len(preset.preprocessing.mean) == 3


def test_x3d_design():
    model = from_preset("x3d_s", input_shape=(13, 64, 64, 3))
    blocks = [layer for layer in model.layers if layer.name.startswith("res")]
    assert [b.name for b in blocks if b.name.endswith("_1")] == ["res2_1", "res3_1", "res4_1", "res5_1"]
    assert len(blocks) == 3 + 5 + 11 + 7
    # Squeeze-excitation on the first, third, ... block of each stage; swish after the channel-wise convolution.
    assert [b.squeeze_excitation for b in blocks[:3]] == [8, None, 8] and blocks[-1].squeeze_excitation == 32
    assert all(b.op == "channelwise3d" and b.op_layer.symmetric_padding for b in blocks)
    assert blocks[0].op_activation is keras.activations.swish and blocks[0].activation is keras.activations.relu
    # PyTorchVideo normalizes a projection only where it changes the channels: not in res2_1.
    assert blocks[0].projection is not None and blocks[0].norm_projection is None
    assert blocks[3].name == "res3_1" and blocks[3].norm_projection is not None
    assert model.get_layer("conv1_temporal").kernel.shape == (5, 1, 1, 1, 24)
    assert model.get_layer("conv1_bn").epsilon == 1e-5 and model.get_layer("conv1_bn").momentum == 0.9
    assert model.get_layer("dropout").rate == 0.5 and model.get_layer("fc1").kernel.shape == (432, 2048)
    rows = receptive_field(model)
    # The stem sees 5 frames, each of the 26 blocks 2 more.
    assert {r["name"]: r["trf"] for r in rows}["res5_7"] == 5 + 2 * 26 and all(r["srf"] is not None for r in rows)


def test_the_head_pools_windows_of_the_clip_the_model_was_built_for():
    # x3d_s is built for 160x160 (5x5 features): a 182x182 clip has 6x6, pooled in 2x2 windows as PyTorchVideo.
    assert from_preset("x3d_s", input_shape=(13, 182, 182, 3)).get_layer("fc1").output.shape == (None, 1, 2, 2, 2048)
    assert from_preset("x3d_s").get_layer("fc1").output.shape == (None, 1, 1, 1, 2048)
    assert from_preset("x3d_s", pool_size=None, input_shape=(13, 182, 182, 3)).get_layer(
        "fc1").output.shape == (None, 1, 1, 1, 2048)
    # Smaller clips than the window: all the features.
    assert from_preset("x3d_s", input_shape=(4, 64, 64, 3)).get_layer("pool5").pool_size == (4, 2, 2)


def test_s3d_design():
    model = build_s3d(input_shape=(16, 64, 64, 3))
    assert [l.name for l in model.layers if l.name.startswith("mixed") and "_" not in l.name[6:]] == [
        "mixed_3b", "mixed_3c", "mixed_4b", "mixed_4c", "mixed_4d", "mixed_4e", "mixed_4f", "mixed_5b", "mixed_5c"]
    assert model.get_layer("mixed_5c").output.shape == (None, 2, 2, 2, 1024)
    separable = model.get_layer("mixed_4b_branch1")
    assert separable.middle_filters == 208 and separable.symmetric_padding and separable.norm_momentum == 0.999
    assert model.get_layer("conv1").strides == (2, 2, 2) and model.get_layer("pool3").symmetric_padding
    assert model.get_layer("avgpool").pool_size == (2, 2, 2) and model.get_layer("dropout").rate == 0.2
    assert count_flops(model) > 0 and receptive_field(model)[-1]["srf"] is not None


def test_another_op_builds_the_same_networks():
    x3d = build_x3d(input_shape=(4, 32, 32, 3), depth_factor=1.0, op="conv2plus1d")
    assert x3d.get_layer("res2_1").op_layer.symmetric_padding
    i3d = build_s3d(input_shape=(8, 32, 32, 3), op="conv3d")  # full 3D convolutions in the Inception blocks
    assert i3d.get_layer("mixed_4b_branch1").kernel.shape == (3, 3, 3, 96, 208)


@pytest.mark.parametrize("make, message", [
    (lambda: build_x3d(width_factor=0), r"`width_factor` must be a number > 0. Received: width_factor=0"),
    (lambda: build_x3d(se_ratio=2), r"`se_ratio` must be in \[0.0, 1.0\]. Received: se_ratio=2"),
    (lambda: build_x3d(pool_size=(4, 0, 0)), r"Every entry of `pool_size` must be >= 1"),
    (lambda: build_x3d(dropout=1.0), r"`dropout` must be a number in \[0, 1\). Received: dropout=1.0"),
    (lambda: build_x3d(op="convlstm", temporal_strides=2), r"Block res2_1: op 'convlstm' cannot stride in time"),
    (lambda: build_x3d(op_options={"groups": 2}), r"Op 'channelwise3d' does not support option\(s\) 'groups'"),
    (lambda: build_x3d(weights="kinetics"), r"`weights` must be None or the path of a weights file .*"
                                            r"weights='kinetics'"),
    (lambda: build_x3d(input_shape=(4, 16, 16, 3)), r"input_shape=\(4, 16, 16, 3\) is too small for the spatial "
                                                    r"strides: res5_1"),
    (lambda: build_s3d(input_shape=(4, 64, 64, 3)), r"the temporal strides would shrink time below one frame: pool4"),
    (lambda: build_s3d(op="conv4d"), r"Unknown op: 'conv4d'"),
    (lambda: build_s3d(pool_size=2.5), r"`pool_size` must be an int or a tuple of 3 ints"),
])
def test_bad_arguments_are_named_at_build_time(make, message):
    with pytest.raises(ValueError, match=message):
        make()
