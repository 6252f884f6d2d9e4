"""FrameConv3D gives Keras' Conv3D outputs and gradients, and saves like it."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from stkeras.layers import FrameConv3D

CASES = [
    # (kernel, strides, padding, dilation)
    ((1, 1, 1), (1, 1, 1), "same", (1, 1, 1)),
    ((1, 3, 3), (1, 2, 2), "same", (1, 1, 1)),
    ((1, 3, 3), (1, 2, 2), "valid", (1, 1, 1)),
    ((1, 1, 1), (2, 2, 2), "same", (1, 1, 1)),
    ((1, 3, 3), (3, 1, 1), "valid", (1, 1, 1)),
    ((1, 3, 3), (1, 1, 1), "same", (1, 2, 2)),
    ((3, 3, 3), (2, 2, 2), "same", (1, 1, 1)),  # taps
    ((3, 3, 3), (2, 1, 1), "valid", (1, 1, 1)),
    ((2, 3, 3), (3, 1, 1), "same", (1, 1, 1)),
    ((3, 1, 1), (3, 1, 1), "same", (1, 1, 1)),
    ((3, 3, 3), (1, 2, 2), "same", (1, 1, 1)),  # the 3D path
]


@pytest.mark.parametrize("kernel,strides,padding,dilation", CASES)
def test_outputs_and_gradients_match_keras_conv3d(kernel, strides, padding, dilation):
    clips = np.random.default_rng(0).normal(size=(2, 7, 9, 9, 3)).astype("float32")
    options = dict(kernel_size=kernel, strides=strides, padding=padding, dilation_rate=dilation)
    ours, keras_conv = FrameConv3D(4, **options), keras.layers.Conv3D(4, **options)
    ours.build(clips.shape)
    keras_conv.build(clips.shape)
    keras_conv.set_weights([np.random.default_rng(1).normal(size=w.shape) for w in keras_conv.get_weights()])
    ours.set_weights(keras_conv.get_weights())
    x = tf.constant(clips)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y_ours, y_keras = ours(x), keras_conv(x)
        loss_ours, loss_keras = tf.reduce_sum(y_ours**2), tf.reduce_sum(y_keras**2)
    assert y_ours.shape == y_keras.shape == tuple(ours.compute_output_shape(clips.shape))
    np.testing.assert_allclose(y_ours, y_keras, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(tape.gradient(loss_ours, x), tape.gradient(loss_keras, x), rtol=1e-3, atol=1e-3)
    np.testing.assert_allclose(tape.gradient(loss_ours, ours.kernel), tape.gradient(loss_keras, keras_conv.kernel),
                               rtol=1e-3, atol=1e-2)


def test_unknown_batch_and_frames_in_a_graph(tmp_path):
    inputs = keras.Input((None, 8, 8, 2))
    outputs = FrameConv3D(3, (1, 3, 3), strides=(2, 2, 2), padding="same")(inputs)
    model = keras.Model(inputs, outputs)
    clips = np.random.default_rng(0).random((3, 5, 8, 8, 2)).astype("float32")
    expected = model.predict(clips, verbose=0)
    assert expected.shape == (3, 3, 4, 4, 3)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    assert isinstance(loaded.layers[-1], FrameConv3D)
    np.testing.assert_array_equal(loaded.predict(clips, verbose=0), expected)


def test_mixed_precision_keeps_the_policy():
    layer = FrameConv3D(3, (1, 3, 3), dtype="mixed_float16")
    outputs = layer(np.ones((1, 2, 4, 4, 1), "float32"))
    assert outputs.dtype == "float16" and layer.kernel.dtype == "float32"
