"""The issue's examples of bad input: each is refused at once with the argument, the value and what is allowed."""

import collections

import psutil
import pytest

import stkeras
from stkeras.blocks import ResidualBottleneck
from stkeras.data import quadrant_blink
from stkeras.layers import ConvLSTM2D


@pytest.mark.parametrize("make, error, message", [
    (lambda: stkeras.build_conv2d_lstm(op_options=-1), TypeError, r"`op_options` must be a dict.*op_options=-1"),
    (lambda: ResidualBottleneck(64, 16, op="conv3d", op_options="3"), TypeError, r"op_options='3'"),
    (lambda: stkeras.build_small_3d_cnn(filters=0), ValueError, r"`filters` must be 3 positive ints.*filters=0"),
    (lambda: stkeras.build_small_3d_cnn(num_classes=-1), ValueError, r"`num_classes` must be an int >= 2.*=-1"),
    (lambda: ConvLSTM2D(4, 3, dropout="bogus"), ValueError, r"`dropout` must be a number in \[0, 1\).*'bogus'"),
    (lambda: quadrant_blink(digits=0), ValueError, r"Unknown `digits`: 0. Allowed values: 'auto'"),
])
def test_bad_arguments_fail_at_once_with_a_clear_message(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_building_does_not_depend_on_the_machines_memory(monkeypatch):
    """Layers and builders never ask how much memory the machine has: a model builds the same everywhere."""
    memory = collections.namedtuple("Memory", "total available percent used free")
    monkeypatch.setattr(psutil, "virtual_memory", lambda: memory(1, 1, 100.0, 1, 0))
    model = stkeras.build_convlstm_resnet(input_shape=(4, 16, 16, 1), width_multiplier=0.25)
    assert model.count_params() > 0
