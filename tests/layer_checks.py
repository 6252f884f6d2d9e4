"""Checks a layer or a model the way Keras checks its own layers.

`check_layer` runs what Keras' `run_layer_test` checks: config round-trip,
a `serialize_keras_object` / `deserialize_keras_object` round trip, symbolic
call, eager call, `compute_output_shape`, weight counts, a `mixed_float16`
pass, one `fit` step that changes the weights, and a `.keras` save/load with
`safe_mode=True` that gives the same outputs. `check_model` runs the
model-level part of the same for builders.
"""

import os

import keras
import numpy as np


def _first(x):
    return x[0] if isinstance(x, (list, tuple)) else x


def to_numpy(x):
    """A tensor, variable or array of any backend as a NumPy array (PyTorch's detached from its graph)."""
    return keras.ops.convert_to_numpy(x)


def assert_close(actual, desired, *args, **tolerances):
    """`np.testing.assert_allclose` on tensors of any backend."""
    np.testing.assert_allclose(to_numpy(actual), to_numpy(desired), *args, **tolerances)


def _numpy(outputs):
    return keras.tree.map_structure(keras.ops.convert_to_numpy, outputs)


def _shape(x):
    return tuple(int(d) for d in x.shape)


def check_config_round_trip(obj):
    config = obj.get_config()
    clone = type(obj).from_config(config)
    assert clone.get_config() == config, "get_config() does not round-trip"
    # What `.keras` saving does with the object: registered name, class and config.
    serialized = keras.saving.serialize_keras_object(obj)
    revived = keras.saving.deserialize_keras_object(serialized, safe_mode=True)
    assert type(revived) is type(obj), (type(revived), type(obj))
    assert revived.get_config() == config, "serialize_keras_object does not round-trip"
    return clone


def check_mixed_precision(layer_cls, init_kwargs, x, call_kwargs):
    """The layer runs under `mixed_float16`: float16 computation, float32 weights."""
    layer = layer_cls(**init_kwargs, dtype="mixed_float16")
    y = _first(layer(x, **call_kwargs))
    assert keras.backend.standardize_dtype(y.dtype) == "float16", y.dtype
    assert np.all(np.isfinite(keras.ops.convert_to_numpy(keras.ops.cast(y, "float32"))))
    assert all(keras.backend.standardize_dtype(w.dtype) == "float32" for w in layer.weights)


def check_model(model, inputs, tmp_path, fit=True):
    """Fit step, config round-trip and `.keras` save/load of a model.

    Args:
        model: a functional `keras.Model`.
        inputs: a NumPy batch for the model.
        tmp_path: folder for the saved model.
        fit: whether to run one training step (needs trainable weights).
    """
    # Eager calls: tracing `predict` for every model costs seconds each; the
    # fit step below runs the traced graph.
    reference = _numpy(model(inputs, training=False))

    clone = type(model).from_config(model.get_config())
    assert clone.count_params() == model.count_params()
    assert [l.name for l in clone.layers] == [l.name for l in model.layers]

    path = os.path.join(str(tmp_path), f"{model.name}.keras")
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    keras.tree.map_structure(
        lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6),
        _numpy(loaded(inputs, training=False)), reference,
    )

    if fit:
        outputs = _first(reference)
        model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
        before = [w.numpy().copy() for w in model.trainable_weights]
        history = model.fit(
            inputs, np.ones_like(outputs), epochs=1, batch_size=len(inputs), verbose=0
        )
        assert np.isfinite(history.history["loss"][0])
        after = [w.numpy() for w in model.trainable_weights]
        changed = sum(not np.array_equal(a, b) for a, b in zip(before, after))
        assert changed > 0, "one fit step changed no weight"
    return loaded


def check_layer(
    layer_cls,
    init_kwargs,
    input_shape,
    expected_output_shape,
    tmp_path,
    call_kwargs=None,
    expected_num_trainable_weights=None,
    expected_num_non_trainable_weights=None,
    fit=True,
    seed=0,
    mixed_precision=True,
):
    """Runs the Keras-style layer checks; returns the layer built in a model.

    Args:
        layer_cls: the layer class.
        init_kwargs: constructor arguments.
        input_shape: full input shape including the batch size.
        expected_output_shape: full output shape (first output for layers
            with several outputs).
        tmp_path: folder for the saved model.
        call_kwargs: extra arguments of the eager call (e.g.
            `{"training": True}`).
        expected_num_trainable_weights, expected_num_non_trainable_weights:
            if given, checked after building.
        fit: whether to run the `fit` step.
        mixed_precision: whether to run the `mixed_float16` pass.
    """
    call_kwargs = call_kwargs or {}
    expected_output_shape = tuple(expected_output_shape)
    x = np.random.default_rng(seed).uniform(size=input_shape).astype("float32")

    # Config round-trip before and after building.
    layer = layer_cls(**init_kwargs)
    check_config_round_trip(layer)

    # Eager call.
    eager = layer_cls(**init_kwargs)
    y = _first(eager(x, **call_kwargs))
    assert _shape(y) == expected_output_shape, (_shape(y), expected_output_shape)
    computed = eager.compute_output_shape(input_shape)
    if isinstance(computed[0], (tuple, list)):
        computed = computed[0]
    assert tuple(computed) == expected_output_shape, (computed, expected_output_shape)
    if expected_num_trainable_weights is not None:
        assert len(eager.trainable_weights) == expected_num_trainable_weights
    if expected_num_non_trainable_weights is not None:
        assert len(eager.non_trainable_weights) == expected_num_non_trainable_weights
    assert len(eager.weights) == len(eager.trainable_weights) + len(eager.non_trainable_weights)
    check_config_round_trip(eager)
    if mixed_precision:
        check_mixed_precision(layer_cls, init_kwargs, x, call_kwargs)

    # Symbolic call (batch size left dynamic). `call_kwargs` such as
    # `training=True` are for the eager call only: the model gets its
    # training flag from `fit` and `predict`.
    inputs = keras.Input(shape=input_shape[1:])
    layer = layer_cls(**init_kwargs)
    outputs = layer(inputs)
    symbolic = _first(outputs)
    assert tuple(symbolic.shape[1:]) == expected_output_shape[1:], (
        symbolic.shape,
        expected_output_shape,
    )
    model = keras.Model(inputs, symbolic, name=f"{layer.name}_model")
    check_model(model, x, tmp_path, fit=fit)
    return layer
