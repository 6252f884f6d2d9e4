"""PyTorchVideo's X3D and torchvision's S3D checkpoints in stkeras: the name tables, the loaders, equivalence.

The equivalence tests build the peers' own models (PyTorchVideo's
`create_x3d`, torchvision's `s3d`) with random weights and batch-norm
statistics in a child process (`x3d_s3d_reference.py`), save their
checkpoints and compare the outputs on the same clips; they are skipped
without PyTorchVideo and torchvision (CI's torchvision job installs them).
The rest needs neither torch nor the peers.
"""

import importlib.util
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from stkeras.models import from_preset
from stkeras.models.s3d import build_s3d
from stkeras.models.s3d_torchvision import torchvision_names
from stkeras.models.x3d import build_x3d
from stkeras.models.x3d_pytorchvideo import model_blocks
from stkeras.models.x3d_pytorchvideo import pytorchvideo_names
from stkeras.weights.mapping import load_mapped_weights

# The cases of `x3d_s3d_reference.py`: clip shape (batch, frames, size, size), and how stkeras builds each.
CASES = {
    "x3d_xs": ((2, 4, 64, 64), {"name": "x3d_xs"}),
    "x3d_s": ((1, 13, 64, 64), {"name": "x3d_s"}),
    "x3d_l": ((1, 4, 64, 64), {"name": "x3d_l"}),
    "x3d_xs_windows": ((1, 4, 96, 96), {"name": "x3d_xs", "pool_size": (4, 2, 2), "classifier_activation": None}),
    "s3d": ((1, 13, 209, 209), {"name": "s3d", "classifier_activation": None}),
    "s3d_windows": ((1, 24, 96, 96), {"name": "s3d", "pool_size": (2, 2, 2), "classifier_activation": None}),
}
INVERSE = {"kernel": "weight", "bias": "bias", "gamma": "weight", "beta": "bias", "moving_mean": "running_mean",
           "moving_variance": "running_var"}


def _clips(name):
    shape = CASES[name][0]
    return np.random.default_rng(len(name)).normal(size=(*shape, 3)).astype("float32")


@pytest.fixture(scope="module")
def peer_files(tmp_path_factory):
    """The files of `x3d_s3d_reference.py`, written by the peers in a process of their own."""
    for package in ("torchvision", "pytorchvideo"):
        if importlib.util.find_spec(package) is None:
            pytest.skip(f"{package} is not installed")
    folder = tmp_path_factory.mktemp("peers")
    for name in CASES:
        np.save(folder / f"{name}_clips.npy", _clips(name))
    script = os.path.join(os.path.dirname(__file__), "x3d_s3d_reference.py")
    subprocess.run([sys.executable, script, str(folder)], check=True, timeout=600)
    return folder


def _model(name, folder, **overrides):
    shape, arguments = CASES[name]
    arguments = {**arguments, **overrides}
    suffix = ".pyth" if name.startswith("x3d") else ".pth"
    return from_preset(arguments.pop("name"), input_shape=(*shape[1:], 3), weights=folder / f"{name}{suffix}",
                       **arguments)


def _as_torch_state(model, table):
    """A stkeras model's weights under the peer's names and layouts (the loader's inverse)."""
    layers = {}
    for variable in model.weights:
        layer, _, part = variable.path.rpartition("/")
        layers.setdefault(layer, {})[part] = np.asarray(variable)
    state = {}
    for module, layer in table.items():
        for part, value in layers.get(layer, {}).items():
            if value.ndim == 2 and module.startswith("blocks") and not module.endswith("proj"):  # a 1x1x1 conv
                value = value.T.reshape(*value.T.shape, 1, 1, 1)
            elif value.ndim >= 2:
                value = np.transpose(value, (value.ndim - 1, value.ndim - 2, *range(value.ndim - 2)))
            state[f"{module}.{INVERSE[part]}"] = value
    return state


# ---- the tables and the loaders (no torch needed)


@pytest.mark.parametrize("family", ["x3d", "s3d"])
def test_every_checkpoint_tensor_fills_one_weight_and_every_weight_is_filled(family):
    if family == "x3d":
        build = lambda: build_x3d(input_shape=(4, 32, 32, 3), depth_factor=1.0, num_classes=4)  # noqa: E731
        table_of = lambda model: pytorchvideo_names(model_blocks(model))  # noqa: E731
    else:
        build = lambda: build_s3d(input_shape=(16, 32, 32, 3), num_classes=4)  # noqa: E731
        table_of = lambda model: torchvision_names()  # noqa: E731
    source = build()
    for variable in source.weights:  # distinct values everywhere
        variable.assign(np.random.default_rng(len(variable.path)).uniform(0.5, 1.5, variable.shape))
    table = table_of(source)
    state = _as_torch_state(source, table)
    target = build()
    loaded = load_mapped_weights(target, state, table, source="test.pth")
    assert len(loaded) == len(state) == len(target.weights)
    for a, b in zip(source.weights, target.weights):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b), err_msg=a.path)


def test_the_x3d_table_follows_pytorchvideos_names():
    table = pytorchvideo_names((3, 5, 11, 7))
    assert table["blocks.0.conv.conv_xy"] == "conv1_temporal"  # PyTorchVideo's conv_xy is the temporal one
    assert table["blocks.4.res_blocks.6.branch2.conv_c"] == "res5_7/expand"
    assert table["blocks.5.pool.post_conv"] == "fc1" and table["blocks.5.proj"] == "predictions"
    assert "blocks.4.res_blocks.7.branch2.conv_a" not in table
    assert model_blocks(build_x3d(input_shape=(4, 32, 32, 3), depth_factor=5.0)) == (5, 10, 25, 15)


def test_a_checkpoint_of_another_design_is_refused_with_its_mismatches(tmp_path):
    import zipfile

    deeper = build_x3d(input_shape=(4, 32, 32, 3), depth_factor=2.2)
    state = _as_torch_state(deeper, pytorchvideo_names(model_blocks(deeper)))
    shallow = build_x3d(input_shape=(4, 32, 32, 3), depth_factor=1.0, name="shallow")
    with pytest.raises(ValueError, match=r"'x3d_s.pyth' do not fit model 'shallow': checkpoint tensors with no "
                                         r"model weight: blocks.1.res_blocks.1.branch2.conv_a.weight"):
        load_mapped_weights(shallow, state, pytorchvideo_names(model_blocks(shallow)), source="x3d_s.pyth")
    damaged = tmp_path / "X3D_S.pyth"
    with zipfile.ZipFile(damaged, "w") as archive:
        archive.writestr("X3D_S/version", b"3")
    with pytest.raises(ValueError, match="X3D_S.pyth' is not a PyTorch checkpoint"):
        from_preset("x3d_s", input_shape=(4, 32, 32, 3), weights=damaged)


# ---- against the peers themselves


@pytest.mark.parametrize("name", list(CASES))
def test_outputs_equal_the_peers(name, peer_files):
    model = _model(name, peer_files)
    outputs = keras.ops.convert_to_numpy(model(_clips(name), training=False))
    expected = np.load(peer_files / f"{name}_outputs.npy")
    assert outputs.shape == expected.shape
    # Probabilities (PyTorchVideo's X3D ends in a softmax) or logits (torchvision's S3D, X3D built without it).
    assert np.abs(outputs - expected).max() <= 1e-4
    features = keras.Model(model.input, model.get_layer("pool").output)(_clips(name), training=False)
    reference = np.load(peer_files / f"{name}_features.npy")
    assert np.abs(keras.ops.convert_to_numpy(features) - reference).max() <= 1e-4 and np.abs(reference).max() > 0.1


def test_pytorchvideo_softmax_averages_windows_where_stkeras_averages_logits(peer_files):
    # The windows' logits averaged by stkeras are PyTorchVideo's averaged logits (the case above); with the
    # softmax, PyTorchVideo averages the windows' probabilities and stkeras takes the softmax of the average.
    model = _model("x3d_xs_windows", peer_files, classifier_activation="softmax")
    probabilities = keras.ops.convert_to_numpy(model(_clips("x3d_xs_windows"), training=False))
    logits = np.load(peer_files / "x3d_xs_windows_outputs.npy")
    expected = np.exp(logits - logits.max(-1, keepdims=True))
    np.testing.assert_allclose(probabilities, expected / expected.sum(-1, keepdims=True), atol=1e-5)


def test_a_plain_state_dict_loads_alike(peer_files):
    model = build_x3d(input_shape=(4, 64, 64, 3), weights=str(peer_files / "x3d_xs_plain.pt"))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model(_clips("x3d_xs"), training=False)),
                               np.load(peer_files / "x3d_xs_outputs.npy"), atol=1e-4)


@pytest.mark.parametrize("name", ["x3d_xs", "s3d_windows"])
def test_fine_tuning_loads_the_backbone_and_a_new_classifier(name, peer_files):
    model = _model(name, peer_files, num_classes=5)
    features = keras.Model(model.input, model.get_layer("pool").output)(_clips(name), training=False)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(features), np.load(peer_files / f"{name}_features.npy"),
                               atol=1e-4)
    head = model.get_layer("predictions")
    assert head.kernel.shape[-1] == 5 and not np.any(keras.ops.convert_to_numpy(head.bias))


@pytest.mark.tensorflow_only("the command trains with tf.data and TensorFlow")
def test_train_fine_tunes_x3d_s_from_its_checkpoint_on_a_folder_of_videos(peer_files, tmp_path):
    """`stkeras train --data videos/ --model x3d_s --weights X3D_S.pyth --recipe x3d_finetune`, end to end: the
    backbone starts from the checkpoint, the run folder reloads, and `evaluate` reads it with no other flags."""
    from stkeras.cli import main
    from stkeras.models import read_preset
    from tests.data.video_fixtures import write_video

    videos = tmp_path / "videos"
    for label, offset in (("dark", 0), ("light", 120)):
        for i in range(3):
            write_video(videos / label / f"{i}.mp4", 16, size=(72, 72), offset=offset)
    out = tmp_path / "x3d"
    assert main(["train", "--data", str(videos), "--model", "x3d_s", "--weights", str(peer_files / "x3d_s.pyth"),
                 "--recipe", "x3d_finetune", "--frames", "13", "--frame-step", "1", "--frame-size", "64",
                 "--batch-size", "2", "--epochs", "1", "--validation-split", "0.34", "--frozen-stages", "1",
                 "--out", str(out)]) == 0
    saved = read_preset(out)
    assert (saved.preset, saved.class_names, saved.recipe["name"]) == ("x3d_s", ["dark", "light"], "x3d_finetune")
    trained = keras.saving.load_model(out / "model.keras", safe_mode=True)
    assert trained.output.shape[-1] == 2
    # The frozen first stage (the stem and stage 1) holds the checkpoint's weights; the stages above it trained.
    from stkeras.training import stage_layers

    start = dict(stage_layers(_model("x3d_s", peer_files)))
    (first, frozen), (second, trained_layers) = stage_layers(trained)[:2]
    for layer, checkpoint_layer in zip(frozen, start[first], strict=True):
        for weight, expected in zip(layer.weights, checkpoint_layer.weights, strict=True):
            np.testing.assert_array_equal(keras.ops.convert_to_numpy(weight), keras.ops.convert_to_numpy(expected))
    assert any(not np.array_equal(keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b))
               for layer, checkpoint_layer in zip(trained_layers, start[second], strict=True)
               for a, b in zip(layer.weights, checkpoint_layer.weights, strict=True))
    assert main(["evaluate", "--model", str(out), "--data", str(videos), "--out", str(out / "test")]) == 0
    assert (out / "test" / "evaluation.json").exists()
