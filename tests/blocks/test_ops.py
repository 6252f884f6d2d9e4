"""The op registry is the authority: every op in a block, capabilities, refusals, a user's op end to end."""

import keras
import numpy as np
import pytest

import stkeras
from stkeras.analysis import count_flops
from stkeras.analysis import layer_flops
from stkeras.analysis import receptive_field
from stkeras.blocks import ResidualBasic
from stkeras.blocks import ResidualBottleneck
from stkeras.blocks import available_ops
from stkeras.blocks import get_op
from stkeras.blocks.ops import OPS
from tests.blocks import user_ops
from tests.layer_checks import check_layer
from tests.layer_checks import check_model

ALL_OPS = (*available_ops(), "dwsep3d")


@pytest.fixture(autouse=True, scope="module")
def user_op():
    """The user's op `dwsep3d`, registered for this module's tests only."""
    with OPS.temporary():
        user_ops.register_user_op()
        yield


@pytest.mark.parametrize("strides", [1, 2])
@pytest.mark.parametrize("op", ALL_OPS)
def test_every_registered_op_in_a_block(op, strides, tmp_path):
    spec = get_op(op)
    t_out = 4 // spec.default_temporal_strides(strides)
    check_layer(
        ResidualBottleneck,
        {"filters": 8, "bottleneck_filters": 4, "op": op, "strides": strides},
        (2, 4, 8, 8, 3),
        (2, t_out, 8 // strides, 8 // strides, 8),
        tmp_path,
        mixed_precision=False,
    )


def test_user_op_is_registered_with_its_capabilities():
    assert "dwsep3d" in available_ops()
    spec = get_op("dwsep3d")
    assert spec.temporal_kernel and spec.temporal_stride and spec.options == {"depth_multiplier"}


@pytest.mark.parametrize(
    "op, kwargs, message",
    [
        ("conv2d", {"temporal_kernel_size": 3}, "'conv2d' has no temporal kernel"),
        ("convlstm", {"temporal_kernel_size": 5}, "'convlstm' has no temporal kernel"),
        ("convlstm", {"temporal_strides": 2}, "'convlstm' cannot stride in time"),
        ("conv2d", {"op_options": {"state_reset_period": 2}}, "'conv2d' does not support option.*state_reset_period"),
        ("conv3d", {"op_options": {"num_spatial_atoms": 4}}, "'conv3d' does not support option.*num_spatial_atoms"),
        ("dwsep3d", {"op_options": {"groups": 2}}, "'dwsep3d' does not support option.*depth_multiplier"),
        ("conv3d", {"temporal_kernel_size": 0}, "temporal_kernel_size"),
    ],
)
def test_ops_refuse_what_they_do_not_support(op, kwargs, message):
    with pytest.raises(ValueError, match=message):
        ResidualBottleneck(8, 4, op=op, **kwargs)
    with pytest.raises(ValueError, match=message):
        ResidualBasic(8, op=op, **kwargs)


@pytest.mark.parametrize("op_options", [-1, "3", [("a", 1)]])
def test_op_options_of_the_wrong_type_name_the_argument(op_options):
    with pytest.raises(TypeError, match="`op_options` must be a dict"):
        ResidualBottleneck(8, 4, op="convlstm", op_options=op_options)
    with pytest.raises(TypeError, match="`op_options` must be a dict"):
        stkeras.build_conv2d_lstm(op_options=op_options)


def test_temporal_kernel_reaches_the_op_and_the_receptive_field():
    block = ResidualBottleneck(8, 4, op="conv3d", temporal_kernel_size=5)
    assert block.op_layer.kernel_size == (5, 3, 3)
    model = stkeras.build_conv3d_lstm(input_shape=(16, 32, 32, 1), temporal_kernel_size=(5, 3, 3, 3))
    rows = {r["name"]: r for r in receptive_field(model)}
    assert rows["res1_1"]["trf"] == 5 and rows["res2_1"]["trf"] == 5 + 2


def test_legacy_configs_of_ops_without_temporal_kernel_load():
    block = ResidualBottleneck(8, 4, op="conv2d")
    config = {**block.get_config(), "temporal_kernel_size": 3}  # what earlier versions saved
    assert ResidualBottleneck.from_config(config).op_layer.kernel_size == (1, 3, 3)


def test_ts_conv3d_is_an_argument_set_of_conv3d():
    ts = stkeras.build_ts_conv3d_lstm(width="base", input_shape=(16, 32, 32, 1))
    strided = stkeras.build_conv3d_lstm(input_shape=(16, 32, 32, 1), temporal_strides=2)
    assert ts.count_params() == strided.count_params()
    keep = ("name", "srf", "trf", "output_size", "stride")
    assert [{k: r[k] for k in keep} for r in receptive_field(ts)] == [
        {k: r[k] for k in keep} for r in receptive_field(strided)]


def test_user_op_works_in_a_builder_analysis_and_saving(tmp_path):
    model = stkeras.build_courtney_resnet(op="dwsep3d", input_shape=(4, 16, 16, 1), task="order",
                                          op_options={"depth_multiplier": 2})
    op = model.get_layer("res2_1").op_layer
    assert type(op).__name__ == "DepthwiseSeparableConv3D" and op.depth_multiplier == 2
    x = np.random.default_rng(0).uniform(size=(2, 4, 16, 16, 1)).astype("float32")
    check_model(model, x, tmp_path)

    # Receptive fields: the same windows as the 3D convolution's.
    conv3d = stkeras.build_conv3d_lstm(input_shape=(4, 16, 16, 1), task="order")
    keep = ("name", "srf", "trf", "output_size", "stride")
    assert [{k: r[k] for k in keep} for r in receptive_field(model)] == [
        {k: r[k] for k in keep} for r in receptive_field(conv3d)]

    # MACs: the op's own count equals Keras' count of the same two convolutions.
    in_shape = (1,) + tuple(model.get_layer("res2_1").input.shape[1:-1]) + (16,)
    out_shape = tuple(op.compute_output_shape(in_shape))
    inputs = keras.Input(in_shape[1:])
    y = keras.layers.Conv3D(32, 3, strides=(1, 2, 2), padding="same", groups=16)(inputs)
    y = keras.layers.Conv3D(16, 1)(y)
    assert layer_flops(op, in_shape, out_shape) == count_flops(keras.Model(inputs, y))
    assert count_flops(model) > 0


def test_user_op_equals_a_grouped_convolution():
    layer = user_ops.DepthwiseSeparableConv3D(6, depth_multiplier=1)
    x = np.random.default_rng(1).normal(size=(2, 4, 6, 6, 3)).astype("float32")
    y = layer(x)
    depthwise = layer.depthwise.numpy()  # (3, 3, 3, 1, 1)
    reference = np.zeros(x.shape[:-1] + (3,), "float32")
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1), (1, 1), (0, 0)))
    for dt in range(3):
        for dy in range(3):
            for dx in range(3):
                reference += padded[:, dt:dt + 4, dy:dy + 6, dx:dx + 6] * depthwise[dt, dy, dx, 0, 0]
    reference = reference @ layer.pointwise.numpy()[0, 0, 0] + layer.bias.numpy()
    np.testing.assert_allclose(y, reference, atol=1e-4)
