"""`ResidualBasic` and `ResidualBottleneck` take the same arguments, refuse the same values, and save alike."""

import inspect
import io
import os
import zipfile

import h5py
import keras
import numpy as np
import pytest

from stkeras.blocks import ResidualBasic
from stkeras.blocks import ResidualBottleneck
from stkeras.blocks.arguments import BLOCK_ARGUMENTS
from stkeras.blocks.bottleneck import BOTTLENECK_ARGUMENTS
from stkeras.layers import ConvLSTM2D
from tests.layer_checks import check_config_round_trip
from tests.layer_checks import check_layer

CHANNELS = {ResidualBasic: ("filters",), ResidualBottleneck: ("filters", "bottleneck_filters")}


def _block(cls, filters=8, **kwargs):
    return cls(filters, **kwargs) if cls is ResidualBasic else cls(filters, 4, **kwargs)


def _keywords(cls):
    parameters = inspect.signature(cls.__init__).parameters
    return {name: p.default for name, p in parameters.items()
            if name not in ("self", "kwargs", *CHANNELS[cls])}


def test_both_blocks_take_the_same_arguments_in_the_same_order():
    assert tuple(_keywords(ResidualBasic)) == BLOCK_ARGUMENTS
    # The bottleneck's own (X3D's squeeze-excitation and swish) come after the shared ones.
    assert tuple(_keywords(ResidualBottleneck)) == BLOCK_ARGUMENTS + BOTTLENECK_ARGUMENTS
    for cls in CHANNELS:
        assert list(inspect.signature(cls.__init__).parameters)[1:len(CHANNELS[cls]) + 1] == list(CHANNELS[cls])


def test_defaults_differ_only_in_use_bias():
    basic, bottleneck = _keywords(ResidualBasic), _keywords(ResidualBottleneck)
    assert {k for k in basic if basic[k] != bottleneck[k]} == {"use_bias"}
    assert [bottleneck[k] for k in BOTTLENECK_ARGUMENTS] == [None, None, True]  # none, `activation`, normalized
    # What the models rely on: video ResNets (basic, no biases), Courtney and Res_ConvLSTM (biases).
    assert basic["use_bias"] is False and bottleneck["use_bias"] is True


def test_get_config_holds_every_argument():
    for cls in CHANNELS:
        block = _block(cls, op="conv2d", shortcut="conv", normalization=None, placement="pre",
                       activation="gelu", op_options={"kernel_initializer": "zeros"}, norm_momentum=0.5)
        config = block.get_config()
        assert set(CHANNELS[cls]) | set(BLOCK_ARGUMENTS) <= set(config)
        assert config["activation"] == "gelu" and config["placement"] == "pre" and config["normalization"] is None
        clone = check_config_round_trip(block)
        assert clone.get_config() == config


@pytest.mark.parametrize(
    "kwargs, named",
    [
        ({"placement": "middle"}, "placement"),
        ({"normalization": "layer"}, "normalization"),
        ({"shortcut": "dense"}, "shortcut"),
        ({"activation": "bogus"}, "activation"),
        ({"strides": 0}, "strides"),
        ({"temporal_strides": 0}, "temporal_strides"),
        ({"kernel_size": -1}, "kernel_size"),
        ({"norm_momentum": 2}, "norm_momentum"),
        ({"temporal_kernel_size": 0}, "temporal_kernel_size"),
        ({"op": "conv4d"}, "op"),
        ({"shortcut": "identity", "strides": 2}, "shortcut"),
        ({"shortcut": "convlstm", "op": "conv3d", "temporal_strides": 2}, "shortcut"),
    ],
)
def test_a_refused_value_names_the_argument_the_same_way_in_both(kwargs, named):
    messages = []
    for cls in CHANNELS:
        with pytest.raises(ValueError) as error:
            _block(cls, **kwargs)
        messages.append(str(error.value))
    assert messages[0] == messages[1], messages  # one check for both blocks
    assert named in messages[0] and repr(kwargs[named]) in messages[0], messages[0]


def test_identity_with_other_channels_raises_at_build_in_both():
    for cls in CHANNELS:
        with pytest.raises(ValueError, match="shortcut='identity'.*input channels=3"):
            _block(cls, shortcut="identity")(keras.Input((2, 8, 8, 3)))


def test_op_sub_layers_follow_one_rule():
    basic, bottleneck = ResidualBasic(8), ResidualBottleneck(8, 4)
    assert [layer.name for layer in basic.op_layers] == ["op1", "op2"]
    assert [layer.name for layer in bottleneck.op_layers] == ["op"]
    for block in (basic, bottleneck):
        assert block.op_layer is block.op_layers[-1]


@pytest.mark.parametrize(
    "kwargs, output_shape",
    [
        ({"op": "conv3d", "normalization": None}, (2, 4, 8, 8, 8)),
        ({"op": "conv2d", "strides": 2, "placement": "pre"}, (2, 4, 4, 4, 8)),
        ({"op": "conv2plus1d", "shortcut": "conv", "activation": "gelu", "use_bias": True}, (2, 4, 8, 8, 8)),
        ({"op": "convlstm", "strides": 2, "shortcut": "convlstm", "op_options": {"state_reset_period": 2}},
         (2, 4, 4, 4, 8)),
        ({"op": "ts_conv3d", "strides": 2}, (2, 2, 4, 4, 8)),
    ],
)
def test_basic_block_options_work_and_save(kwargs, output_shape, tmp_path):
    check_layer(ResidualBasic, {"filters": 8, **kwargs}, (2, 4, 8, 8, 3), output_shape, tmp_path)


def test_basic_normalization_none_has_no_batch_norm():
    block = ResidualBasic(8, normalization=None, strides=2)
    block(np.zeros((1, 4, 8, 8, 3), "float32"))
    assert block.norm1 is None and block.norm2 is None and block.projection_norm is None
    assert not block.non_trainable_weights


def test_basic_shortcuts_behave_as_in_the_bottleneck():
    x = np.random.default_rng(0).normal(size=(1, 4, 6, 6, 8)).astype("float32")
    # Open skip: with op2 zeroed the block is the activation of its input.
    block = ResidualBasic(8, normalization=None)
    block(x)
    assert block.projection is None
    block.op2.kernel.assign(np.zeros(block.op2.kernel.shape))
    np.testing.assert_allclose(block(x), np.maximum(x, 0), atol=1e-6)
    # Pre-activation: nothing after the addition, so the input comes back.
    pre = ResidualBasic(8, normalization=None, placement="pre")
    pre(x)
    pre.op2.kernel.assign(np.zeros(pre.op2.kernel.shape))
    np.testing.assert_allclose(pre(x), x, atol=1e-6)
    # "conv" projects even when the shape is kept; "convlstm" is a 1x1 ConvLSTM.
    conv = ResidualBasic(8, shortcut="conv")
    conv(x)
    assert conv.projection.kernel_size == (1, 1, 1) and conv.projection_norm is not None
    lstm = ResidualBasic(8, op="conv2d", strides=2, shortcut="convlstm")
    lstm(x)
    assert isinstance(lstm.projection, ConvLSTM2D) and lstm.projection.strides == (2, 2)


def test_basic_activation_is_used():
    x = np.random.default_rng(1).normal(size=(1, 2, 4, 4, 4)).astype("float32")
    block = ResidualBasic(4, normalization=None, activation="linear")
    block(x)
    block.op2.kernel.assign(np.zeros(block.op2.kernel.shape))
    np.testing.assert_allclose(block(x), x, atol=1e-6)


def test_configs_saved_before_the_shared_arguments_load_as_before():
    block = ResidualBasic(8, op="conv2plus1d", strides=2, temporal_strides=2)
    old = {k: v for k, v in block.get_config().items()
           if k not in ("shortcut", "normalization", "placement", "activation")}
    assert ResidualBasic.from_config(old).get_config() == block.get_config()


def _weight_groups(path):
    """Per block class, the sub-layer attributes under which a `.keras` file stores the block's weights."""
    with zipfile.ZipFile(path) as archive, h5py.File(io.BytesIO(archive.read("model.weights.h5")), "r") as f:
        names = []
        f.visititems(lambda name, obj: names.append(name) if isinstance(obj, h5py.Dataset) else None)
    groups = {}
    for name in names:
        _, block, attribute, *_ = name.split("/")
        groups.setdefault(block, set()).add(attribute)
    return groups


def test_save_load_with_safe_mode_keeps_outputs_and_weight_paths(tmp_path):
    inputs = keras.Input((4, 8, 8, 3))
    y = ResidualBasic(8, op="conv2plus1d", strides=2, temporal_strides=2, name="basic")(inputs)
    outputs = ResidualBottleneck(8, 4, op="conv3d", strides=2, name="bottleneck")(y)
    model = keras.Model(inputs, outputs)
    x = np.random.default_rng(2).uniform(size=(2, 4, 8, 8, 3)).astype("float32")
    path = os.path.join(str(tmp_path), "blocks.keras")
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_allclose(loaded(x, training=False), model(x, training=False), rtol=1e-6, atol=1e-6)
    # Keras 3 stores weights by attribute path: these are the names files saved by
    # earlier versions hold, so the attributes must keep them.
    assert _weight_groups(path) == {
        "residual_basic": {"norm1", "norm2", "op1", "op2", "projection", "projection_norm"},
        "residual_bottleneck": {"reduce", "norm_reduce", "op_layer", "norm_op", "expand", "norm_expand",
                                "projection", "norm_projection"},
    }
