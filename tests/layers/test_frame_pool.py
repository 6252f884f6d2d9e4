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


@pytest.mark.parametrize("pool_size, strides", [((1, 3, 3), (1, 2, 2)), ((3, 3, 3), (2, 2, 2)), ((3, 3, 3), (1, 1, 1))])
def test_symmetric_padding_is_pytorchs(pool_size, strides, tmp_path):
    clips = np.random.default_rng(0).normal(size=(2, 5, 9, 8, 3)).astype("float32")
    layer = FrameMaxPooling3D(pool_size, strides=strides, padding="same", symmetric_padding=True)
    # PyTorch's MaxPool3d(padding=k // 2): windows centred on every stride-th position, the padding never the max.
    padded = np.pad(clips, [(0, 0), *[(k // 2, k // 2) for k in pool_size], (0, 0)], constant_values=-np.inf)
    expected = keras.ops.convert_to_numpy(keras.layers.MaxPooling3D(pool_size, strides=strides)(padded))
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(layer(clips)), expected)
    assert tuple(layer.compute_output_shape(clips.shape)) == expected.shape
    inputs = keras.Input(clips.shape[1:])
    model = keras.Model(inputs, layer(inputs))
    model.save(tmp_path / "pool.keras")
    loaded = keras.saving.load_model(tmp_path / "pool.keras", safe_mode=True)
    assert loaded.layers[-1].symmetric_padding
    np.testing.assert_array_equal(loaded.predict(clips, verbose=0), expected)
    with pytest.raises(ValueError, match="`symmetric_padding=True` needs padding='same' and odd pool sizes"):
        FrameMaxPooling3D(2, padding="same", symmetric_padding=True)
