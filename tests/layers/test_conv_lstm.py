import keras
import numpy as np
import pytest
import tensorflow as tf

from stkeras.layers import ConvLSTM2D
from tests.layer_checks import assert_close
from tests.layer_checks import check_layer
from tests.layer_checks import to_numpy


def _rand(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def _pair(**kwargs):
    """A Keras ConvLSTM2D and ours with the same weights."""
    reference = keras.layers.ConvLSTM2D(**kwargs)
    ours = ConvLSTM2D(**kwargs)
    return reference, ours


def _as_list(y):
    return list(y) if isinstance(y, (list, tuple)) else [y]


# --------------------------------------------------------- Keras' own cases
@pytest.mark.parametrize(
    "init_kwargs, input_shape, output_shape, call_kwargs",
    [
        ({"filters": 5, "kernel_size": 3, "padding": "same"}, (3, 2, 4, 4, 3), (3, 4, 4, 5), {}),
        (
            {"filters": 5, "kernel_size": 3, "padding": "valid", "recurrent_dropout": 0.5},
            (3, 2, 8, 8, 3),
            (3, 6, 6, 5),
            {"training": True},
        ),
        (
            {"filters": 5, "kernel_size": 3, "padding": "valid", "return_sequences": True},
            (3, 2, 8, 8, 3),
            (3, 2, 6, 6, 5),
            {},
        ),
        (
            {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same",
             "return_sequences": True, "state_reset_period": 2},
            (2, 5, 9, 9, 3),
            (2, 5, 5, 5, 4),
            {},
        ),
        (
            {"filters": 4, "kernel_size": 3, "padding": "same", "dropout": 0.3,
             "go_backwards": True, "unroll": False},
            (2, 3, 6, 6, 2),
            (2, 6, 6, 4),
            {"training": True},
        ),
    ],
)
def test_layer_checks(init_kwargs, input_shape, output_shape, call_kwargs, tmp_path):
    check_layer(
        ConvLSTM2D,
        init_kwargs,
        input_shape,
        output_shape,
        tmp_path,
        call_kwargs=call_kwargs,
        expected_num_trainable_weights=3,
    )


def test_keras_correctness_values():
    # The expected values of Keras' own ConvLSTM2D correctness test.
    sequence = np.arange(480).reshape((2, 3, 4, 4, 5)).astype("float32") / 100
    expected = np.array(
        [
            [[[0.48694518, 0.48694518], [0.50237733, 0.50237733]],
             [[0.5461202, 0.5461202], [0.5598283, 0.5598283]]],
            [[[0.8661607, 0.8661607], [0.86909103, 0.86909103]],
             [[0.8774414, 0.8774414], [0.8800861, 0.8800861]]],
        ]
    )
    layer = ConvLSTM2D(
        filters=2,
        kernel_size=3,
        kernel_initializer=keras.initializers.Constant(0.01),
        recurrent_initializer=keras.initializers.Constant(0.02),
        bias_initializer=keras.initializers.Constant(0.03),
    )
    assert_close(layer(sequence), expected, atol=1e-6)


# ------------------------------------------------------- drop-in equality
EQUIVALENCE_CASES = [
    {"padding": "same"},
    {"padding": "valid"},
    {"padding": "same", "strides": 2, "return_sequences": True},
    {"padding": "valid", "strides": 2, "return_state": True},
    {"padding": "same", "go_backwards": True, "return_sequences": True, "return_state": True},
    {"padding": "valid", "dilation_rate": 2, "return_sequences": True},
    {"padding": "same", "data_format": "channels_first", "return_sequences": True},
    {"padding": "same", "activation": "relu", "recurrent_activation": "hard_sigmoid"},
    {"padding": "same", "use_bias": False, "unit_forget_bias": False},
    {"padding": "same", "dropout": 0.4, "recurrent_dropout": 0.4},  # inference mode
]


@pytest.mark.parametrize("kwargs", EQUIVALENCE_CASES)
@pytest.mark.parametrize("unroll", [None, False])
def test_same_outputs_as_keras(kwargs, unroll):
    x = _rand((2, 5, 9, 9, 3))
    channels_first = kwargs.get("data_format") == "channels_first"
    # TensorFlow's CPU convolutions take NHWC only on some CPUs, so Keras'
    # layer is the reference in channels_last (same weight layout) and its
    # outputs are transposed to channels_first.
    reference = keras.layers.ConvLSTM2D(filters=4, kernel_size=3, **{**kwargs, "data_format": "channels_last"})
    ours = ConvLSTM2D(filters=4, kernel_size=3, unroll=unroll, **kwargs)
    expected = _as_list(reference(x))
    if channels_first:
        x = x.transpose(0, 1, 4, 2, 3)
        expected = [np.moveaxis(to_numpy(e), -1, -3) for e in expected]
    ours(x)
    assert [w.name for w in ours.weights] == [w.name for w in reference.weights]
    assert [w.shape for w in ours.weights] == [w.shape for w in reference.weights]
    ours.set_weights(reference.get_weights())
    for a, b in zip(_as_list(ours(x)), expected):
        assert_close(a, b, atol=1e-5)


@pytest.mark.tensorflow_only("the reference, keras.layers.ConvLSTM2D, fails with a mask on JAX (stkeras' layer does not)")
def test_same_outputs_with_mask_and_initial_state():
    x = _rand((2, 5, 6, 6, 3))
    mask = np.array([[1, 1, 0, 1, 0], [1, 0, 1, 1, 1]], bool)
    h0, c0 = _rand((2, 6, 6, 4), 1), _rand((2, 6, 6, 4), 2)
    for zero_output in (False, True):
        kwargs = dict(filters=4, kernel_size=3, padding="same", return_sequences=True,
                      zero_output_for_mask=zero_output)
        reference, ours = _pair(**kwargs)
        expected = reference(x, mask=mask, initial_state=[h0, c0])
        ours(x)
        ours.set_weights(reference.get_weights())
        assert_close(ours(x, mask=mask, initial_state=[h0, c0]), expected, atol=1e-5)
        looped = ConvLSTM2D(unroll=False, **kwargs)
        looped(x)
        looped.set_weights(reference.get_weights())
        assert_close(looped(x, mask=mask, initial_state=[h0, c0]), expected, atol=1e-5)


@pytest.mark.tensorflow_only("gradients through tf.GradientTape")
def test_same_gradients_as_keras():
    x = _rand((2, 6, 8, 8, 3))
    reference, ours = _pair(filters=4, kernel_size=3, strides=2, padding="same", return_sequences=True)
    reference(x)
    ours(x)
    ours.set_weights(reference.get_weights())

    def grads(layer):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(tf.square(layer(x)))
        return tape.gradient(loss, layer.trainable_weights)

    for a, b in zip(grads(ours), grads(reference)):
        assert_close(a, b, rtol=1e-4, atol=1e-5)


def test_dynamic_number_of_frames():
    inputs = keras.Input((None, 8, 8, 2))
    outputs = ConvLSTM2D(3, 3, padding="same", return_sequences=True)(inputs)
    assert tuple(outputs.shape) == (None, None, 8, 8, 3)
    model = keras.Model(inputs, outputs)
    assert model.predict(_rand((2, 7, 8, 8, 2)), verbose=0).shape == (2, 7, 8, 8, 3)
    assert model.predict(_rand((2, 3, 8, 8, 2)), verbose=0).shape == (2, 3, 8, 8, 3)


def test_training_dropout_same_in_unrolled_and_looped_paths():
    """Per-frame (unrolled) and batched (looped) input convolutions draw and
    apply the same per-sequence dropout masks."""
    x = _rand((2, 5, 6, 6, 3))
    kwargs = dict(filters=4, kernel_size=3, padding="same", dropout=0.5,
                  recurrent_dropout=0.3, return_sequences=True)
    unrolled = ConvLSTM2D(seed=7, **kwargs)
    looped = ConvLSTM2D(seed=7, unroll=False, **kwargs)
    unrolled.build(x.shape)
    looped.build(x.shape)
    looped.set_weights(unrolled.get_weights())
    dropped = unrolled(x, training=True)
    assert_close(looped(x, training=True), dropped, atol=1e-5)
    assert not np.allclose(to_numpy(dropped), to_numpy(unrolled(x, training=False)), atol=1e-3)


# ------------------------------------------------------------ state reset
@pytest.mark.parametrize(
    "kwargs",
    [
        {"padding": "same"},
        {"padding": "valid", "strides": 2},
        {"padding": "same", "go_backwards": True},
        {"padding": "same", "unroll": False},
    ],
)
def test_state_reset_equals_fresh_runs_on_windows(kwargs):
    # With period k, the output at (processing) frame t is the output of a
    # fresh layer run on the frames since the last reset.
    period, frames = 3, 8
    x = _rand((2, frames, 9, 9, 3))
    layer = ConvLSTM2D(4, 3, return_sequences=True, state_reset_period=period, **kwargs)
    full = to_numpy(layer(x))
    plain = ConvLSTM2D(4, 3, return_sequences=True, **{k: v for k, v in kwargs.items() if k != "go_backwards"})
    plain(x)
    plain.set_weights(layer.get_weights())
    ordered = x[:, ::-1] if kwargs.get("go_backwards") else x
    for t in range(frames):
        start = (t // period) * period
        window = to_numpy(plain(ordered[:, start : t + 1]))
        assert_close(full[:, t], window[:, -1], atol=1e-5)
    # Without resets the outputs differ: the test can fail.
    plain_full = to_numpy(plain(ordered))
    assert np.abs(plain_full[:, period:] - full[:, period:]).max() > 1e-3


def test_state_reset_period_one_has_no_memory():
    x = _rand((1, 4, 6, 6, 2))
    layer = ConvLSTM2D(3, 3, padding="same", return_sequences=True, state_reset_period=1)
    y = to_numpy(layer(x))
    for t in range(4):
        assert_close(y[:, t], to_numpy(layer(x[:, t : t + 1]))[:, 0], atol=1e-6)


# --------------------------------------------------------------- stateful
def test_stateful_carries_states_between_calls():
    x = _rand((2, 6, 6, 6, 2))
    layer = ConvLSTM2D(3, 3, padding="same", stateful=True)
    whole = ConvLSTM2D(3, 3, padding="same")
    layer(x[:, :3])
    whole(x)
    layer.set_weights(whole.get_weights())
    layer.reset_state()
    layer(x[:, :3])
    assert_close(layer(x[:, 3:]), whole(x), atol=1e-5)
    layer.reset_state()
    assert_close(layer(x[:, 3:]), whole(x[:, 3:]), atol=1e-5)
    assert len(layer.weights) == 3


# ----------------------------------------------------------------- errors
@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"strides": 2, "dilation_rate": 2}, "strides > 1"),
        ({"state_reset_period": 0}, "state_reset_period"),
        ({"state_reset_period": 2.5}, "state_reset_period"),
        ({"padding": "causal"}, "padding"),
        ({"kernel_size": (3, 3, 3)}, "kernel_size"),
        ({"filters": 0}, "filters"),
        ({"unroll": "yes"}, "unroll"),
    ],
)
def test_bad_arguments_raise(kwargs, message):
    arguments = {"filters": 2, "kernel_size": 3, **kwargs}
    with pytest.raises(ValueError, match=message):
        ConvLSTM2D(**arguments)


def test_build_errors():
    with pytest.raises(ValueError, match="batch size must be static"):
        ConvLSTM2D(2, 3, stateful=True)(keras.Input((3, 8, 8, 1)))
    with pytest.raises(ValueError, match="input_shape"):
        ConvLSTM2D(2, 5)(keras.Input((3, 4, 4, 1)))
    with pytest.raises(ValueError, match="static"):
        ConvLSTM2D(2, 3, unroll=True)(keras.Input((None, 8, 8, 1)))
