"""FoldFrames stacks a clip's frames along the channels, frame-major, as Tran et al. 2018's R2D input."""

import numpy as np
import pytest

import keras
from stkeras.analysis import receptive_field
from stkeras.layers import FoldFrames
from tests.layer_checks import check_layer
from tests.layer_checks import to_numpy


def test_channel_t_times_c_plus_c_is_channel_c_of_frame_t():
    clips = np.random.default_rng(0).normal(size=(2, 4, 5, 6, 3)).astype("float32")
    folded = to_numpy(FoldFrames()(clips))
    assert folded.shape == (2, 1, 5, 6, 12)
    for t in range(4):
        for c in range(3):
            np.testing.assert_array_equal(folded[:, 0, :, :, t * 3 + c], clips[:, t, :, :, c])


def test_keras_layer_checks(tmp_path):
    check_layer(FoldFrames, {}, (2, 4, 8, 8, 3), (2, 1, 8, 8, 12), tmp_path, fit=False)


def test_a_conv_after_it_sees_every_frame():
    clips = keras.Input((6, 16, 16, 3))
    x = FoldFrames(name="fold")(clips)
    x = keras.layers.Conv3D(4, (1, 3, 3), padding="same", name="conv")(x)
    rows = {row["name"]: row for row in receptive_field(keras.Model(clips, x))}
    assert rows["conv"]["trf"] == 6 and tuple(rows["conv"]["srf"]) == (3, 3)


def test_unknown_frames_are_refused():
    with pytest.raises(ValueError, match="known number of frames and channels.*None"):
        FoldFrames()(keras.Input((None, 8, 8, 3)))
