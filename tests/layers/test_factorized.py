import numpy as np
import pytest

from stkeras.layers import Conv2Plus1D
from stkeras.layers import Pseudo3D
from stkeras.layers.conv2plus1d import parameter_matched_filters
from tests.layer_checks import assert_close
from tests.layer_checks import check_layer
from tests.layer_checks import to_numpy


def _rand(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


@pytest.mark.parametrize(
    "kwargs, output_shape",
    [
        ({"filters": 8}, (2, 4, 8, 8, 8)),
        ({"filters": 8, "strides": (2, 2, 2)}, (2, 2, 4, 4, 8)),
        ({"filters": 6, "kernel_size": (3, 5, 5), "intermediate_filters": 5, "padding": "valid"}, (2, 2, 4, 4, 6)),
        ({"filters": 8, "strides": (2, 2, 2), "symmetric_padding": True, "norm_epsilon": 1e-5}, (2, 2, 4, 4, 8)),
    ],
)
def test_conv2plus1d_layer_checks(kwargs, output_shape, tmp_path):
    check_layer(Conv2Plus1D, kwargs, (2, 4, 8, 8, 3), output_shape, tmp_path)


@pytest.mark.parametrize("n_in, n_out, t, d", [(64, 64, 3, 3), (3, 64, 3, 7), (128, 256, 3, 3), (16, 8, 5, 3)])
def test_conv2plus1d_matches_the_full_3d_parameters(n_in, n_out, t, d):
    layer = Conv2Plus1D(n_out, (t, d, d))
    layer.build((None, 8, 16, 16, n_in))
    middle = (t * d * d * n_in * n_out) // (d * d * n_in + t * n_out)
    assert layer.middle_filters == middle == parameter_matched_filters((t, d, d), n_in, n_out)
    assert layer.spatial.kernel.shape == (1, d, d, n_in, middle)
    assert layer.temporal.kernel.shape == (t, 1, 1, middle, n_out)
    factorized = d * d * n_in * middle + t * middle * n_out
    full = t * d * d * n_in * n_out
    # Equal up to the floor: at most one intermediate channel short.
    assert full - (d * d * n_in + t * n_out) < factorized <= full


def test_conv2plus1d_strides_split_between_its_convolutions():
    layer = Conv2Plus1D(8, 3, strides=(2, 2, 2))
    layer(np.zeros((1, 4, 8, 8, 3), "float32"))
    assert layer.spatial.strides == (1, 2, 2) and layer.temporal.strides == (2, 1, 1)
    assert layer.spatial.kernel_size == (1, 3, 3) and layer.temporal.kernel_size == (3, 1, 1)


def test_conv2plus1d_r2plus1d_stem_uses_45_channels():
    layer = Conv2Plus1D(64, (3, 7, 7), strides=(1, 2, 2), intermediate_filters=45)
    layer(np.zeros((1, 4, 16, 16, 3), "float32"))
    assert layer.spatial.kernel.shape == (1, 7, 7, 3, 45)


@pytest.mark.parametrize("variant", ["A", "B", "C"])
def test_pseudo3d_layer_checks(variant, tmp_path):
    check_layer(Pseudo3D, {"filters": 8, "variant": variant, "strides": (2, 2, 2)}, (2, 4, 8, 8, 3), (2, 2, 4, 4, 8), tmp_path)


def _zero(layer):
    layer.assign(np.zeros(layer.shape, "float32"))


@pytest.mark.parametrize("variant", ["A", "B", "C"])
def test_pseudo3d_reduces_to_its_spatial_part_without_temporal_weights(variant):
    x = _rand((2, 5, 8, 8, 3))
    layer = Pseudo3D(4, variant)
    layer(x)
    spatial = to_numpy(layer.spatial(x))
    _zero(layer.temporal.kernel)
    y = to_numpy(layer(x))
    expected = np.zeros_like(spatial) if variant == "A" else spatial
    assert_close(y, expected, atol=1e-6)


def test_pseudo3d_b_is_a_sum_and_c_adds_the_spatial_output():
    x = _rand((1, 5, 8, 8, 3))
    b = Pseudo3D(4, "B")
    b(x)
    assert_close(b(x), to_numpy(b.spatial(x)) + to_numpy(b.temporal(x)), atol=1e-5)
    a, c = Pseudo3D(4, "A"), Pseudo3D(4, "C")
    a(x), c(x)
    c.set_weights(a.get_weights())
    assert_close(c(x), to_numpy(a(x)) + to_numpy(a.spatial(x)), atol=1e-5)
    # Zeroing the spatial weights silences A and C (T only sees S), not B.
    _zero(b.spatial.kernel)
    assert_close(b(x), b.temporal(x), atol=1e-6)


def test_bad_arguments():
    with pytest.raises(ValueError, match="variant"):
        Pseudo3D(4, "D")
    with pytest.raises(ValueError, match="kernel_size"):
        Conv2Plus1D(4, (3, 3))
    with pytest.raises(ValueError, match="intermediate_filters"):
        Conv2Plus1D(4, intermediate_filters=0)
