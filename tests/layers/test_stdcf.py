import keras
import numpy as np
import pytest
import tensorflow as tf

import stkeras
from stkeras.layers import Rank1Conv3D
from stkeras.layers import STDCFConv3D
from stkeras.layers.dilation import dilate_kernel
from stkeras.training import freeze_atoms
from stkeras.training import set_atom_dilation
from tests.layer_checks import assert_close
from tests.layer_checks import check_layer
from tests.layer_checks import to_numpy


def _np(tensor):
    """A variable or tensor of any backend as a NumPy array."""
    return keras.ops.convert_to_numpy(tensor)


def _rand(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def _reference(x, kernel, strides, padding, dilation):
    """tf.nn.conv3d with an explicitly dilated kernel (independent of the layer's path)."""
    k = np.zeros(((kernel.shape[0] - 1) * dilation[0] + 1, (kernel.shape[1] - 1) * dilation[1] + 1,
                  (kernel.shape[2] - 1) * dilation[2] + 1) + kernel.shape[3:], "float32")
    k[:: dilation[0], :: dilation[1], :: dilation[2]] = kernel
    return tf.nn.conv3d(x, k, strides=(1, *strides, 1), padding=padding.upper()).numpy()


@pytest.mark.parametrize(
    "kwargs, output_shape",
    [
        ({"filters": 6}, (2, 4, 8, 8, 6)),
        ({"filters": 6, "strides": (2, 2, 2), "implementation": "atoms"}, (2, 2, 4, 4, 6)),
        ({"filters": 6, "padding": "valid", "spatial_dilation": 2, "num_spatial_atoms": 3}, (2, 2, 4, 4, 6)),
    ],
)
def test_stdcf_layer_checks(kwargs, output_shape, tmp_path):
    check_layer(STDCFConv3D, kwargs, (2, 4, 8, 8, 3), output_shape, tmp_path)


@pytest.mark.parametrize("implementation", ["kernel", "atoms"])
@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"strides": (2, 2, 2)},
        {"spatial_dilation": 2, "temporal_dilation": 2},
        {"strides": (1, 2, 2), "spatial_dilation": 2, "temporal_dilation": 3},
        {"padding": "valid", "strides": 2, "spatial_dilation": 2},
        {"kernel_size": (3, 5, 5), "num_spatial_atoms": 4, "num_temporal_atoms": 3},
    ],
)
def test_stdcf_equals_conv3d_with_the_rebuilt_kernel(implementation, kwargs):
    x = _rand((2, 9, 11, 11, 3))
    layer = STDCFConv3D(5, implementation=implementation, **kwargs)
    y = to_numpy(layer(x))
    spatial, temporal, coefficients = (_np(w) for w in (layer.spatial_atoms, layer.temporal_atoms, layer.coefficients))
    kernel = np.einsum("imno,myx,nt->tyxio", coefficients, spatial, temporal)
    assert_close(layer.to_conv3d_kernel(), kernel, atol=1e-6)
    expected = _reference(x, kernel, layer.strides, layer.padding, layer.dilation) + _np(layer.bias)
    assert_close(y, expected, atol=2e-5)


@pytest.mark.parametrize("c_in, c_out, m, n, t, k", [(3, 8, 6, 2, 3, 3), (16, 32, 3, 2, 3, 5), (4, 4, 1, 1, 5, 3)])
def test_stdcf_parameter_formula(c_in, c_out, m, n, t, k):
    layer = STDCFConv3D(c_out, (t, k, k), num_spatial_atoms=m, num_temporal_atoms=n)
    layer.build((None, 8, 8, 8, c_in))
    assert [w.name for w in layer.weights] == ["spatial_atoms", "temporal_atoms", "coefficients", "bias"]
    assert layer.spatial_atoms.shape == (m, k, k) and layer.temporal_atoms.shape == (n, t)
    assert layer.coefficients.shape == (c_in, m, n, c_out)
    assert layer.count_params() == c_in * c_out * m * n + m * k * k + n * t + c_out


def test_dilation_swapping_without_touching_weights():
    x = _rand((1, 12, 12, 12, 2))
    model = keras.Sequential([keras.Input((None, None, None, 2)), STDCFConv3D(4, strides=2, name="stdcf")])
    before = [_np(w).copy() for w in model.weights]
    y1 = model.predict(x, verbose=0)
    assert set_atom_dilation(model, spatial=2, temporal=2) == 1
    y2 = model.predict(x, verbose=0)
    assert all(np.array_equal(a, _np(b)) for a, b in zip(before, model.weights))
    layer = model.get_layer("stdcf")
    kernel = _np(layer.to_conv3d_kernel())
    assert_close(y2, _reference(x, kernel, (2, 2, 2), "same", (2, 2, 2)) + _np(layer.bias), atol=2e-5)
    assert not np.allclose(y1, y2)


def test_dilation_survives_save_and_load(tmp_path):
    model = stkeras.build_small_3d_cnn(conv="stdcf", input_shape=(8, 16, 16, 1))
    set_atom_dilation(model, spatial=2, temporal=2)
    x = _rand((2, 8, 16, 16, 1))
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert all(l.spatial_dilation == 2 for l in loaded.layers if isinstance(l, STDCFConv3D))
    assert_close(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)


def test_dilation_swapping_inside_a_reloaded_model(tmp_path):
    model = stkeras.build_small_3d_cnn(conv="stdcf", input_shape=(8, 16, 16, 1))
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    x = _rand((2, 8, 16, 16, 1))
    before = loaded.predict(x, verbose=0)
    set_atom_dilation(loaded, spatial=2, temporal=2)
    set_atom_dilation(model, spatial=2, temporal=2)
    after = loaded.predict(x, verbose=0)
    assert not np.allclose(before, after)
    assert_close(after, model.predict(x, verbose=0), atol=1e-6)
    conv1 = loaded.get_layer("conv1")
    probe = keras.Model(loaded.input, conv1.output)
    expected = _reference(x, _np(conv1.to_conv3d_kernel()), (1, 1, 1), "same", (2, 2, 2)) + _np(conv1.bias)
    assert_close(probe.predict(x, verbose=0), expected, atol=2e-5)


def test_freeze_atoms_keeps_coefficients_trainable():
    model = stkeras.build_small_3d_cnn(conv="stdcf", input_shape=(4, 16, 16, 1))
    freeze_atoms(model, "spatial")
    names = {w.path.split("/")[-1] for w in model.trainable_weights}
    assert "spatial_atoms" not in names and {"temporal_atoms", "coefficients"} <= names
    model.compile("sgd", "sparse_categorical_crossentropy")
    layer = model.get_layer("conv1")
    frozen, moving = _np(layer.spatial_atoms).copy(), _np(layer.temporal_atoms).copy()
    model.fit(_rand((4, 4, 16, 16, 1)), np.arange(4), epochs=1, verbose=0)
    assert np.array_equal(frozen, _np(layer.spatial_atoms)) and not np.array_equal(moving, _np(layer.temporal_atoms))
    freeze_atoms(model, "temporal")
    assert {"spatial_atoms"} <= {w.path.split("/")[-1] for w in model.trainable_weights}
    freeze_atoms(model, None)
    assert len(model.trainable_weights) == len(model.weights) - 6  # only BN statistics
    with pytest.raises(ValueError, match="kind"):
        freeze_atoms(model, "both")


def test_rank1_is_spatial_then_temporal(tmp_path):
    check_layer(Rank1Conv3D, {"filters": 4, "strides": (2, 2, 2)}, (2, 4, 8, 8, 3), (2, 2, 4, 4, 4), tmp_path)
    x = _rand((1, 6, 8, 8, 3))
    layer = Rank1Conv3D(4, 3, use_bias=False)
    y = to_numpy(layer(x))
    spatial = tf.nn.conv3d(x, _np(layer.spatial_kernel), (1,) * 5, "SAME")
    expected = tf.nn.conv3d(spatial, _np(layer.temporal_kernel), (1,) * 5, "SAME").numpy()
    assert_close(y, expected, atol=1e-5)
    assert layer.count_params() == 9 * 3 * 4 + 3 * 4 * 4


def test_rank1_over_atoms_is_the_rank1_of_its_built_kernels(tmp_path):
    kwargs = {"filters": 4, "num_spatial_atoms": 2, "num_temporal_atoms": 2}
    check_layer(Rank1Conv3D, kwargs, (2, 4, 8, 8, 3), (2, 4, 8, 8, 4), tmp_path)
    x = _rand((1, 6, 8, 8, 3))
    layer = Rank1Conv3D(4, 3, use_bias=False, num_spatial_atoms=2, num_temporal_atoms=2)
    y = to_numpy(layer(x))
    spatial_kernel, temporal_kernel = (to_numpy(k) for k in layer.kernels())
    # Each input-output pair's spatial kernel lies in the span of the two atoms.
    pairs = spatial_kernel[0].reshape(9, 12)
    assert np.linalg.matrix_rank(pairs, tol=1e-5) == 2
    spatial = tf.nn.conv3d(x, spatial_kernel, (1,) * 5, "SAME")
    expected = tf.nn.conv3d(spatial, temporal_kernel, (1,) * 5, "SAME").numpy()
    assert_close(y, expected, atol=1e-5)
    # The paper's count: (M + N) C^2 coefficients, plus the atoms.
    assert layer.count_params() == 3 * 2 * 4 + 4 * 2 * 4 + 2 * 9 + 2 * 3
    model = keras.Sequential([keras.Input((4, 8, 8, 3)), layer])
    freeze_atoms(model, "spatial")
    assert {w.path.split("/")[-1] for w in model.trainable_weights} == {"temporal_atoms", "temporal_coefficients"}
    with pytest.raises(ValueError, match="num_temporal_atoms"):
        Rank1Conv3D(4, num_spatial_atoms=2)


def test_dilate_kernel_inserts_zeros():
    kernel = np.arange(1.0, 4.0).reshape(3, 1, 1, 1, 1)
    dilated = _np(dilate_kernel(kernel, (2, 1, 1)))[:, 0, 0, 0, 0]
    np.testing.assert_array_equal(dilated, [1, 0, 2, 0, 3])


@pytest.mark.parametrize("kwargs, message", [
    ({"num_spatial_atoms": 0}, "num_spatial_atoms"),
    ({"temporal_dilation": 0}, "temporal_dilation"),
    ({"implementation": "fft"}, "implementation"),
    ({"padding": "causal"}, "padding"),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        STDCFConv3D(4, **kwargs)
