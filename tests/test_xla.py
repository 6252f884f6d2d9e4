"""Every family trains under XLA (`jit_compile=True`, Keras' default on a GPU) with the same numbers as without it."""

import json
import os
import subprocess
import sys
import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf

import stkeras
from stkeras.experiments import seed_everything
from stkeras.training import XLAFallbackWarning
from stkeras.training import compile_for_task
from stkeras.training import resolve_jit_compile
from tests.families import CLIP
from tests.families import FAMILIES


@pytest.fixture(autouse=True)
def _no_op_determinism():
    """Keras never compiles with XLA under op determinism, which a seeded run earlier in this process may have set."""
    from tensorflow.python.framework import config

    was_on = config.is_op_determinism_enabled()
    config.disable_op_determinism()
    yield
    if was_on:
        config.enable_op_determinism()


# Families per child process: XLA's memory grows with every compilation until its process ends.
CHUNK = 8


@pytest.fixture(scope="module")
def xla_steps():
    """Every family's step with and without XLA, from child processes (`tests.xla_check`), computed once per run."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    names, steps = list(FAMILIES), {}
    for start in range(0, len(names), CHUNK):
        result = subprocess.run([sys.executable, "-m", "tests.xla_check", *names[start:start + CHUNK]],
                                cwd=root, capture_output=True, text=True, timeout=400)
        assert result.returncode == 0, result.stderr[-3000:]
        steps.update(json.loads(result.stdout.strip().splitlines()[-1]))
    return steps


# One test process runs every family (`--dist loadfile`), so the child processes run once.
@pytest.mark.parametrize("family", list(FAMILIES))
def test_one_training_step_under_xla_gives_the_same_numbers(family, xla_steps):
    step = xla_steps[family]
    assert "error" not in step, step.get("error")
    # float32 through a few dozen layers whose sums XLA fuses and orders differently: the
    # losses measured differ by at most 2e-5 relative (Courtney & Sreenivas' ConvLSTM, R(2+1)D).
    np.testing.assert_allclose(step["xla_loss"], step["plain_loss"], rtol=1e-4)
    # The updates (gradients, and the moving statistics of batch normalization) measured differ by
    # at most 3e-4 of their size: batch normalization over the few values of a last stage at these
    # tiny shapes magnifies rounding. A wrong gradient would differ by the order of the update.
    assert step["update"] > 0
    assert step["difference"] <= 1e-2 * step["update"], step


@keras.saving.register_keras_serializable(package="stkeras_tests")
class NumpyScale(keras.layers.Layer):
    """Multiplies by 2 in NumPy: a layer XLA cannot compile, as it declares."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_jit = False

    def call(self, inputs):
        outputs = tf.numpy_function(lambda a: 2 * a, [inputs], tf.float32, stateful=False)
        outputs.set_shape(inputs.shape)
        return outputs

    def compute_output_shape(self, input_shape):
        return input_shape


def _model_with_numpy_layer():
    inputs = keras.Input(CLIP)
    x = NumpyScale(name="numpy_scale")(inputs)
    x = keras.layers.GlobalAveragePooling3D()(x)
    return keras.Model(inputs, keras.layers.Dense(10, activation="softmax", name="predictions")(x), name="numpy_net")


def test_a_layer_xla_cannot_compile_falls_back_with_a_warning_naming_it():
    model = _model_with_numpy_layer()
    with pytest.warns(XLAFallbackWarning, match=r"numpy_net trains without XLA .*numpy_scale \(NumpyScale\)"):
        compile_for_task(model, "digit", jit_compile=True)
    assert model.jit_compile is False
    x = np.ones((2, *CLIP), "float32")
    loss, _ = model.train_on_batch(x, np.array([1, 3]))
    assert np.isfinite(loss)


def test_op_determinism_falls_back_with_a_warning_naming_it():
    model = stkeras.build_small_3d_cnn(conv="regular", input_shape=CLIP, num_classes=3, filters=(4, 4, 8))
    seed_everything(0)  # enables op determinism (the fixture turns it off again)
    with pytest.warns(XLAFallbackWarning, match="op determinism is on"):
        assert resolve_jit_compile(model, True) is False


def test_no_warning_where_xla_is_not_asked_for_or_not_needed():
    model = _model_with_numpy_layer()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert resolve_jit_compile(model, False) is False
        if not tf.config.list_physical_devices("GPU"):  # "auto" compiles without XLA on a CPU anyway
            assert resolve_jit_compile(model, "auto") == "auto"
        assert resolve_jit_compile(stkeras.build_small_3d_cnn(conv="regular", input_shape=CLIP, num_classes=3,
                                                               filters=(4, 4, 8)), True) is True


def test_jit_compile_must_be_true_false_or_auto():
    with pytest.raises(ValueError, match="jit_compile"):
        resolve_jit_compile(_model_with_numpy_layer(), "yes")
