"""Causal temporal padding: each output frame reads frames up to its own, equal to a Conv3D on zero frames before."""

import keras
import numpy as np
import pytest

from stkeras.blocks.ops import get_op
from stkeras.blocks.ops import ops_supporting
from stkeras.layers import Conv2Plus1D
from stkeras.layers import FrameConv3D
from stkeras.layers import Pseudo3D
from tests.layer_checks import assert_close
from tests.layer_checks import check_layer

CLIPS = np.random.default_rng(0).normal(size=(2, 6, 9, 9, 3)).astype("float32")


@pytest.mark.parametrize("kernel,strides,dilation", [((3, 3, 3), (1, 1, 1), (1, 1, 1)),
                                                     ((3, 3, 3), (1, 2, 2), (1, 1, 1)),
                                                     ((2, 1, 1), (2, 1, 1), (1, 1, 1)),
                                                     ((3, 3, 3), (1, 1, 1), (2, 1, 1))])
def test_causal_frame_conv_is_a_valid_conv3d_after_zero_frames(kernel, strides, dilation):
    causal = FrameConv3D(4, kernel, strides=strides, dilation_rate=dilation, padding="same",
                         temporal_padding="causal")
    span = (kernel[0] - 1) * dilation[0] + 1
    # The reference: Keras' Conv3D, time padded by hand with zero frames before the first, "same" in space
    # (a 3D convolution with a time kernel that reads no padding at the end).
    reference = keras.layers.Conv3D(4, kernel, strides=strides, dilation_rate=dilation, padding="same")
    padded = np.concatenate([np.zeros((2, span - 1, 9, 9, 3), "float32"), CLIPS], axis=1)
    causal.build(CLIPS.shape)
    reference.build(padded.shape)
    reference.set_weights([np.random.default_rng(1).normal(size=w.shape) for w in reference.get_weights()])
    causal.set_weights(reference.get_weights())
    expected = keras.ops.convert_to_numpy(reference(padded))
    # "same" in time on the padded clip centres the kernel: keep the outputs whose window ends at a frame.
    half = (span - 1) // 2
    frames = -(-CLIPS.shape[1] // strides[0])
    start = span - 1 - half
    if strides[0] == 1:
        expected = expected[:, start:start + frames]
        assert_close(causal(CLIPS), expected, rtol=1e-5, atol=1e-5)
    assert causal(CLIPS).shape[1] == frames
    # Frame t's output depends on no later frame.
    changed = CLIPS.copy()
    changed[:, 4:] += 1.0
    before = keras.ops.convert_to_numpy(causal(CLIPS))
    after = keras.ops.convert_to_numpy(causal(changed))
    last_untouched = (4 - 1) // strides[0]
    np.testing.assert_array_equal(before[:, :last_untouched + 1], after[:, :last_untouched + 1])
    assert not np.allclose(before[:, -1], after[:, -1])


def test_causal_frame_conv_saves_and_checks_like_a_layer(tmp_path):
    check_layer(FrameConv3D, {"filters": 3, "kernel_size": 3, "padding": "same", "temporal_padding": "causal"},
                input_shape=(2, 4, 6, 6, 2), expected_output_shape=(2, 4, 6, 6, 3), tmp_path=tmp_path)


@pytest.mark.parametrize("layer", [lambda: Conv2Plus1D(4, 3, temporal_padding="causal"),
                                   lambda: Pseudo3D(4, "A", temporal_padding="causal"),
                                   lambda: Pseudo3D(4, "B", temporal_padding="causal"),
                                   lambda: Pseudo3D(4, "C", temporal_padding="causal")])
def test_factorized_layers_read_no_later_frame_when_causal(layer):
    layer = layer()
    changed = CLIPS.copy()
    changed[:, 3:] -= 2.0
    before, after = keras.ops.convert_to_numpy(layer(CLIPS)), keras.ops.convert_to_numpy(layer(changed))
    np.testing.assert_array_equal(before[:, :3], after[:, :3])
    assert not np.allclose(before[:, 3:], after[:, 3:])
    restored = type(layer).from_config(layer.get_config())
    assert restored.temporal_padding == "causal"


def test_causal_padding_needs_same_padding_and_a_known_value():
    with pytest.raises(ValueError, match="temporal_padding='causal'` needs padding='same'"):
        FrameConv3D(4, 3, padding="valid", temporal_padding="causal")
    with pytest.raises(ValueError, match="temporal_padding"):
        FrameConv3D(4, 3, padding="same", temporal_padding="before")
    with pytest.raises(ValueError, match="needs padding='same'"):
        Conv2Plus1D(4, 3, padding="valid", temporal_padding="causal")


def test_the_op_registry_says_which_ops_pad_causally():
    assert {"conv3d", "ts_conv3d", "conv2plus1d", "p3d_a", "p3d_b", "p3d_c"} <= set(ops_supporting("causal_padding"))
    assert not get_op("conv2d").causal_padding and not get_op("convlstm").causal_padding
    layer = get_op("conv3d").build(4, name="op", temporal_padding="causal")
    assert layer.temporal_padding == "causal"
    with pytest.raises(ValueError, match="does not support option"):
        get_op("conv2d").build(4, name="op", temporal_padding="causal")
