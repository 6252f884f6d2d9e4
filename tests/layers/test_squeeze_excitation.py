"""SqueezeExcitation: the gate of the clip's mean features, by hand; saving; analysis."""

import keras
import numpy as np
import pytest

from stkeras.analysis import count_flops
from stkeras.layers import SqueezeExcitation
from tests.layer_checks import check_layer


def test_layer_checks_and_the_gate_by_hand(tmp_path):
    check_layer(SqueezeExcitation, {"filters": 4}, (2, 3, 5, 5, 12), (2, 3, 5, 5, 12), tmp_path)
    clips = np.random.default_rng(0).normal(size=(2, 3, 5, 5, 12)).astype("float32")
    layer = SqueezeExcitation(4)
    outputs = keras.ops.convert_to_numpy(layer(clips))
    w1, b1, w2, b2 = [keras.ops.convert_to_numpy(w) for w in (layer.reduce.kernel, layer.reduce.bias,
                                                              layer.expand.kernel, layer.expand.bias)]
    squeezed = np.maximum(clips.mean(axis=(1, 2, 3)) @ w1 + b1, 0)
    gate = 1 / (1 + np.exp(-(squeezed @ w2 + b2)))
    np.testing.assert_allclose(outputs, clips * gate[:, None, None, None], atol=1e-5)
    inputs = keras.Input((3, 5, 5, 12))
    assert count_flops(keras.Model(inputs, SqueezeExcitation(4)(inputs))) == 2 * 12 * 4


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="`filters` must be an int >= 1. Received: filters=0"):
        SqueezeExcitation(0)
    with pytest.raises(ValueError, match="takes clips .* Received: input_shape=\\(1, 4, 8\\)"):
        SqueezeExcitation(2)(np.zeros((1, 4, 8), "float32"))
