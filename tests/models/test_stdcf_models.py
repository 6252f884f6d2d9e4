import numpy as np
import pytest
import tensorflow as tf

import stkeras
from stkeras.layers import STDCFConv3D
from stkeras.training import itsl_fit
from tests.layer_checks import check_model


def test_stdcf_resnet_replaces_every_3x3x3():
    model = stkeras.build_stdcf_resnet(input_shape=(8, 32, 32, 3), num_classes=5)
    stdcf = [l for l in model._flatten_layers(include_self=False) if isinstance(l, STDCFConv3D)]
    assert len(stdcf) == 16  # one per bottleneck block of ResNet-50
    assert all((l.num_spatial_atoms, l.num_temporal_atoms) == (6, 2) for l in stdcf)
    full = stkeras.build_video_resnet(kind="r3d", depth=50, input_shape=(8, 32, 32, 3), num_classes=5)
    assert model.count_params() < 0.65 * full.count_params()


@pytest.mark.parametrize("conv", ["regular", "rank1", "stdcf"])
@pytest.mark.parametrize("task", ["classification", "reconstruction"])
def test_small_cnns_train_and_round_trip(conv, task, tmp_path):
    model = stkeras.build_small_3d_cnn(conv=conv, task=task, input_shape=(4, 16, 16, 1), num_classes=3)
    x = np.random.default_rng(0).uniform(size=(2, 4, 16, 16, 1)).astype("float32")
    check_model(model, x, tmp_path)


def test_small_cnn_errors():
    with pytest.raises(ValueError, match="Unknown `conv`"):
        stkeras.build_small_3d_cnn(conv="fft")
    with pytest.raises(ValueError, match="input_shape"):
        stkeras.build_small_3d_cnn(input_shape=(8, 8, 8))


def test_itsl_fit_runs_the_stages_and_leaves_atoms_dilated():
    model = stkeras.build_small_3d_cnn(conv="stdcf", input_shape=(None, None, None, 1), num_classes=3,
                                        filters=(4, 4, 4))
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(0)
    x, y = rng.uniform(size=(8, 8, 16, 16, 1)).astype("float32"), rng.integers(0, 3, 8)
    data = tf.data.Dataset.from_tensor_slices((x, y)).batch(4)
    atoms = model.get_layer("conv1")
    spatial_before = atoms.spatial_atoms.numpy().copy()
    stages = itsl_fit(model, data, iterations=2, validation_data=data, verbose=0)
    assert [(s["iteration"], s["stage"]) for s in stages] == [(1, "t"), (1, "s"), (2, "t"), (2, "s")]
    assert "validation" in stages[1] and "accuracy" in stages[3]["validation"]
    assert (atoms.spatial_dilation, atoms.temporal_dilation) == (2, 2)
    assert len(model.trainable_weights) == len(model.weights) - 6
    assert not np.array_equal(spatial_before, atoms.spatial_atoms.numpy())
    assert model.predict(x, verbose=0).shape == (8, 3)


def test_itsl_fit_needs_flexible_input():
    model = stkeras.build_small_3d_cnn(conv="stdcf", input_shape=(8, 16, 16, 1))
    model.compile("adam", "sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="input_shape=\\(None, None, None, channels\\)"):
        itsl_fit(model, tf.data.Dataset.from_tensor_slices((np.zeros((2, 8, 16, 16, 1)), np.zeros(2))).batch(2))
