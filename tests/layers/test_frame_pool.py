"""FrameMaxPooling3D gives Keras' MaxPooling3D outputs and runs in float16 on a CPU."""

import numpy as np
import pytest

import keras
from stkeras.layers import FrameMaxPooling3D
from tests.layer_checks import check_layer


@pytest.mark.parametrize("pool, strides, padding", [
    ((1, 3, 3), (1, 2, 2), "same"),
    ((1, 2, 2), None, "valid"),
    ((1, 2, 2), (1, 1, 1), "same"),
    ((2, 2, 2), None, "same"),  # pools time: the 3D path
])
def test_outputs_match_keras_max_pooling3d(pool, strides, padding):
    clips = np.random.default_rng(0).normal(size=(2, 5, 9, 9, 3)).astype("float32")
    ours = FrameMaxPooling3D(pool, strides=strides, padding=padding)(clips)
    theirs = keras.layers.MaxPooling3D(pool, strides=strides, padding=padding)(clips)
    np.testing.assert_array_equal(ours, theirs)


def test_keras_layer_checks_including_float16_on_cpu(tmp_path):
    check_layer(FrameMaxPooling3D, {"pool_size": (1, 3, 3), "strides": (1, 2, 2), "padding": "same"},
                (2, 4, 8, 8, 3), (2, 4, 4, 4, 3), tmp_path, fit=False)
