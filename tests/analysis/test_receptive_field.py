import keras
import pytest

import stkeras
from stkeras.analysis import format_receptive_field
from stkeras.analysis import receptive_field
from stkeras.layers import ConvLSTM2D

BLOCKS = ["res1_1", "res2_1", "res3_1", "res3_2", "res4_1", "res4_2", "res4_3", "res4_4"]
SRF = [3, 7, 15, 31, 47, 79, 111, 143]
# Courtney & Sreenivas 2022, Tables 1-4: TRF column of each model.
TRF = {
    "conv2d": [1] * 8,
    "conv3d": [3, 5, 7, 9, 11, 13, 15, 17],
    "ts_conv3d": [3, 7, 15, 31, 47, 79, 111, 143],
    "convlstm": [48] * 8,
}
OUTPUT_T = {"ts_conv3d": [24, 12, 6, 6, 3, 3, 3, 3]}
BUILDERS = {
    "conv2d": stkeras.build_conv2d_lstm,
    "conv3d": stkeras.build_conv3d_lstm,
    "ts_conv3d": stkeras.build_ts_conv3d_lstm,
    "convlstm": stkeras.build_convlstm_resnet,
}


@pytest.mark.parametrize("model_name", BUILDERS)
def test_tables_1_to_4(model_name):
    rows = {row["name"]: row for row in receptive_field(BUILDERS[model_name](width="xl"))}
    sizes = [32, 16, 8, 8, 4, 4, 4, 4]
    frames = OUTPUT_T.get(model_name, [48] * 8)
    for block, srf, trf, size, t in zip(BLOCKS, SRF, TRF[model_name], sizes, frames):
        row = rows[block]
        assert row["srf"] == (srf, srf), block
        assert row["trf"] == trf, block
        assert row["output_size"] == (size, size, t), block
    if model_name != "convlstm":
        assert rows["lstm1"]["trf"] == 48 and rows["lstm2"]["trf"] == 48


def test_hand_computed_small_model():
    inputs = keras.Input((10, 32, 32, 1))
    x = keras.layers.Conv3D(4, 3, padding="same", name="a")(inputs)  # rf 3, jump 1
    x = keras.layers.Conv3D(4, (1, 3, 3), strides=(1, 2, 2), padding="same", name="b")(x)  # hw 5, jump 2
    x = keras.layers.Conv3D(4, 3, dilation_rate=2, padding="same", name="c")(x)  # t 3+4=7, hw 5+2*2*2=13
    y = keras.layers.TimeDistributed(keras.layers.MaxPooling2D(2), name="pool")(x)  # hw 13+2=15, jump 4
    z = keras.layers.TimeDistributed(keras.layers.Conv2D(4, 1, strides=2), name="skip")(x)  # jump 4
    x = keras.layers.Add(name="add")([y, z])
    x = ConvLSTM2D(4, 3, padding="same", return_sequences=True, name="lstm")(x)  # hw 15+2*4=23
    x = keras.layers.TimeDistributed(keras.layers.GlobalAveragePooling2D(), name="gap")(x)
    rows = {r["name"]: r for r in receptive_field(keras.Model(inputs, x))}
    assert rows["a"]["srf"] == (3, 3) and rows["a"]["trf"] == 3
    assert rows["b"]["srf"] == (5, 5) and rows["b"]["stride"] == (2, 2, 1)
    assert rows["c"]["srf"] == (13, 13) and rows["c"]["trf"] == 7 and rows["c"]["output_size"] == (16, 16, 10)
    assert rows["pool"]["srf"] == (15, 15) and rows["pool"]["stride"] == (4, 4, 1)
    assert "skip" in rows and rows["skip"]["srf"] == (13, 13)
    assert rows["lstm"]["srf"] == (23, 23) and rows["lstm"]["trf"] == 10
    # 8x8 positions, 4 px apart: the union spans 23 + 7 * 4 pixels.
    assert rows["gap"]["srf"] == (51, 51) and rows["gap"]["output_size"] == (1, 1, 10)


def test_residual_block_takes_the_larger_path_and_lists_sublayers():
    model = stkeras.build_conv3d_lstm(input_shape=(8, 32, 32, 1))
    rows = receptive_field(model, include_sublayers=True)
    names = [r["name"] for r in rows]
    assert names[:3] == ["res1_1/op", "res1_1/projection", "res1_1"]
    # The strided 1x1 projection sees one pixel; the block takes the op's 3x3.
    assert rows[1]["srf"] == (1, 1) and rows[2]["srf"] == (3, 3)


def test_unknown_layers_are_reported_not_guessed():
    inputs = keras.Input((4, 8, 8, 1))
    x = keras.layers.Conv3D(2, 3, padding="same", name="conv")(inputs)
    x = keras.layers.UpSampling3D(2, name="up")(x)
    x = keras.layers.Conv3D(2, 3, padding="same", name="after")(x)
    rows = receptive_field(keras.Model(inputs, x))
    up = [r for r in rows if r["name"] == "up"][0]
    assert up["srf"] is None and "unknown layer type UpSampling3D" in up["note"]
    assert all(r["name"] != "after" or r["srf"] is None for r in rows)
    assert "? (unknown layer type UpSampling3D)" in format_receptive_field(rows)


def test_format_table():
    table = format_receptive_field(receptive_field(stkeras.build_ts_conv3d_lstm()))
    assert "| res4_4 | ResidualBottleneck(ts_conv3d) | 4x4x3 | 143x143 | 143 | (16, 16, 16) |" in table


def test_dynamic_frames_with_input_shape():
    model = stkeras.build_convlstm_resnet(input_shape=(None, 32, 32, 1))
    rows = receptive_field(model, input_shape=(20, 32, 32, 1))
    assert rows[0]["trf"] == 20 and rows[0]["output_size"] == (16, 16, 20)
    assert receptive_field(model)[0]["trf"] == "all"


def test_stdcf_field_follows_its_dilation():
    from stkeras.training import set_atom_dilation

    model = stkeras.build_small_3d_cnn(conv="stdcf", input_shape=(16, 32, 32, 1))
    assert receptive_field(model)[0]["srf"] == (3, 3)
    set_atom_dilation(model, spatial=2, temporal=2)
    first = receptive_field(model)[0]
    assert first["srf"] == (5, 5) and first["trf"] == 5
