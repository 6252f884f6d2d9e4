import keras
import numpy as np
import pytest

import stkeras
from stkeras import ResConvLSTM
from stkeras.blocks import ResidualBottleneck
from stkeras.layers import ConvLSTM2D
from tests.layer_checks import check_model


def _count(model):
    counts = {"convlstm3": 0, "convlstm1": 0, "conv1x1": 0, "lstm": 0}
    for layer in model._flatten_layers(include_self=False, recursive=True):
        if isinstance(layer, ConvLSTM2D):
            counts["convlstm3" if layer.kernel_size == (3, 3) else "convlstm1"] += 1
        elif isinstance(layer, keras.layers.Conv3D) and layer.kernel_size == (1, 1, 1):
            counts["conv1x1"] += 1
        elif type(layer).__name__ == "LSTM":
            counts["lstm"] += 1
    return counts


def test_lipreading_preset_matches_the_paper():
    model = stkeras.from_preset("lipreading")
    assert _count(model) == {"convlstm3": 14, "convlstm1": 4, "conv1x1": 28, "lstm": 1}
    assert abs(model.count_params() / 14.5e6 - 1) < 0.05
    # Scales s/2 ... s/16 of a 48x48 input (Courtney & Sreenivas 2019, Figure 5).
    assert [model.get_layer(f"res{i}_1").output.shape[2] for i in range(1, 5)] == [24, 12, 6, 3]
    assert tuple(model.output.shape) == (None, 500)


def test_bidirectional_doubles_the_network():
    model = stkeras.from_preset("lipreading", bidirectional=True)
    assert abs(model.count_params() / 29e6 - 1) < 0.05
    assert _count(model)["convlstm3"] == 28


def test_reduced_preset_replaces_convlstms_at_12_and_6():
    model = stkeras.from_preset("lipreading_reduced")
    ops = {layer.name: layer.op for layer in model.layers if isinstance(layer, ResidualBottleneck)}
    assert {n: o for n, o in ops.items() if n.startswith("res1")} == {f"res1_{j}": "convlstm" for j in (1, 2, 3)}
    assert all(o == "conv2d" for n, o in ops.items() if not n.startswith("res1"))
    assert not any(n.startswith("res4") for n in ops)
    # "Roughly half as many parameters" (Section 3.4): 7.64M of 14.46M.
    assert 0.45 < model.count_params() / stkeras.from_preset("lipreading").count_params() < 0.55
    # The LSTM reads each frame's 6x6x176 map, flattened.
    assert model.get_layer("flatten").output.shape[-1] == 6 * 6 * 176


def test_courtney_convlstm_is_the_default():
    model = stkeras.build_convlstm_resnet()
    assert model.name == "convlstm_base"
    assert tuple(model.input.shape) == (None, 48, 64, 64, 1)
    assert tuple(model.output.shape) == (None, 10)
    assert stkeras.build_convlstm_resnet(num_classes=7, input_shape=(8, 32, 32, 1)).output.shape == (None, 7)


STAGES = [ResConvLSTM(2, 1, 4, 8), (1, 8, 4, 16, "conv2d")]


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("per_frame", [False, True])
def test_custom_stages_fit_and_round_trip(bidirectional, per_frame, tmp_path):
    model = stkeras.build_res_convlstm(
        stages=STAGES,
        input_shape=(3, 8, 8, 1),
        num_classes=5,
        lstm_units=6,
        bidirectional=bidirectional,
        per_frame=per_frame,
        op_options={"state_reset_period": 2},
        spatial_reduction="flatten" if bidirectional else "mean",
    )
    expected = (None, 3, 5) if per_frame else (None, 5)
    assert tuple(model.output.shape) == expected
    x = np.random.default_rng(0).uniform(size=(2, 3, 8, 8, 1)).astype("float32")
    check_model(model, x, tmp_path)


def test_bidirectional_per_frame_aligns_frames():
    # The backward network's per-frame outputs are put back in forward order:
    # at the last frame it has seen only that frame, at the first every frame.
    def build(frames):
        return stkeras.build_res_convlstm(
            stages=[(1, 1, 2, 4)], input_shape=(frames, 4, 4, 1), num_classes=3,
            lstm_units=3, dropout=0.0, bidirectional=True, per_frame=True,
        )

    def backward(model):
        return keras.Model(model.input, model.get_layer("reverse_outputs").output)

    model, single = build(4), build(1)
    single.set_weights(model.get_weights())
    x = np.random.default_rng(0).uniform(size=(1, 4, 4, 4, 1)).astype("float32")
    full = backward(model).predict(x, verbose=0)
    alone = backward(single).predict(x[:, -1:], verbose=0)
    np.testing.assert_allclose(full[:, -1], alone[:, 0], atol=1e-5)
    assert not np.allclose(full[:, 0], backward(single).predict(x[:, :1], verbose=0)[:, 0])
    y = model.predict(x, verbose=0)
    np.testing.assert_allclose(y.sum(-1), 1.0, rtol=1e-5)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"stages": [(1, 3, 4, 8)], "num_classes": 2}, "in_channels=3 does not match"),
        ({"stages": [(1, 1, 4, 8), (1, 16, 4, 8)], "num_classes": 2}, r"stages\[1\].in_channels=16"),
        ({"stages": [(1, 1, 4)], "num_classes": 2}, "Each stage"),
        ({"stages": [(0, 1, 4, 8)], "num_classes": 2}, "blocks"),
        ({"stages": [(1, 1, 4, 8, "conv9d")], "num_classes": 2}, "Unknown op"),
        ({"stages": [(1, 1, 4, 8)]}, "num_classes"),
        ({"stages": [(1, 1, 4, 8)], "num_classes": 2, "task": "speed"}, "not both"),
        ({"stages": [(1, 1, 4, 8)], "num_classes": 2, "spatial_reduction": "max"},
         "Unknown `spatial_reduction`: 'max'"),
        ({"stages": [(1, 1, 4, 8)], "num_classes": 2, "input_shape": (8, 1, 1, 1)}, "too small"),
        ({"stages": [(1, 1, 4, 8)], "num_classes": 2, "dropout": 1.5}, "dropout"),
    ],
)
def test_bad_arguments_raise(kwargs, message):
    with pytest.raises(ValueError, match=message):
        stkeras.build_res_convlstm(**kwargs)


def test_a_preset_with_a_task_regresses():
    model = stkeras.from_preset("lipreading", task="speed", input_shape=(4, 16, 16, 1))
    assert model.output.shape == (None, 1) and model.get_layer("predictions").units == 1
