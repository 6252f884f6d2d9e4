"""ChannelwiseConv3D is Keras' grouped Conv3D with one group per channel: same weights, outputs, gradients."""

import keras
import numpy as np
import pytest

from stkeras.analysis import count_flops
from stkeras.layers import ChannelwiseConv3D
from tests.layer_checks import assert_close
from tests.layer_checks import check_layer


def _reference(clips, kernel, strides, pads):
    """A NumPy channel-wise convolution after explicit padding `pads` of (t, h, w)."""
    x = np.pad(clips, [(0, 0), *pads, (0, 0)])
    (kt, kh, kw), (st, sh, sw) = kernel.shape[:3], strides
    out = [(n - k) // s + 1 for n, k, s in zip(x.shape[1:4], (kt, kh, kw), (st, sh, sw))]
    y = np.zeros((x.shape[0], *out, x.shape[-1]), "float64")
    for a in range(kt):
        for b in range(kh):
            for c in range(kw):
                window = x[:, a:a + (out[0] - 1) * st + 1:st, b:b + (out[1] - 1) * sh + 1:sh,
                           c:c + (out[2] - 1) * sw + 1:sw]
                y += window * kernel[a, b, c, 0]
    return y


@pytest.mark.parametrize("kernel, strides", [((3, 3, 3), (1, 1, 1)), ((3, 3, 3), (1, 2, 2)), ((3, 3, 3), (2, 2, 2)),
                                             ((5, 1, 1), (1, 1, 1)), ((1, 3, 3), (1, 2, 2))])
@pytest.mark.parametrize("symmetric", [False, True])
def test_outputs_are_a_channelwise_convolutions(kernel, strides, symmetric):
    clips = np.random.default_rng(0).normal(size=(2, 7, 9, 8, 4)).astype("float32")
    layer = ChannelwiseConv3D(4, kernel, strides=strides, symmetric_padding=symmetric, use_bias=False)
    outputs = keras.ops.convert_to_numpy(layer(clips))
    weights = keras.ops.convert_to_numpy(layer.kernel)
    if symmetric:  # PyTorch's padding k // 2 on both sides
        pads = [(k // 2, k // 2) for k in kernel]
    else:  # TensorFlow's "same": the odd pixel at the end
        pads = []
        for n, k, s in zip(clips.shape[1:4], kernel, strides):
            total = max((-(-n // s) - 1) * s + k - n, 0)
            pads.append((total // 2, total - total // 2))
    np.testing.assert_allclose(outputs, _reference(clips, weights, strides, pads), atol=1e-4)


@pytest.mark.tensorflow_only("gradients through tf.GradientTape; Keras' grouped Conv3D runs through XLA there")
def test_outputs_and_gradients_equal_keras_grouped_conv3d():
    import tensorflow as tf

    clips = tf.constant(np.random.default_rng(1).normal(size=(2, 5, 8, 8, 6)).astype("float32"))
    ours = ChannelwiseConv3D(6, 3, strides=(1, 2, 2), padding="same")
    plain = keras.layers.Conv3D(6, 3, strides=(1, 2, 2), padding="same", groups=6)
    ours.build(clips.shape)
    plain.build(clips.shape)
    plain.set_weights([np.random.default_rng(2).normal(size=w.shape) for w in plain.get_weights()])
    ours.set_weights(plain.get_weights())
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(clips)
        y_ours, y_plain = ours(clips), plain(clips)
        loss_ours, loss_plain = tf.reduce_sum(y_ours ** 2), tf.reduce_sum(y_plain ** 2)
    assert_close(y_ours, y_plain, atol=1e-4)
    assert_close(tape.gradient(loss_ours, clips), tape.gradient(loss_plain, clips), atol=1e-3)
    assert_close(tape.gradient(loss_ours, ours.kernel), tape.gradient(loss_plain, plain.kernel), rtol=1e-4, atol=1e-2)


def test_layer_checks(tmp_path):
    layer = check_layer(ChannelwiseConv3D, {"filters": 6, "kernel_size": 3, "strides": (1, 2, 2),
                                            "symmetric_padding": True}, (2, 4, 8, 8, 6), (2, 4, 4, 4, 6), tmp_path)
    assert layer.kernel.shape == (3, 3, 3, 1, 6) and layer.groups == 6
    inputs = keras.Input((4, 8, 8, 6))
    # One product per output position, channel and kernel tap.
    assert count_flops(keras.Model(inputs, layer(inputs))) == 4 * 4 * 4 * 6 * 27


def test_unknown_frames_in_a_graph():
    inputs = keras.Input((None, 8, 8, 3))
    model = keras.Model(inputs, ChannelwiseConv3D(3, 3)(inputs))
    clips = np.random.default_rng(3).normal(size=(1, 5, 8, 8, 3)).astype("float32")
    fixed = ChannelwiseConv3D(3, 3)
    fixed.build(clips.shape)
    fixed.set_weights(model.get_weights())
    np.testing.assert_allclose(model.predict(clips, verbose=0), keras.ops.convert_to_numpy(fixed(clips)), atol=1e-5)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="gives as many channels as it takes. Received: input channels=3, filters=4"):
        ChannelwiseConv3D(4)(np.zeros((1, 2, 4, 4, 3), "float32"))
    with pytest.raises(ValueError, match="`groups` must be `filters`. Received: filters=4, groups=2"):
        ChannelwiseConv3D(4, groups=2)
    with pytest.raises(ValueError, match="no dilation. Received: dilation_rate=2"):
        ChannelwiseConv3D(4, dilation_rate=2)
