import keras
import numpy as np
import pytest

from stkeras.blocks import ResidualBottleneck
from stkeras.blocks import available_ops
from stkeras.blocks import get_op
from stkeras.layers import ConvLSTM2D
from tests.layer_checks import check_layer


def test_registry_has_the_foundation_ops():
    assert available_ops()[:4] == ("conv2d", "conv3d", "ts_conv3d", "convlstm")
    with pytest.raises(ValueError, match="Unknown op: 'conv4d'.*'conv2d', 'conv3d'"):
        get_op("conv4d")


@pytest.mark.parametrize(
    "kwargs, output_shape",
    [
        ({"op": "conv2d", "strides": 2}, (2, 4, 4, 4, 8)),
        ({"op": "conv3d", "strides": 1}, (2, 4, 8, 8, 8)),
        ({"op": "ts_conv3d", "strides": 2}, (2, 2, 4, 4, 8)),
        ({"op": "conv3d", "strides": 2, "temporal_strides": 2, "placement": "pre"}, (2, 2, 4, 4, 8)),
        ({"op": "convlstm", "strides": 2, "shortcut": "convlstm"}, (2, 4, 4, 4, 8)),
        ({"op": "convlstm", "normalization": None, "op_options": {"state_reset_period": 2}}, (2, 4, 8, 8, 8)),
        ({"op": "conv2d", "shortcut": "conv", "activation": "gelu"}, (2, 4, 8, 8, 8)),
    ],
)
def test_layer_checks(kwargs, output_shape, tmp_path):
    check_layer(
        ResidualBottleneck,
        {"filters": 8, "bottleneck_filters": 4, **kwargs},
        (2, 4, 8, 8, 3),
        output_shape,
        tmp_path,
    )


def test_identity_skip_when_shape_is_kept():
    block = ResidualBottleneck(6, 2, op="conv3d", normalization=None)
    x = np.random.default_rng(0).normal(size=(1, 3, 5, 5, 6)).astype("float32")
    block(x)
    assert block.projection is None
    # With the expand weights zeroed the residual path adds nothing.
    block.expand.kernel.assign(np.zeros(block.expand.kernel.shape))
    block.expand.bias.assign(np.zeros(block.expand.bias.shape))
    np.testing.assert_allclose(block(x), np.maximum(x, 0), atol=1e-6)


def test_projection_skip_is_a_strided_pointwise_conv():
    block = ResidualBottleneck(6, 2, op="ts_conv3d", strides=2, normalization=None)
    x = np.random.default_rng(1).normal(size=(1, 4, 6, 6, 3)).astype("float32")
    block(x)
    assert block.projection.strides == (2, 2, 2)
    block.expand.kernel.assign(np.zeros(block.expand.kernel.shape))
    block.expand.bias.assign(np.zeros(block.expand.bias.shape))
    kernel = block.projection.kernel.numpy()[0, 0, 0]
    expected = np.maximum(x[:, ::2, ::2, ::2] @ kernel + block.projection.bias.numpy(), 0)
    np.testing.assert_allclose(block(x), expected, atol=1e-5)


def test_type_a_block_has_a_convlstm_skip():
    block = ResidualBottleneck(8, 4, op="convlstm", strides=2, shortcut="convlstm")
    block(np.zeros((1, 3, 8, 8, 4), "float32"))
    assert isinstance(block.projection, ConvLSTM2D)
    assert block.projection.kernel_size == (1, 1) and block.projection.strides == (2, 2)
    assert isinstance(block.op_layer, ConvLSTM2D) and block.op_layer.kernel_size == (3, 3)


def test_op_options_reach_the_op():
    block = ResidualBottleneck(8, 4, op="convlstm", op_options={"state_reset_period": 3})
    assert block.op_layer.state_reset_period == 3


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"op": "conv4d"}, "Unknown op"),
        ({"op": "conv2d", "temporal_strides": 2}, "cannot stride in time"),
        ({"op": "convlstm", "temporal_strides": 2}, "cannot stride in time"),
        ({"shortcut": "dense"}, "shortcut"),
        ({"shortcut": "identity", "strides": 2}, "identity"),
        ({"placement": "middle"}, "placement"),
        ({"normalization": "layer"}, "normalization"),
        ({"strides": 0}, "strides"),
    ],
)
def test_bad_arguments_raise(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ResidualBottleneck(8, 4, **kwargs)


def test_identity_with_other_channels_raises_at_build():
    with pytest.raises(ValueError, match="input channels=3"):
        ResidualBottleneck(8, 4, shortcut="identity")(keras.Input((2, 8, 8, 3)))


def test_x3d_options_squeeze_excite_swish_and_an_unnormalized_projection(tmp_path):
    kwargs = {"filters": 8, "bottleneck_filters": 6, "op": "channelwise3d", "strides": 2, "squeeze_excitation": 4,
              "op_activation": "swish", "normalize_projection": False}
    check_layer(ResidualBottleneck, kwargs, (2, 4, 8, 8, 3), (2, 4, 4, 4, 8), tmp_path)
    block = ResidualBottleneck(**kwargs, normalization=None)
    x = np.random.default_rng(2).normal(size=(1, 4, 8, 8, 3)).astype("float32")
    y = block(x)
    assert block.norm_projection is None and block.squeeze_excitation_layer.filters == 4
    # The residual path by hand: reduce, ReLU, op, squeeze-excitation, swish, expand; plus the projection.
    def dense(layer, v):
        return v @ layer.kernel.numpy()[0, 0, 0] + layer.bias.numpy()
    reduced = np.maximum(dense(block.reduce, x), 0)
    op = keras.ops.convert_to_numpy(block.op_layer(reduced))
    se = block.squeeze_excitation_layer
    gate = keras.ops.convert_to_numpy(se.expand(se.reduce(op.mean(axis=(1, 2, 3)))))
    excited = op * gate[:, None, None, None]
    expected = np.maximum(dense(block.expand, excited * (1 / (1 + np.exp(-excited)))) +
                          dense(block.projection, x[:, :, ::2, ::2]), 0)
    np.testing.assert_allclose(y, expected, atol=1e-5)
    assert [type(layer).__name__ for layer, _, _ in block.paths(x.shape)[0]] == [
        "FrameConv3D", "ChannelwiseConv3D", "SqueezeExcitation", "FrameConv3D"]


def test_x3d_options_are_checked():
    with pytest.raises(ValueError, match="`squeeze_excitation` must be.*squeeze_excitation=0"):
        ResidualBottleneck(8, 4, squeeze_excitation=0)
    with pytest.raises(ValueError, match="`op_activation` must be None, an activation's name.*op_activation='bogus'"):
        ResidualBottleneck(8, 4, op_activation="bogus")
    with pytest.raises(TypeError, match="`normalize_projection` must be True or False.*normalize_projection=1"):
        ResidualBottleneck(8, 4, normalize_projection=1)
