import numpy as np
import pytest

import stkeras
from stkeras.layers import ConvLSTM2D
from tests.layer_checks import check_model

BUILDERS = {
    "conv2d": stkeras.build_conv2d_lstm,
    "conv3d": stkeras.build_conv3d_lstm,
    "ts_conv3d": stkeras.build_ts_conv3d_lstm,
    "convlstm": stkeras.build_convlstm_resnet,
}
BLOCKS = ["res1_1", "res2_1", "res3_1", "res3_2", "res4_1", "res4_2", "res4_3", "res4_4"]

# Table 5 of Courtney & Sreenivas 2022, in thousands of parameters.
TABLE_5 = {
    ("conv2d", "base"): 385,
    ("conv3d", "base"): 473,
    ("convlstm", "base"): 437,
    ("conv2d", "xl"): 702,
    ("conv3d", "xl"): 1145,
    ("ts_conv3d", "xl"): 1145,
    ("convlstm", "xl"): 1967,
}


@pytest.mark.parametrize("model_size, paper", TABLE_5.items(), ids=lambda v: str(v))
def test_parameters_within_ten_percent_of_table_5(model_size, paper):
    model_name, width = model_size
    model = BUILDERS[model_name](width=width)
    assert abs(model.count_params() / (paper * 1000) - 1) < 0.10


@pytest.mark.parametrize(
    "model_name, width, res4_4_shape",
    [
        ("conv2d", "base", (48, 4, 4, 128)),
        ("conv3d", "xl", (48, 4, 4, 144)),
        ("ts_conv3d", "xl", (3, 4, 4, 144)),
        ("convlstm", "xl", (48, 4, 4, 144)),
    ],
)
def test_tables_1_to_4_structure(model_name, width, res4_4_shape):
    model = BUILDERS[model_name](width=width)
    names = [layer.name for layer in model.layers]
    assert [n for n in names if n.startswith("res")] == BLOCKS
    assert tuple(model.get_layer("res4_4").output.shape[1:]) == res4_4_shape
    assert tuple(model.get_layer("res1_1").output.shape[1:3]) == ((24 if model_name == "ts_conv3d" else 48), 32)
    lstms = [n for n in names if n.startswith("lstm")]
    assert lstms == ([] if model_name == "convlstm" else ["lstm1", "lstm2"])
    if model_name == "convlstm":
        assert isinstance(model.get_layer("res2_1").op_layer, ConvLSTM2D)
        assert model.get_layer("res2_1").op_layer.filters == (36 if width == "xl" else 16)


@pytest.mark.parametrize(
    "task, output_shape, activation",
    [("digit", (None, 10), "softmax"), ("order", (None, 6), "softmax"), ("speed", (None, 1), "linear")],
)
def test_task_heads(task, output_shape, activation):
    model = stkeras.build_conv3d_lstm(task=task, input_shape=(4, 16, 16, 1))
    assert tuple(model.output.shape) == output_shape
    assert model.layers[-1].get_config()["activation"] == activation


@pytest.mark.parametrize("model_name", BUILDERS)
def test_tiny_model_fits_and_round_trips(model_name, tmp_path):
    frames = 16 if model_name == "ts_conv3d" else 4
    model = BUILDERS[model_name](width="base", input_shape=(frames, 16, 16, 1), task="speed")
    x = np.random.default_rng(0).uniform(size=(2, frames, 16, 16, 1)).astype("float32")
    check_model(model, x, tmp_path)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"width": "huge"}, "Unknown `width`: 'huge'.*'base', 'xl'"),
        ({"task": "colour"}, "Unknown task: 'colour'"),
        ({"input_shape": (48, 8, 8, 1)}, "too small for the spatial strides"),
        ({"input_shape": (48, 64, 64)}, "input_shape"),
        ({"input_shape": (0, 64, 64, 1)}, "input_shape"),
    ],
)
def test_bad_arguments_raise(kwargs, message):
    with pytest.raises(ValueError, match=message):
        stkeras.build_conv2d_lstm(**kwargs)


def test_temporal_strides_that_collapse_time_raise():
    with pytest.raises(ValueError, match="shrink time below one frame.*res3_1"):
        stkeras.build_ts_conv3d_lstm(input_shape=(4, 64, 64, 1))
    # The same clip length is fine without temporal strides.
    stkeras.build_conv3d_lstm(input_shape=(4, 64, 64, 1))


def test_unknown_op_raises():
    with pytest.raises(ValueError, match="Unknown op"):
        stkeras.build_courtney_resnet(op="conv5d")
