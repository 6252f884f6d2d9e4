"""Grad-CAM for video models (stkeras.explain): maps, layer choice per family, localization score (the
`stkeras explain` command is tested with the other commands, in tests/test_cli.py and tests/test_video_commands.py)."""

import keras
import numpy as np
import pytest

from stkeras.data import evidence_masks
from stkeras.data import quadrant_blink
from stkeras.explain import feature_layer
from stkeras.explain import gradcam
from stkeras.explain import localization_score
from stkeras.models import build_courtney_resnet
from stkeras.models import build_frame_model
from stkeras.models import build_small_3d_cnn
from stkeras.models import build_stdcf_resnet
from stkeras.models import build_video_resnet

SHAPE = (8, 16, 16, 1)
ROWS, COLS = slice(2, 8), slice(4, 12)  # the region the hand-built models read


class RegionGate(keras.layers.Layer):
    """Zeroes every pixel outside a fixed box (test-only)."""

    def call(self, inputs):
        mask = np.zeros(inputs.shape[1:], "float32")
        mask[:, ROWS, COLS] = 1.0
        return inputs * mask


def region_model(gate_first):
    """A classifier whose output depends only on the box: gated before or after its feature layer."""
    clips = keras.Input(SHAPE)
    x = RegionGate(name="gate")(clips) if gate_first else clips
    x = keras.layers.Conv3D(4, 1, activation="relu", name="features",
                            kernel_initializer="ones", bias_initializer="zeros")(x)
    if not gate_first:
        x = RegionGate(name="gate")(x)
    x = keras.layers.GlobalAveragePooling3D()(x)
    outputs = keras.layers.Dense(2, activation="softmax", kernel_initializer=keras.initializers.Constant(
        np.array([[-1.0, 1.0]] * 4)))(x)
    return keras.Model(clips, outputs)


def box_masks(n):
    masks = np.zeros((n,) + SHAPE[:3], bool)
    masks[:, :, ROWS, COLS] = True
    return masks


CLIPS = np.random.default_rng(0).random((3,) + SHAPE).astype("float32")
CHANCE = (6 * 8) / (16 * 16)


@pytest.mark.parametrize("method,weighting", [("gradcam", "global"), ("gradcam", "per_frame"),
                                              ("gradcam++", "global"), ("saliency", "global")])
def test_maps_sit_on_the_region_the_output_reads(method, weighting):
    maps = gradcam(region_model(gate_first=True), CLIPS, method=method, weighting=weighting, target=1)
    assert maps.shape == (3,) + SHAPE[:3] and maps.min() >= 0 and maps.max() <= 1
    result = localization_score(maps, box_masks(3))
    assert result["chance"] == pytest.approx(CHANCE)
    assert result["score"] > 0.99


def test_score_tells_a_map_that_misses_the_region():
    # Gated after the feature layer: its features are active everywhere, so Grad-CAM on them (gradients
    # averaged into channel weights) spreads over the whole frame; on the gate's output (the automatic
    # choice, the last spatiotemporal layer) and with saliency (input gradients) it does not.
    model = region_model(gate_first=False)
    spread = localization_score(gradcam(model, CLIPS, target=1, layer="features"), box_masks(3))
    assert spread["score"] < 2 * CHANCE
    assert localization_score(gradcam(model, CLIPS, target=1), box_masks(3))["score"] > 0.99
    assert localization_score(gradcam(model, CLIPS, method="saliency", target=1), box_masks(3))["score"] > 0.99


def test_localization_score_of_known_maps():
    masks = box_masks(2)
    masks[:, 1] = False  # a frame without evidence is left out
    assert localization_score(masks.astype(float), masks)["score"] == pytest.approx(1.0)
    uniform = localization_score(np.ones(masks.shape), masks)
    assert uniform["score"] == pytest.approx(CHANCE)
    assert uniform["frames_score"] == pytest.approx(uniform["frames_chance"]) == pytest.approx(7 / 8)
    off = np.zeros(masks.shape)
    off[:, 1] = 1.0  # mass only on the frame without evidence
    result = localization_score(off, masks)
    assert np.isnan(result["scores"]).all() and result["frames_score"] == 0
    with pytest.raises(ValueError, match="maps"):
        localization_score(-np.ones(masks.shape), masks)


def test_evidence_masks_cover_every_drawn_pixel_and_only_the_visible_quadrant():
    clips, _, info = next(iter(quadrant_blink(num_clips=8, frames=12, size=32, digit_size=14, batch_size=8,
                                              with_info=True, speeds=(1, 2), visible_every=(1, 2, 3))))
    masks = evidence_masks(info, 32, 14)
    drawn = clips.numpy()[..., 0] > 0
    assert np.all(drawn <= masks)
    visible = np.asarray(info["quadrants"]) > 0
    assert np.all(masks.sum(axis=(2, 3))[visible] == 49) and not masks[~visible].any()


FAMILIES = {
    "conv2d": (lambda: build_courtney_resnet(op="conv2d", input_shape=SHAPE), "res4_4"),
    "ts_conv3d": (lambda: build_courtney_resnet(op="ts_conv3d", input_shape=(16, 16, 16, 1)), "res4_4"),
    "convlstm": (lambda: build_courtney_resnet(op="convlstm", lstm_layers=0, input_shape=SHAPE), "res4_4"),
    "p3d": (lambda: build_video_resnet(kind="p3d", depth=10, input_shape=(8, 32, 32, 1), num_classes=10),
            "conv5_1"),
    "stdcf": (lambda: build_stdcf_resnet(depth=18, input_shape=(8, 32, 32, 1), num_classes=10), "conv5_2"),
    "small_stdcf": (lambda: build_small_3d_cnn(conv="stdcf", input_shape=(8, 32, 32, 1), num_classes=10), "pool3"),
    "frames_lstm": (lambda: build_frame_model(head="lstm", input_shape=SHAPE, num_classes=10), "frame_backbone"),
    "frames_convlstm": (lambda: build_frame_model(head="convlstm", input_shape=SHAPE, num_classes=10), "projection"),
}


@pytest.mark.parametrize("family", list(FAMILIES))
def test_every_family_has_its_last_spatiotemporal_layer_explained(family):
    builder, layer = FAMILIES[family]
    model = builder()
    assert feature_layer(model)[1].name == layer
    clips = np.random.default_rng(1).random((2,) + tuple(model.inputs[0].shape[1:])).astype("float32")
    maps = gradcam(model, clips, weighting="per_frame")
    assert maps.shape == clips.shape[:4] and np.isfinite(maps).all() and 0 <= maps.min() <= maps.max() <= 1


def test_a_blocks_op_is_targeted_through_the_exposed_clone():
    model = build_courtney_resnet(op="conv3d", input_shape=SHAPE)
    clone, layer = feature_layer(model, "res3_1/op")
    assert layer.name == "res3_1_op"
    np.testing.assert_allclose(clone.predict(CLIPS, verbose=0), model.predict(CLIPS, verbose=0), atol=1e-5)
    assert gradcam(model, CLIPS, layer="res3_1/op").shape == CLIPS.shape[:4]


def test_bad_arguments_are_refused_by_name():
    model = region_model(gate_first=True)
    for kwargs, match in [({"method": "cam"}, "method"), ({"weighting": "clip"}, "weighting"),
                          ({"method": "scorecam", "weighting": "per_frame"}, "per_frame"),
                          ({"layer": "nope"}, "features"), ({"target": 5}, "target"), ({"batch_size": 0}, "batch_size")]:
        with pytest.raises(ValueError, match=match):
            gradcam(model, CLIPS, **kwargs)
    with pytest.raises(ValueError, match="clips"):
        gradcam(model, CLIPS[:, :4])
    with pytest.raises(ValueError, match="layer"):
        feature_layer(build_courtney_resnet(op="conv3d", input_shape=SHAPE), "res9_1/op")


def test_regression_output_is_explained_as_it_is():
    model = build_courtney_resnet(op="conv3d", input_shape=SHAPE, task="speed")
    assert gradcam(model, CLIPS, target=3).shape == CLIPS.shape[:4]  # target is ignored for regression
