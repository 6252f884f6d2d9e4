"""The mixed precision policy of the machine, and float32 predictions under it."""

import keras
import numpy as np
import pytest

import stkeras.training.precision as precision
from stkeras.models import from_preset
from stkeras.training import compile_for_task
from stkeras.training import cpu_supports_bfloat16
from stkeras.training import mixed_precision_policy
from tests.families import FAMILIES


@pytest.fixture
def mixed_bfloat16():
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    yield
    keras.mixed_precision.set_global_policy("float32")


def test_the_policy_is_float16_on_a_gpu_and_bfloat16_on_a_cpu_with_bfloat16(monkeypatch):
    monkeypatch.setattr(precision, "_gpu_visible", lambda: True)
    assert mixed_precision_policy() == "mixed_float16"
    monkeypatch.setattr(precision, "_gpu_visible", lambda: False)
    monkeypatch.setattr(precision, "cpu_supports_bfloat16", lambda: True)
    assert mixed_precision_policy() == "mixed_bfloat16"
    monkeypatch.setattr(precision, "cpu_supports_bfloat16", lambda: False)
    with pytest.raises(RuntimeError, match="no GPU is visible and the CPU has no bfloat16"):
        mixed_precision_policy()


@pytest.mark.parametrize(("cpuinfo", "expected"), [
    ("processor\t: 0\nflags\t\t: fpu sse avx2 avx512f avx512_bf16 avx512_vnni\n", True),
    ("flags\t\t: fpu avx2 amx_bf16 amx_tile\n", True),
    ("Features\t: fp asimd bf16 i8mm\n", True),  # Arm
    ("flags\t\t: fpu sse avx2 avx512f avx512_vnni\n", False),
    ("model name\t: bf16 in a name is not a flag\n", False),
    ("", False),
])
def test_bfloat16_instructions_are_read_from_the_cpu_flags(cpuinfo, expected):
    assert cpu_supports_bfloat16(cpuinfo) is expected


@pytest.mark.parametrize("family", list(FAMILIES))
def test_every_family_predicts_in_float32_under_a_mixed_policy(family, mixed_bfloat16):
    model = FAMILIES[family]()
    assert model.layers[-1].compute_dtype == "float32"  # "predictions", or the autoencoder's last convolution
    assert keras.backend.standardize_dtype(model.output.dtype) == "float32"
    assert any(layer.compute_dtype == "bfloat16" for layer in model.layers), "nothing computes in bfloat16"


@pytest.mark.skipif(not cpu_supports_bfloat16(), reason="the CPU has no bfloat16 instructions")
@pytest.mark.parametrize("name", ["conv2d", "convlstm"])
def test_a_quick_model_trains_one_step_under_mixed_bfloat16(name, mixed_bfloat16):
    model = compile_for_task(from_preset(name, input_shape=(4, 16, 16, 1), task="digit"), "digit", jit_compile=False)
    x = np.random.default_rng(0).uniform(size=(4, 4, 16, 16, 1)).astype("float32")
    loss, _ = model.train_on_batch(x, np.array([0, 3, 5, 9]))
    assert np.isfinite(loss)
    predictions = model.predict(x, verbose=0)
    assert predictions.dtype == np.float32
    np.testing.assert_allclose(predictions.sum(axis=-1), 1, rtol=1e-5)
    assert all(keras.backend.standardize_dtype(weight.dtype) == "float32" for weight in model.trainable_weights)
