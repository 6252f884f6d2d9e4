"""Courtney & Sreenivas 2019's VGG-M ConvLSTM: a 2D first layer, ConvLSTMs in VGG-M's places, fits and round-trips."""

import numpy as np
import pytest

from stkeras.analysis import convlstm_scales
from stkeras.layers import ConvLSTM2D
from stkeras.layers import FrameConv3D
from stkeras.models import build_vggm_convlstm
from tests.layer_checks import check_model


def test_first_layer_is_2d_and_the_others_are_convlstms_at_vggms_scales():
    model = build_vggm_convlstm(input_shape=(6, 48, 48, 1))
    conv1 = model.get_layer("conv1")
    assert isinstance(conv1, FrameConv3D) and conv1.kernel_size == (1, 3, 3)
    assert all(isinstance(model.get_layer(f"conv{i}"), ConvLSTM2D) for i in range(2, 6))
    assert [(s.label, s.layers) for s in convlstm_scales(model)] == [("s/4", ("conv2",)),
                                                                    ("s/8", ("conv3", "conv4", "conv5"))]
    assert tuple(model.output.shape) == (None, 500)


@pytest.mark.parametrize("spatial_reduction", ["flatten", "mean"])
def test_a_small_vggm_convlstm_fits_and_round_trips(spatial_reduction, tmp_path):
    model = build_vggm_convlstm(input_shape=(3, 16, 16, 1), num_classes=4, filters=(4, 4, 8, 8, 8), lstm_units=4,
                                spatial_reduction=spatial_reduction, per_frame=spatial_reduction == "mean")
    clips = np.random.default_rng(0).uniform(size=(2, 3, 16, 16, 1)).astype("float32")
    check_model(model, clips, tmp_path)


@pytest.mark.parametrize("kwargs, message", [
    ({"filters": (4, 4)}, "`filters` must hold 5"),
    ({"filters": (4, 4, 0, 8, 8)}, r"filters\[2\]"),
    ({"input_shape": (4, 4, 4, 1)}, "too small"),
    ({"spatial_reduction": "max"}, "spatial_reduction"),
    ({"dropout": 2}, "dropout"),
])
def test_bad_arguments_are_refused_by_name(kwargs, message):
    with pytest.raises(ValueError, match=message):
        build_vggm_convlstm(**kwargs)
