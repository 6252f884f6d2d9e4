"""FrameConv3D gives Keras' Conv3D outputs and gradients, and saves like it."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from stkeras.layers import FrameConv3D
from tests.layer_checks import assert_close

CASES = [
    # (kernel, strides, padding, dilation)
    ((1, 1, 1), (1, 1, 1), "same", (1, 1, 1)),
    ((1, 3, 3), (1, 2, 2), "same", (1, 1, 1)),
    ((1, 3, 3), (1, 2, 2), "valid", (1, 1, 1)),
    ((1, 1, 1), (2, 2, 2), "same", (1, 1, 1)),
    ((1, 3, 3), (3, 1, 1), "valid", (1, 1, 1)),
    ((1, 3, 3), (1, 1, 1), "same", (1, 2, 2)),
    ((3, 3, 3), (2, 2, 2), "same", (1, 1, 1)),  # strided in time
    ((3, 3, 3), (2, 1, 1), "valid", (1, 1, 1)),
    ((2, 3, 3), (3, 1, 1), "same", (1, 1, 1)),
    ((3, 1, 1), (3, 1, 1), "same", (1, 1, 1)),
    ((3, 3, 3), (1, 2, 2), "same", (1, 1, 1)),
]


@pytest.mark.tensorflow_only("gradients through tf.GradientTape")
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
    assert_close(y_ours, y_keras, rtol=1e-4, atol=1e-4)
    assert_close(tape.gradient(loss_ours, x), tape.gradient(loss_keras, x), rtol=1e-3, atol=1e-3)
    assert_close(tape.gradient(loss_ours, ours.kernel), tape.gradient(loss_keras, keras_conv.kernel),
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
    assert keras.backend.standardize_dtype(outputs.dtype) == "float16" and layer.kernel.dtype == "float32"


@pytest.mark.parametrize("kernel,strides,dilation", [
    ((3, 3, 3), (2, 2, 2), (1, 1, 1)),  # strided in time
    ((1, 7, 7), (1, 2, 2), (1, 1, 1)),  # one frame
    ((3, 3, 3), (1, 2, 2), (1, 1, 1)),
    ((3, 1, 1), (2, 1, 1), (1, 1, 1)),
    ((3, 3, 3), (1, 1, 1), (2, 2, 2)),  # no stride: TensorFlow's "same" is symmetric already
])
def test_symmetric_padding_is_pytorchs(kernel, strides, dilation, tmp_path):
    clips = np.random.default_rng(0).normal(size=(2, 7, 13, 12, 3)).astype("float32")
    layer = FrameConv3D(4, kernel, strides=strides, padding="same", dilation_rate=dilation, symmetric_padding=True)
    outputs = keras.ops.convert_to_numpy(layer(clips))
    # The reference: PyTorch's padding k // 2 (times the dilation) on both sides, then a valid convolution.
    pads = [(0, 0)] + [((k - 1) * d // 2,) * 2 for k, d in zip(kernel, dilation)] + [(0, 0)]
    plain = keras.layers.Conv3D(4, kernel, strides=strides, dilation_rate=dilation, padding="valid")
    plain.build(clips.shape)
    plain.set_weights(layer.get_weights())
    assert_close(outputs, plain(np.pad(clips, pads)), atol=1e-5)
    assert outputs.shape == tuple(layer.compute_output_shape(clips.shape))
    clone = FrameConv3D.from_config(layer.get_config())
    assert clone.symmetric_padding


def test_symmetric_padding_needs_same_padding_and_odd_kernels():
    with pytest.raises(ValueError, match="`symmetric_padding=True` needs padding='same'. Received: symmetric_padding=True, padding='valid'"):
        FrameConv3D(4, 3, padding="valid", symmetric_padding=True)
    with pytest.raises(ValueError, match=r"odd kernel sizes. Received: symmetric_padding=True, kernel_size=\(2, 3, 3\)"):
        FrameConv3D(4, (2, 3, 3), padding="same", symmetric_padding=True)
