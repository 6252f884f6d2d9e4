"""Courtney & Sreenivas 2019, Section 4.1: a reverse network trained separately from the forward one, averaged at test time."""

import keras
import numpy as np
import pytest

from stkeras.models import ResConvLSTM
from stkeras.models import build_res_convlstm
from stkeras.training import average_directions
from stkeras.training import reverse_direction


def _forward(per_frame=False):
    keras.utils.set_random_seed(1)
    return build_res_convlstm(stages=[ResConvLSTM(1, 1, 4, 8)], input_shape=(4, 8, 8, 1), num_classes=3,
                                 lstm_units=4, dropout=0.0, per_frame=per_frame, name="forward")


CLIPS = np.random.default_rng(0).uniform(size=(6, 4, 8, 8, 1)).astype("float32")
LABELS = np.array([0, 1, 2, 0, 1, 2])


def test_the_reverse_network_starts_as_the_forward_one_reading_backwards():
    forward = _forward()
    backward = reverse_direction(forward)
    np.testing.assert_allclose(backward.predict(CLIPS, verbose=0), forward.predict(CLIPS[:, ::-1], verbose=0),
                               atol=1e-6)
    assert not np.allclose(backward.predict(CLIPS, verbose=0), forward.predict(CLIPS, verbose=0), atol=1e-4)


def test_training_the_reverse_network_leaves_the_forward_one_alone_and_the_average_is_of_both(tmp_path):
    forward = _forward()
    before = [w.copy() for w in forward.get_weights()]
    backward = reverse_direction(forward)
    backward.compile(optimizer=keras.optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy")
    backward.fit(CLIPS, LABELS, epochs=2, batch_size=3, verbose=0)
    for a, b in zip(before, forward.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert not np.allclose(backward.predict(CLIPS, verbose=0), forward.predict(CLIPS[:, ::-1], verbose=0), atol=1e-4)

    both = average_directions(forward, backward)
    expected = (forward.predict(CLIPS, verbose=0) + backward.predict(CLIPS, verbose=0)) / 2
    np.testing.assert_allclose(both.predict(CLIPS, verbose=0), expected, atol=1e-6)
    both.save(tmp_path / "both.keras")
    loaded = keras.saving.load_model(tmp_path / "both.keras", safe_mode=True)
    np.testing.assert_allclose(loaded.predict(CLIPS, verbose=0), expected, atol=1e-6)


def test_per_frame_outputs_of_the_reverse_network_are_in_the_clips_order():
    forward = _forward(per_frame=True)
    backward = reverse_direction(forward)
    outputs = backward.predict(CLIPS, verbose=0)
    # Frame t of the reverse network has read frames T-1 ... t, and sits at position t.
    np.testing.assert_allclose(outputs, forward.predict(CLIPS[:, ::-1], verbose=0)[:, ::-1], atol=1e-6)
    assert average_directions(forward, backward).output.shape == (None, 4, 3)


def test_bad_models_are_refused():
    forward = _forward()
    with pytest.raises(TypeError, match="`forward` must be a functional Keras model"):
        reverse_direction("model.keras")
    with pytest.raises(ValueError, match="different names"):
        average_directions(forward, forward)
    other = build_res_convlstm(stages=[ResConvLSTM(1, 1, 4, 8)], input_shape=(4, 8, 8, 1), num_classes=5,
                                  lstm_units=4, name="other")
    with pytest.raises(ValueError, match="same clips and give the same outputs"):
        average_directions(forward, other)
