"""training_step_memory measures what a training step holds (in a child process)."""

import sys

import keras
import pytest

from stkeras.analysis import training_step_memory


def _model():
    # Per-pixel dense layers: no convolution workspace, so the step holds
    # what the backward pass keeps (a 3D convolution adds oneDNN buffers
    # that do not grow with the batch).
    inputs = keras.Input((None, None, None, 1))
    x = keras.layers.Dense(64, activation="relu")(inputs)
    x = keras.layers.Dense(64, activation="relu")(x)
    outputs = keras.layers.Dense(2, activation="softmax")(keras.layers.GlobalAveragePooling3D()(x))
    model = keras.Model(inputs, outputs)
    model.compile("adam", "sparse_categorical_crossentropy")
    return model


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_step_memory_grows_with_the_batch_and_both_counters_agree(monkeypatch):
    model = _model()
    measured = {}
    # TF_ENABLE_ONEDNN_OPTS (inherited by the child) picks TensorFlow's CPU
    # allocator: oneDNN's pool keeps counts, the plain one leaves the
    # process's resident memory to read.
    for onednn in ("0", "1"):
        monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", onednn)
        small = training_step_memory(model, (8, 32, 32, 1), batch_size=16)
        large = training_step_memory(model, (8, 32, 32, 1), batch_size=32)
        assert small["device"] in ("CPU", "GPU:0")
        if small["device"] == "CPU":
            assert small["counter"] == ("allocator" if onednn == "1" else "resident")
        # The two 64-channel activations of 8x32x32 clips kept for the backward
        # pass: 4 MiB per clip (measured: 6 MiB per clip, at 8 to 64 clips).
        assert small["step_bytes"] > 16 * 4 * 2**20
        assert 1.8 < large["step_bytes"] / small["step_bytes"] < 2.2
        measured[onednn] = small["step_bytes"]
    # Measured: 101.2 MB from the allocator, 101.6 MB resident.
    assert measured["1"] == pytest.approx(measured["0"], rel=0.1)


def test_bad_arguments_are_refused_by_name():
    model = _model()
    with pytest.raises(ValueError, match="clip_shape"):
        training_step_memory(model, (8, 32, 32))
    with pytest.raises(ValueError, match="batch_size"):
        training_step_memory(model, (8, 32, 32, 1), batch_size=0)
    with pytest.raises(ValueError, match="frozen_atoms"):
        training_step_memory(model, (8, 32, 32, 1), frozen_atoms="both")
    with pytest.raises(ValueError, match="atom_dilation"):
        training_step_memory(model, (8, 32, 32, 1), atom_dilation={"space": 2})
    with pytest.raises(ValueError, match="compiled"):
        training_step_memory(keras.Model(model.input, model.output), (8, 32, 32, 1))
