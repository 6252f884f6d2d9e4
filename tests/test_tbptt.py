"""Truncated backpropagation through time against full backpropagation and an independent chunked reference."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from stkeras.layers import ConvLSTM2D
from stkeras.models import build_res_convlstm
from stkeras.training import predict_in_chunks
from stkeras.training import recurrent_layers
from stkeras.training import tbptt_fit
from stkeras.training import tbptt_step

FRAMES = 6
RATE = 0.5


def _res_convlstm(per_frame=True, **overrides):
    keras.utils.set_random_seed(1)
    arguments = dict(stages=[(1, 1, 4, 8)], input_shape=(None, 8, 8, 1), num_classes=3, lstm_units=4,
                     dropout=0.0, per_frame=per_frame)
    return build_res_convlstm(**{**arguments, **overrides})


def _data(per_frame=True, batch=2):
    rng = np.random.default_rng(0)
    clips = rng.random((batch, FRAMES, 8, 8, 1), "float32")
    targets = rng.integers(0, 3, (batch, FRAMES) if per_frame else (batch,))
    return clips, targets


def _compile(model):
    model.compile(keras.optimizers.SGD(RATE), "sparse_categorical_crossentropy")


def _max_difference(a, b):
    return max(float(np.abs(x - y).max()) for x, y in zip(a, b))


def _trainable(model):
    return [keras.ops.convert_to_numpy(v) for v in model.trainable_weights]


def _updates(model, clips, targets, chunk_lengths):
    """Trainable weights after one full-BPTT update (Keras' train_on_batch) and after one TBPTT update per chunk
    length. (Batch normalization's moving statistics, updated once per chunk, are left out.)"""
    start = model.get_weights()
    _compile(model)
    model.train_on_batch(clips, targets)
    full = _trainable(model)
    model.set_weights(start)
    assert _max_difference(full, _trainable(model)) > 1e-3  # the update is not empty
    truncated = {}
    for k in chunk_lengths:
        model.set_weights(start)
        _compile(model)
        tbptt_step(model, clips, targets, chunk_length=k)
        truncated[k] = _trainable(model)
    return full, truncated


@pytest.mark.parametrize("per_frame", [True, False], ids=["per_frame", "per_clip"])
def test_chunks_as_long_as_the_sequence_give_full_backpropagation_and_shorter_ones_do_not(per_frame):
    model = _res_convlstm(per_frame=per_frame)
    clips, targets = _data(per_frame=per_frame)
    full, truncated = _updates(model, clips, targets, [FRAMES, FRAMES + 4, 3, 2])
    assert _max_difference(truncated[FRAMES], full) < 1e-6
    assert _max_difference(truncated[FRAMES + 4], full) < 1e-6
    assert _max_difference(truncated[3], full) > 1e-3
    assert _max_difference(truncated[2], full) > 1e-3
    assert _max_difference(truncated[2], truncated[3]) > 1e-4


def _single_convlstm():
    keras.utils.set_random_seed(2)
    clips = keras.Input((None, 6, 6, 1))
    x = ConvLSTM2D(3, 3, padding="same", return_sequences=True, name="convlstm")(clips)
    x = keras.layers.Reshape((-1, 6 * 6 * 3))(x)
    outputs = keras.layers.Dense(3, activation="softmax", name="predictions")(x)
    return keras.Model(clips, outputs)


def _reference_tbptt_update(model, clips, targets, k):
    """TBPTT written out: the same layers called with explicit initial states, stopped between chunks, SGD by hand."""
    convlstm, dense = model.get_layer("convlstm"), model.get_layer("predictions")
    reference = ConvLSTM2D(3, 3, padding="same", return_sequences=True, return_state=True)
    reference.build((None, None, 6, 6, 1))
    reference.set_weights(convlstm.get_weights())
    head = keras.layers.Dense(3, activation="softmax")
    head.build((None, 108))
    head.set_weights(dense.get_weights())
    variables = reference.trainable_variables + head.trainable_variables
    loss_fn = keras.losses.SparseCategoricalCrossentropy()
    h = c = tf.zeros((clips.shape[0], 6, 6, 3))
    total = [tf.zeros_like(v) for v in variables]
    for start in range(0, FRAMES, k):
        stop = min(start + k, FRAMES)
        with tf.GradientTape() as tape:
            x, new_h, new_c = reference(clips[:, start:stop], initial_state=[h, c])
            y = head(tf.reshape(x, (clips.shape[0], stop - start, 108)))
            loss = loss_fn(targets[:, start:stop], y) * (stop - start) / FRAMES
        total = [t + g for t, g in zip(total, tape.gradient(loss, variables))]
        h, c = tf.stop_gradient(new_h), tf.stop_gradient(new_c)
    return [(v - RATE * g).numpy() for v, g in zip(variables, total)]


@pytest.mark.parametrize("k", [1, 2, 4])
def test_truncated_update_equals_a_hand_written_reference(k):
    model = _single_convlstm()
    clips, targets = _data()
    clips = clips[:, :, 1:7, 1:7]
    expected = _reference_tbptt_update(model, clips, targets, k)
    _compile(model)
    tbptt_step(model, clips, targets, chunk_length=k)
    got = model.get_layer("convlstm").get_weights() + model.get_layer("predictions").get_weights()
    assert _max_difference(got, expected) < 1e-6


@pytest.mark.parametrize("per_frame", [True, False], ids=["per_frame", "per_clip"])
@pytest.mark.parametrize("k", [1, 4])
def test_chunked_forward_pass_equals_the_full_sequence(per_frame, k):
    model = _res_convlstm(per_frame=per_frame)
    clips, _ = _data()
    full = keras.ops.convert_to_numpy(model(clips))
    chunked = predict_in_chunks(model, clips, chunk_length=k)
    assert chunked.shape == full.shape
    np.testing.assert_allclose(chunked, full, atol=1e-5)
    # Without the carried states the chunks start from zero and the outputs differ.
    fresh = np.concatenate([keras.ops.convert_to_numpy(model(clips[:, s:s + 2])) for s in range(0, FRAMES, 2)], 1)
    if per_frame:
        assert np.abs(fresh - full).max() > 1e-4


def test_keras_recurrent_layers_carry_their_states_too():
    inputs = keras.Input((None, 6, 6, 1))
    x = keras.layers.ConvLSTM2D(3, 3, padding="same", return_sequences=True)(inputs)
    x = keras.layers.Reshape((-1, 108))(x)
    x = keras.layers.GRU(4, return_sequences=True)(x)
    model = keras.Model(inputs, keras.layers.SimpleRNN(3)(x))
    assert len(recurrent_layers(model)) == 3
    clips = np.random.default_rng(0).random((2, 7, 6, 6, 1), "float32")
    np.testing.assert_allclose(predict_in_chunks(model, clips, chunk_length=3), model(clips), atol=1e-5)
    assert np.abs(keras.ops.convert_to_numpy(model(clips[:, 6:])) - model(clips)).max() > 1e-4


def test_the_model_is_left_as_it_was():
    model = _res_convlstm()
    clips, targets = _data()
    names = [v.path for v in model.weights]
    _compile(model)
    tbptt_step(model, clips, targets, chunk_length=2)
    assert [v.path for v in model.weights] == names
    assert not any(layer.stateful for layer in recurrent_layers(model))
    assert model(clips[:1]).shape == (1, FRAMES, 3)  # any batch size again


def test_recurrent_layers_are_found_in_blocks():
    names = [layer.name for layer in recurrent_layers(_res_convlstm())]
    assert sorted(names) == ["lstm", "op", "projection"]


@pytest.mark.parametrize("bad", [0, -2, 2.5, True, None, "8"])
def test_bad_chunk_length_is_refused(bad):
    model = _res_convlstm()
    _compile(model)
    clips, targets = _data()
    with pytest.raises(ValueError, match=r"`chunk_length` must be an int >= 1\. Received: chunk_length="):
        tbptt_step(model, clips, targets, chunk_length=bad)
    with pytest.raises(ValueError, match="chunk_length"):
        predict_in_chunks(model, clips, chunk_length=bad)


def test_clear_errors():
    clips, targets = _data()
    model = _res_convlstm()
    with pytest.raises(ValueError, match="Compile the model"):
        tbptt_step(model, clips, targets, chunk_length=2)
    _compile(model)
    with pytest.raises(ValueError, match="targets need one per frame"):
        tbptt_step(model, clips, targets[:, 0], chunk_length=2)
    fixed = _res_convlstm(input_shape=(FRAMES, 8, 8, 1))
    _compile(fixed)
    with pytest.raises(ValueError, match=r"takes exactly 6 frames.*input_shape=\(None"):
        tbptt_step(fixed, clips, targets, chunk_length=4)
    tbptt_step(fixed, clips, targets, chunk_length=FRAMES)  # one chunk of the model's frames is fine
    with pytest.raises(ValueError, match="reads the frames backwards"):
        predict_in_chunks(_res_convlstm(bidirectional=True), clips, chunk_length=2)
    with pytest.raises(ValueError, match="resets its states every 2 frames.*state_reset_period=None"):
        predict_in_chunks(_res_convlstm(op_options={"state_reset_period": 2}), clips, chunk_length=2)
    inputs = keras.Input((None, 8, 8, 1))
    temporal = keras.layers.Conv3D(2, (3, 1, 1), padding="same", name="temporal")(inputs)
    mixing = keras.Model(inputs, keras.layers.LSTM(3)(keras.layers.Reshape((-1, 128))(temporal)))
    with pytest.raises(ValueError, match="'temporal' \\(Conv3D\\) mixes neighbouring frames"):
        predict_in_chunks(mixing, clips, chunk_length=2)
    plain = keras.Model(inputs, keras.layers.Dense(3)(keras.layers.Reshape((-1, 64))(inputs)))
    with pytest.raises(ValueError, match="no recurrent layer"):
        predict_in_chunks(plain, clips, chunk_length=2)


def test_fit_makes_one_update_per_batch_and_reports_history():
    model = _res_convlstm()
    _compile(model)
    clips, targets = _data(batch=5)
    train = tf.data.Dataset.from_tensor_slices((clips, targets)).batch(2)  # batches of 2, 2 and 1
    history = tbptt_fit(model, train, chunk_length=4, epochs=2, validation_data=train, verbose=0)
    assert len(history["loss"]) == 2 and all(np.isfinite(history["loss"]))
    assert len(history["val_loss"]) == 2
    assert int(model.optimizer.iterations.numpy()) == 6
    with pytest.raises(ValueError, match="`epochs` must be an int >= 1. Received: epochs=0"):
        tbptt_fit(model, train, chunk_length=4, epochs=0)


def test_other_backends_are_refused_at_once(monkeypatch):
    model = _res_convlstm()
    _compile(model)
    monkeypatch.setattr(keras.backend, "backend", lambda: "jax")
    with pytest.raises(ValueError, match="truncated backpropagation through time needs the TensorFlow backend.*'jax'"):
        tbptt_step(model, *_data(), chunk_length=2)


def test_mixed_precision_loss_scaling():
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        model = _res_convlstm()
        full, truncated = _updates(model, *_data(), [FRAMES, 2])
        assert type(model.optimizer).__name__ == "LossScaleOptimizer"
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert _max_difference(truncated[FRAMES], full) < 1e-3  # float16 activations
    assert _max_difference(truncated[2], full) > 5e-3


def test_the_reverse_direction_copy_trains_through_its_inner_network_on_reversed_clips():
    from stkeras.training import reverse_direction

    backward = reverse_direction(_res_convlstm())
    clips, targets = _data()
    start = backward.get_weights()
    _compile(backward)
    with pytest.raises(ValueError, match="reads the frames backwards.*_backward"):
        tbptt_step(backward, clips, targets, chunk_length=2)
    backward.train_on_batch(clips, targets)
    full = _trainable(backward)
    backward.set_weights(start)
    inner = backward.get_layer(f"{backward.layers[2].name}")
    assert inner.name.endswith("_backward") and isinstance(inner, keras.Model)
    _compile(inner)
    tbptt_step(inner, clips[:, ::-1], targets[:, ::-1], chunk_length=FRAMES)
    assert _max_difference(_trainable(backward), full) < 1e-6


def test_fit_calls_keras_callbacks():
    model = _res_convlstm()
    _compile(model)
    train = tf.data.Dataset.from_tensor_slices(_data(batch=4)).batch(2)
    # Every epoch after the first is a plateau (min_delta is huge): the rate halves after epoch 2, when
    # EarlyStopping ends the training.
    plateau = keras.callbacks.ReduceLROnPlateau("loss", factor=0.5, patience=0, min_delta=1e9)
    stop = keras.callbacks.EarlyStopping("loss", patience=0, min_delta=1e9)
    history = tbptt_fit(model, train, chunk_length=3, epochs=5, callbacks=[plateau, stop], verbose=0)
    assert len(history["loss"]) == 2
    assert float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)) == pytest.approx(RATE / 2)
    with pytest.raises(TypeError, match="`callbacks` must be None or a list"):
        tbptt_fit(model, train, chunk_length=3, callbacks=plateau)
