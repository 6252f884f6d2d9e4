import keras
import pytest

import stkeras
from stkeras.analysis import count_flops
from stkeras.analysis import count_params
from stkeras.layers import ConvLSTM2D


def _flops(layer, input_shape):
    inputs = keras.Input(input_shape)
    return count_flops(keras.Model(inputs, layer(inputs)))


@pytest.mark.parametrize(
    "layer, input_shape, expected",
    [
        (keras.layers.Conv2D(8, 3, padding="same"), (16, 16, 4), 16 * 16 * 9 * 4 * 8),
        (keras.layers.Conv2D(8, 3, strides=2, padding="valid"), (17, 17, 4), 8 * 8 * 9 * 4 * 8),
        (keras.layers.Conv2D(8, 3, dilation_rate=2, padding="same"), (16, 16, 4), 16 * 16 * 9 * 4 * 8),
        (keras.layers.Conv3D(6, (3, 5, 5), strides=(2, 1, 1), padding="same"), (8, 10, 10, 2), 4 * 10 * 10 * 75 * 2 * 6),
        (keras.layers.DepthwiseConv2D(3, padding="same"), (10, 10, 5), 10 * 10 * 5 * 9),
        (keras.layers.Conv1D(7, 5), (20, 3), 16 * 5 * 3 * 7),
        (keras.layers.Dense(6), (12, 5), 12 * 5 * 6),
        (keras.layers.LSTM(6), (9, 5), 9 * 4 * (5 * 6 + 6 * 6)),
        (keras.layers.GRU(6), (9, 5), 9 * 3 * (5 * 6 + 6 * 6)),
        (keras.layers.SimpleRNN(6), (9, 5), 9 * (5 * 6 + 6 * 6)),
        (ConvLSTM2D(4, 3, padding="same", strides=2), (5, 8, 8, 3), 5 * 4 * 4 * 9 * 4 * 4 * (3 + 4)),
        (keras.layers.ConvLSTM2D(4, 3, padding="same"), (5, 8, 8, 3), 5 * 8 * 8 * 9 * 4 * 4 * (3 + 4)),
        (keras.layers.TimeDistributed(keras.layers.Conv2D(4, 3, padding="same")), (5, 8, 8, 3), 5 * 8 * 8 * 9 * 3 * 4),
    ],
)
def test_single_layer_formulas(layer, input_shape, expected):
    assert _flops(layer, input_shape) == expected


def test_block_flops_sum_their_sublayers():
    inputs = keras.Input((4, 8, 8, 3))
    block = stkeras.ResidualBottleneck(16, 4, op="conv3d", strides=2, name="b")
    total = count_flops(keras.Model(inputs, block(inputs)))
    reduce = 4 * 8 * 8 * 3 * 4
    op = 4 * 4 * 4 * 27 * 4 * 4
    expand = 4 * 4 * 4 * 4 * 16
    projection = 4 * 4 * 4 * 3 * 16
    assert total == reduce + op + expand + projection


def test_count_params_by_block_adds_up():
    model = stkeras.build_conv3d_lstm()
    blocks = count_params(model)
    assert list(blocks)[:2] == ["res1_1", "res2_1"]
    total = count_params(model, by="total")["total"]
    assert sum(b["trainable"] for b in blocks.values()) == total["trainable"]
    assert sum(b["non_trainable"] for b in blocks.values()) == total["non_trainable"] > 0
    assert blocks["lstm1"]["trainable"] == 4 * (128 * 128 + 128 * 128 + 128)
    with pytest.raises(ValueError, match="Unknown `by`"):
        count_params(model, by="layer")


def test_temporal_stride_reduces_flops():
    conv3d = count_flops(stkeras.build_conv3d_lstm(width="xl"))
    ts = count_flops(stkeras.build_ts_conv3d_lstm(width="xl"))
    assert ts < conv3d / 2


def test_dynamic_model_needs_input_shape():
    model = stkeras.build_conv2d_lstm(input_shape=(None, 32, 32, 1))
    with pytest.raises(ValueError, match="input_shape"):
        count_flops(model)
    # Everything but the 128 -> 10 output layer runs once per frame.
    head = 128 * 10
    assert count_flops(model, input_shape=(8, 32, 32, 1)) * 2 - head == count_flops(model, input_shape=(16, 32, 32, 1))


def test_stdcf_and_rank1_flops():
    from stkeras.layers import Rank1Conv3D
    from stkeras.layers import STDCFConv3D

    shape = (4, 8, 8, 3)
    positions = 4 * 8 * 8
    kernel = _flops(STDCFConv3D(5, 3, num_spatial_atoms=6, num_temporal_atoms=2), shape)
    assert kernel == 3 * 5 * 6 * 2 * 27 + positions * 27 * 3 * 5
    atoms = _flops(STDCFConv3D(5, 3, implementation="atoms"), shape)
    assert atoms == positions * 3 * 6 * 9 + positions * 3 * 6 * 2 * 3 + positions * 3 * 6 * 2 * 5
    assert _flops(Rank1Conv3D(5, 3), shape) == positions * 9 * 3 * 5 + positions * 3 * 5 * 5
