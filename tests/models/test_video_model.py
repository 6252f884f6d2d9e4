"""Backbones expose named stages; a block's op can be read as its own graph node."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import stkeras
from stkeras.models import VideoModel
from stkeras.models import block_names
from stkeras.models import build_courtney_backbone
from stkeras.models import expose_ops
from stkeras.models import find_layer


def test_backbone_stages_and_head_share_layers(tmp_path):
    backbone = build_courtney_backbone(op="conv3d", input_shape=(4, 16, 16, 1))
    assert list(backbone.stage_outputs) == ["res1_1", "res2_1", "res3_2", "res4_4"]
    assert backbone.stage_outputs["res3_2"].shape == (None, 4, 2, 2, 64)
    model = backbone.with_head("lstm", task="digit", units=8, layers=1)
    assert model.get_layer("res1_1") is backbone.get_layer("res1_1")
    assert isinstance(model, VideoModel) and model.stage_names == backbone.stage_names
    x = np.random.default_rng(0).uniform(size=(2, 4, 16, 16, 1)).astype("float32")
    np.testing.assert_allclose(model.get_backbone()(x), backbone(x), atol=1e-6)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert isinstance(loaded, VideoModel) and list(loaded.stage_outputs) == list(backbone.stage_outputs)
    assert loaded.feature_name == "res4_4"


def test_unknown_stage_names_raise():
    inputs = keras.Input((4, 8, 8, 1))
    with pytest.raises(ValueError, match="nope"):
        VideoModel(inputs, keras.layers.Conv3D(2, 1)(inputs), stage_names=["nope"])


@pytest.mark.parametrize(
    "builder, block",
    [
        (lambda: stkeras.build_conv3d_lstm(input_shape=(4, 16, 16, 1)), "res3_1"),
        (lambda: stkeras.build_convlstm_resnet(input_shape=(4, 16, 16, 1), task="speed"), "res2_1"),
        (lambda: stkeras.build_video_resnet(kind="r2plus1d", depth=10, input_shape=(8, 32, 32, 3),
                                            num_classes=3), "conv4_1"),
    ],
)
def test_expose_ops_reads_the_op_activation(builder, block):
    model = builder()
    exposed = expose_ops(model)
    assert set(block_names(model)) <= {layer.name for layer in exposed.layers}
    x = np.random.default_rng(1).uniform(size=(2, *model.input.shape[1:])).astype("float32")
    np.testing.assert_allclose(exposed(x), model(x), atol=1e-5)

    reader = keras.Model(exposed.input, [exposed.get_layer(f"{block}_op").output, exposed.output])
    activation, _ = reader(x)
    # Independently: the block's input, then the block's own layers up to its op.
    block_layer = model.get_layer(block)
    block_input = keras.Model(model.input, block_layer.input)(x)
    op_inputs, _ = block_layer.call_before_op(block_input)
    np.testing.assert_allclose(activation, block_layer.op_layer(op_inputs), atol=1e-5)

    # The op's output is on the path to the outputs: Grad-CAM can use it. One
    # output only: the sum of a softmax's outputs is 1, whose gradient is 0.
    with tf.GradientTape() as tape:
        activation, outputs = reader(x)
        score = tf.reduce_sum(outputs[:, 0])
    gradient = tape.gradient(score, activation)
    assert gradient is not None and float(tf.reduce_max(tf.abs(gradient))) > 0


def test_find_layer_paths():
    model = stkeras.build_video_resnet(kind="p3d", depth=10, block="basic", input_shape=(8, 32, 32, 3),
                                       num_classes=3)
    assert find_layer(model, "conv3_1/op2") is model.get_layer("conv3_1").op_layer
    assert find_layer(model, "conv3_1/op2/temporal").kernel_size == (3, 1, 1)
    with pytest.raises(ValueError, match="no sub-layer 'op3'.*op1, op2"):
        find_layer(model, "conv3_1/op3")
    with pytest.raises(ValueError, match="`blocks` must name residual blocks"):
        expose_ops(model, ["pool"])
