import pathlib

import numpy as np
import pytest
import tensorflow as tf

import stkeras
from stkeras.analysis import count_flops
from stkeras.layers import STDCFConv3D
from stkeras.training import itsl_fit
from stkeras.training import set_atom_dilation
from tests.layer_checks import check_model


def test_stdcf_resnet_replaces_every_3x3x3():
    model = stkeras.build_stdcf_resnet(input_shape=(8, 32, 32, 3), num_classes=5)
    stdcf = [l for l in model._flatten_layers(include_self=False) if isinstance(l, STDCFConv3D)]
    assert len(stdcf) == 16  # one per bottleneck block of ResNet-50
    assert all((l.num_spatial_atoms, l.num_temporal_atoms) == (6, 2) for l in stdcf)
    full = stkeras.build_video_resnet(kind="r3d", depth=50, input_shape=(8, 32, 32, 3), num_classes=5)
    assert model.count_params() < 0.65 * full.count_params()
    # SlowFast's 3D-R50: max pooling after the stem, 8 frames kept to the end.
    assert model.get_layer("pool1").output.shape[1:4] == (8, 8, 8)
    assert model.features.shape[1:4] == (8, 1, 1)
    r3d = stkeras.from_preset("stdcf_r50_r3d", input_shape=(8, 32, 32, 3), num_classes=5)
    assert r3d.features.shape[1:4] == (1, 2, 2)
    assert r3d.count_params() == model.count_params()


def test_stdcf_r50_presets_meet_table_3():
    """Table 3: 18.5M parameters, 52.2 GFLOPs per 8x256x256 test clip (multiply-accumulates)."""
    small = stkeras.from_preset("stdcf_r50_18m", input_shape=(8, 32, 32, 3))
    assert abs(small.count_params() / 18.5e6 - 1) < 0.03
    paper = stkeras.build_stdcf_resnet(implementation="atoms", input_shape=(8, 256, 256, 3))
    assert abs(count_flops(paper) / 52.2e9 - 1) < 0.03
    assert paper.count_params() > 1.5 * small.count_params()
    # The preset table on the Miao et al. 2021 docs page is these counts.
    readme = (pathlib.Path(__file__).resolve().parents[2] / "docs" / "papers" / "miao-2021.md").read_text()
    for preset, model in (("stdcf_r50", paper), ("stdcf_r50_18m", small)):
        row = next(line for line in readme.splitlines() if line.startswith(f"| `{preset}`"))
        assert f"| {model.count_params() / 1e6:.1f}M |" in row, row
    assert f"| {count_flops(paper) / 1e9:.1f}G |" in next(l for l in readme.splitlines() if l.startswith("| `stdcf_r50`"))
    # Explicit arguments override the preset's.
    override = stkeras.from_preset("stdcf_r50_18m", num_spatial_atoms=6, input_shape=(8, 32, 32, 3))
    assert {l.num_spatial_atoms for l in override._flatten_layers() if isinstance(l, STDCFConv3D)} == {6}
    with pytest.raises(ValueError, match="preset"):
        stkeras.from_preset("stdcf_r101")
    with pytest.raises(TypeError, match="stem_pool"):
        stkeras.build_stdcf_resnet(stem_pool="yes")


@pytest.mark.parametrize("conv", ["regular", "rank1", "stdcf"])
@pytest.mark.parametrize("network", ["classification", "reconstruction"])
def test_small_cnns_train_and_round_trip(conv, network, tmp_path):
    if network == "classification":
        model = stkeras.build_small_3d_cnn(conv=conv, input_shape=(4, 16, 16, 1), num_classes=3)
    else:
        model = stkeras.build_small_3d_autoencoder(conv=conv, input_shape=(4, 16, 16, 1))
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
    # Every stage is scored on full-size clips, stage-t included (Figure 5, Table 3's STDCF-R50-t).
    assert all("accuracy" in s["validation"] for s in stages)
    assert (atoms.spatial_dilation, atoms.temporal_dilation) == (2, 2)
    assert len(model.trainable_weights) == len(model.weights) - 6
    assert not np.array_equal(spatial_before, atoms.spatial_atoms.numpy())
    assert model.predict(x, verbose=0).shape == (8, 3)


def test_itsl_fit_needs_flexible_input():
    model = stkeras.build_small_3d_cnn(conv="stdcf", input_shape=(8, 16, 16, 1))
    model.compile("adam", "sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="input_shape=\\(None, None, None, channels\\)"):
        itsl_fit(model, tf.data.Dataset.from_tensor_slices((np.zeros((2, 8, 16, 16, 1)), np.zeros(2))).batch(2))


def _data(frames=8, size=16):
    rng = np.random.default_rng(0)
    x, y = rng.uniform(size=(8, frames, size, size, 1)).astype("float32"), rng.integers(0, 3, 8)
    return x, tf.data.Dataset.from_tensor_slices((x, y)).batch(4)


def test_itsl_schedule_sets_each_stages_epochs_and_rate():
    model = stkeras.build_small_3d_cnn(conv="stdcf", input_shape=(None, None, None, 1), num_classes=3,
                                        filters=(4, 4, 4))
    model.compile("adam", "sparse_categorical_crossentropy")
    _, data = _data()

    def schedule(iteration, stage):  # the paper: a long first stage-t, then a lower rate
        return {"epochs": 3} if (iteration, stage) == (1, "t") else {"learning_rate": 5e-4}

    stages = itsl_fit(model, data, iterations=2, schedule=schedule, verbose=0)
    assert [s["epochs"] for s in stages] == [3, 1, 1, 1] and len(stages[0]["history"]["loss"]) == 3
    assert [s["learning_rate"] for s in stages] == pytest.approx([1e-3, 5e-4, 5e-4, 5e-4])  # 1e-3: the compiled
    with pytest.raises(ValueError, match=r"unknown keys \['lr'\]"):
        itsl_fit(model, data, iterations=1, schedule=lambda e, s: {"lr": 1e-3}, verbose=0)
    with pytest.raises(TypeError, match="schedule"):
        itsl_fit(model, data, schedule={"epochs": 2})


def test_regular_3d_under_itsl_dilates_its_filters_like_the_atoms():
    import keras

    model = stkeras.build_small_3d_cnn(conv="regular", input_shape=(None, None, None, 1), num_classes=3,
                                        filters=(4, 4, 4))
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    x, data = _data()
    conv = [l for l in model.layers if isinstance(l, keras.layers.Conv3D)][0]
    before = conv.kernel.numpy().copy()
    stages = itsl_fit(model, data, iterations=1, validation_data=data, verbose=0)
    assert [s["stage"] for s in stages] == ["t", "s"] and all("validation" in s for s in stages)
    assert tuple(conv.dilation_rate) == (2, 2, 2) and not np.array_equal(before, conv.kernel.numpy())
    # The swapped filter is the Keras convolution with that dilation, weights untouched.
    reference = keras.layers.Conv3D(conv.filters, conv.kernel_size, padding=conv.padding, dilation_rate=(2, 2, 2))
    reference.build(conv.input.shape)
    reference.set_weights(conv.get_weights())
    np.testing.assert_allclose(conv(x).numpy(), reference(x).numpy(), atol=1e-5)
    strided = keras.layers.Conv3D(2, 3, strides=2)
    with pytest.raises(ValueError, match="strides by \\(2, 2, 2\\): a strided Conv3D cannot also be dilated"):
        set_atom_dilation(strided, spatial=2, regular=True)
    assert set_atom_dilation(strided, spatial=2) == 0  # regular layers only when asked
