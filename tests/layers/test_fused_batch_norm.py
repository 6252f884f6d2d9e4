"""FusedBatchNormalization gives keras.layers.BatchNormalization's outputs, gradients and moving statistics."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from stkeras.layers import FusedBatchNormalization
from tests.layer_checks import check_layer

CASES = [
    # (input shape, constructor arguments)
    ((3, 4, 5, 5, 6), {}),
    ((3, 4, 5, 5, 6), {"momentum": 0.9, "epsilon": 1e-5}),  # PyTorch's epsilon: the fused kernel too
    ((3, 4, 5, 5, 6), {"center": False, "scale": False}),
    ((6, 5, 5, 6), {"momentum": 0.5}),
    ((3, 4, 5, 5, 6), {"axis": 1}),  # Keras' own computation
    ((3, 4, 5, 5, 6), {"epsilon": 1e-6}),  # below the fused kernel's epsilon: Keras' own computation
    ((3, 4, 5, 5, 6), {"synchronized": True}),  # the all-reduced moments, on the one replica there is
    ((3, 4, 5, 5, 6), {"synchronized": True, "axis": 1}),
]


def _pair(shape, options):
    ours, reference = FusedBatchNormalization(**options), keras.layers.BatchNormalization(**options)
    ours.build(shape)
    reference.build(shape)
    rng = np.random.default_rng(1)
    reference.set_weights([rng.uniform(0.5, 2.0, size=w.shape) for w in reference.get_weights()])
    ours.set_weights(reference.get_weights())
    return ours, reference


@pytest.mark.tensorflow_only("gradients through tf.GradientTape")
@pytest.mark.parametrize("shape,options", CASES)
@pytest.mark.parametrize("training", [True, False])
def test_matches_keras_batch_normalization(shape, options, training):
    ours, reference = _pair(shape, options)
    x = tf.constant(np.random.default_rng(0).normal(2.0, 3.0, size=shape).astype("float32"))
    upstream = tf.constant(np.random.default_rng(2).normal(size=shape).astype("float32"))
    results = []
    for layer in (ours, reference):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = layer(x, training=training)
            loss = tf.reduce_sum(y * upstream)
        results.append((y, tape.gradient(loss, [x, *layer.trainable_weights]),
                        [w.numpy() for w in layer.non_trainable_weights]))
    (y_ours, grads_ours, stats_ours), (y_ref, grads_ref, stats_ref) = results
    np.testing.assert_allclose(y_ours, y_ref, rtol=1e-4, atol=1e-4)
    for a, b in zip(grads_ours, grads_ref):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=1e-3)
    for a, b in zip(stats_ours, stats_ref):  # the moving mean and (biased) variance
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
    initial = [w.numpy() for w in _pair(shape, options)[1].non_trainable_weights]
    assert training != np.allclose(stats_ours[0], initial[0])  # training moves the statistics, inference does not


@pytest.mark.tensorflow_only("reads the op names of a tf.function graph")
@pytest.mark.parametrize("epsilon, fused", [(1e-3, True), (1e-5, True), (1e-6, False)])
def test_runs_the_fused_kernel_on_clips(epsilon, fused):
    layer = FusedBatchNormalization(epsilon=epsilon)
    layer.build((2, 3, 4, 4, 5))
    graph = tf.function(lambda x: layer(x, training=True)).get_concrete_function(
        tf.TensorSpec((2, 3, 4, 4, 5))).graph
    assert any(op.type.startswith("FusedBatchNorm") for op in graph.get_operations()) == fused
    # With a variance far below epsilon the output is about (x - mean) / sqrt(epsilon): epsilon exactly as given
    # (1.001e-5 for 1e-5 would be 5e-4 off).
    x = np.zeros((2, 3, 4, 4, 5), "float32")
    x[0, 0, 0, 0] = 1e-3
    y = keras.ops.convert_to_numpy(layer(x, training=True))
    mean, variance = x.mean(axis=(0, 1, 2, 3)), x.var(axis=(0, 1, 2, 3))
    np.testing.assert_allclose(y[0, 0, 0, 0], (x[0, 0, 0, 0] - mean) / np.sqrt(variance + epsilon), rtol=1e-5)


def test_synchronized_defaults_to_the_replicas_in_sync():
    layer = FusedBatchNormalization()
    assert layer.synchronized is None and not layer.synchronizes()
    if keras.backend.backend() == "tensorflow":
        assert FusedBatchNormalization(synchronized=True).synchronizes()
    else:  # Keras synchronizes through tf.distribute only
        with pytest.raises(ValueError, match="only supported with the TensorFlow backend"):
            FusedBatchNormalization(synchronized=True)
    assert FusedBatchNormalization.from_config(layer.get_config()).synchronized is None
    with pytest.raises(ValueError, match="Received: synchronized='yes'"):
        FusedBatchNormalization(synchronized="yes")


def test_unknown_frames_in_a_model(tmp_path):
    inputs = keras.Input((None, 4, 4, 3))
    model = keras.Model(inputs, FusedBatchNormalization()(inputs))
    clips = np.random.default_rng(0).normal(size=(2, 5, 4, 4, 3)).astype("float32")
    model.compile(optimizer="sgd", loss="mse")
    model.fit(clips, clips, verbose=0)
    expected = model.predict(clips, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    assert isinstance(loaded.layers[-1], FusedBatchNormalization)
    np.testing.assert_array_equal(loaded.predict(clips, verbose=0), expected)


def test_keras_layer_checks(tmp_path):
    check_layer(FusedBatchNormalization, {"momentum": 0.9}, (2, 3, 4, 4, 5), (2, 3, 4, 4, 5), tmp_path,
                expected_num_trainable_weights=2, expected_num_non_trainable_weights=2)
