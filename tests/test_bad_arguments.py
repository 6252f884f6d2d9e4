"""The issue's examples of bad input: each is refused at once with the argument, the value and what is allowed."""

import numpy as np
import pytest

import stkeras
from stkeras.blocks import ResidualBottleneck
from stkeras.data import quadrant_blink
from stkeras.layers import ConvLSTM2D
from stkeras.layers import Rank1Conv3D
from stkeras.layers import STDCFConv3D

CLIPS = np.zeros((1, 4, 8, 8, 1), "float32")


@pytest.mark.parametrize("make, error, message", [
    (lambda: stkeras.build_conv2d_lstm(op_options=-1), TypeError, r"`op_options` must be a dict.*op_options=-1"),
    (lambda: ResidualBottleneck(64, 16, op="conv3d", op_options="3"), TypeError, r"op_options='3'"),
    (lambda: stkeras.build_small_3d_cnn(filters=0), ValueError, r"`filters` must be 3 positive ints.*filters=0"),
    (lambda: stkeras.build_small_3d_cnn(num_classes=-1), ValueError, r"`num_classes` must be an int >= 2.*=-1"),
    (lambda: ConvLSTM2D(4, 3, dropout="bogus"), ValueError, r"`dropout` must be a number in \[0, 1\).*'bogus'"),
    (lambda: quadrant_blink(digits=0), ValueError, r"Unknown `digits`: 0. Allowed values: 'auto'"),
    (lambda: Rank1Conv3D(4, kernel_size=10**9)(CLIPS), ValueError, r"kernel_size=\(1000000000.* would need .* GiB"),
    (lambda: STDCFConv3D(4, num_temporal_atoms=10**9)(CLIPS), ValueError, r"num_temporal_atoms=1000000000 would need"),
    (lambda: ConvLSTM2D(10**6, 3)(CLIPS), ValueError, r"filters=1000000 would need .* GiB to train\), more than the"),
    (lambda: stkeras.build_small_3d_cnn(num_temporal_atoms=10**9), ValueError, r"num_temporal_atoms=1000000000"),
])
def test_bad_arguments_fail_at_once_with_a_clear_message(make, error, message):
    with pytest.raises(error, match=message):
        make()
