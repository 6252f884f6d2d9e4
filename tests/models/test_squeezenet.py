"""SqueezeNet 1.1 as a frame backbone: torchvision's squeezenet1_1 feature layers, counted and pooled alike."""

import keras
import numpy as np
import pytest

from stkeras.models import build_frame_model
from stkeras.models import build_squeezenet1_1
from stkeras.models import fire_module
from stkeras.models import frame_backbones
from tests.layer_checks import check_model

# torchvision's squeezenet1_1 with 1000 classes, and its classifier (a 1x1 conv 512 -> 1000 with bias).
TORCHVISION_SQUEEZENET1_1 = 1_235_496
TORCHVISION_CLASSIFIER = 512 * 1000 + 1000


def _fire(cin, squeeze, e1, e3):
    return cin * squeeze + squeeze + squeeze * e1 + e1 + 9 * squeeze * e3 + e3


def test_parameters_are_torchvisions_features():
    by_hand = 3 * 9 * 64 + 64 + sum(_fire(*f) for f in [
        (64, 16, 64, 64), (128, 16, 64, 64), (128, 32, 128, 128), (256, 32, 128, 128),
        (256, 48, 192, 192), (384, 48, 192, 192), (384, 64, 256, 256), (512, 64, 256, 256)])
    assert by_hand == TORCHVISION_SQUEEZENET1_1 - TORCHVISION_CLASSIFIER == 722_496
    model = build_squeezenet1_1(input_shape=(224, 224, 3))
    assert model.count_params() == by_hand
    assert build_squeezenet1_1(input_shape=(224, 224, 3), simple_bypass=True).count_params() == by_hand


def test_feature_map_sizes_are_torchvisions_ceil_mode_pooling():
    # torchvision at 224x224: conv1 111, pools (ceil_mode=True) 55, 27, 13 -- the 13x13 of Köpüklü et al.
    model = build_squeezenet1_1(input_shape=(224, 224, 3))
    sizes = [model.get_layer(name).output.shape[1] for name in ("conv1", "pool1", "pool2", "pool3")]
    assert sizes == [111, 55, 27, 13] and model.output.shape == (None, 13, 13, 512)


def test_ceil_mode_pooling_matches_a_numpy_reference():
    model = build_squeezenet1_1(input_shape=(32, 32, 3))
    frame = np.random.default_rng(0).normal(size=(1, 32, 32, 3)).astype("float32")
    probe = keras.Model(model.input, [model.get_layer("conv1").output, model.get_layer("pool1").output])
    conv, pooled = (np.asarray(t)[0] for t in probe(frame))
    n = conv.shape[0]  # 15 -> ceil((15 - 3) / 2) + 1 = 7; the last window is cut at the edge
    expected = np.stack([np.stack([conv[2 * i:min(2 * i + 3, n), 2 * j:min(2 * j + 3, n)].max(axis=(0, 1))
                                   for j in range(7)]) for i in range(7)])
    assert pooled.shape == (7, 7, 64)
    np.testing.assert_allclose(pooled, expected, rtol=1e-6)


def test_simple_bypass_adds_around_fire3_5_7_9():
    model = build_squeezenet1_1(input_shape=(64, 64, 3), simple_bypass=True)
    assert [l.name for l in model.layers if isinstance(l, keras.layers.Add)] == [
        "fire3_bypass", "fire5_bypass", "fire7_bypass", "fire9_bypass"]
    x = keras.Input((8, 8, 96))
    with pytest.raises(ValueError, match="input and output channels equal.*96 input channels.*128"):
        fire_module(x, squeeze=16, expand1x1=64, expand3x3=64, bypass=True, name="fire2")


def test_too_small_frames_are_refused():
    with pytest.raises(ValueError, match=r"`input_shape` \(24, 24, 3\) is too small.*at least 25x25"):
        build_squeezenet1_1(input_shape=(24, 24, 3))


def test_frame_model_on_squeezenet_trains_saves_and_loads(tmp_path):
    assert "squeezenet1_1" in frame_backbones()
    model = build_frame_model(backbone="squeezenet1_1", head="lstm", num_segments=3, input_shape=(32, 32, 3),
                              num_classes=4, backbone_options={"simple_bypass": True})
    assert model.get_layer("frame_backbone").layer.name == "squeezenet1_1"
    assert model.get_layer("frame_backbone").output.shape == (None, 3, 1, 1, 512)
    clips = np.random.default_rng(0).uniform(size=(2, 3, 32, 32, 3)).astype("float32")
    check_model(model, clips, tmp_path)


def test_options_squeezenet_does_not_take_and_imagenet_weights_are_refused():
    with pytest.raises(ValueError, match="`backbone_options` has argument.*widths.*'squeezenet1_1'"):
        build_frame_model(backbone="squeezenet1_1", num_classes=3, backbone_options={"widths": (8,)})
    with pytest.raises(ValueError, match="No ImageNet weights ship with the 'squeezenet1_1' backbone"):
        build_frame_model(backbone="squeezenet1_1", num_classes=3, backbone_weights="imagenet")


def test_macs_are_the_convolutions_counted_by_hand():
    # 224x224: conv1 at 111x111, fire2-3 at 55x55, fire4-5 at 27x27, fire6-9 at 13x13. With torchvision's
    # classifier (13 * 13 * 512 * 1000) that is 349M, the ~0.35 GFLOPs usually quoted for squeezenet1_1.
    from stkeras.analysis import count_flops

    def fire(size, cin, squeeze, e1, e3):
        return size * size * (cin * squeeze + squeeze * e1 + 9 * squeeze * e3)

    by_hand = 111 * 111 * 9 * 3 * 64 + sum(fire(*f) for f in [
        (55, 64, 16, 64, 64), (55, 128, 16, 64, 64), (27, 128, 32, 128, 128), (27, 256, 32, 128, 128),
        (13, 256, 48, 192, 192), (13, 384, 48, 192, 192), (13, 384, 64, 256, 256), (13, 512, 64, 256, 256)])
    assert count_flops(build_squeezenet1_1(input_shape=(224, 224, 3))) == by_hand
    assert round((by_hand + 13 * 13 * 512 * 1000) / 1e9, 2) == 0.35
