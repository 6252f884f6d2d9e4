"""torchvision's video ResNet checkpoints in stkeras: the torch-free reader, the name tables, equivalence.

The equivalence tests build torchvision's own `r3d_18`, `mc3_18` and
`r2plus1d_18` (random weights and batch-norm statistics), save their
`state_dict` and compare the outputs on one clip; they are skipped without
torchvision. The rest needs neither torch nor torchvision.
"""

import importlib.util
import os
import pickle
import subprocess
import sys
import zipfile

import keras
import numpy as np
import pytest

import stkeras
from stkeras.analysis.counts import count_flops
from stkeras.analysis.receptive_field import receptive_field
from stkeras.models import from_preset
from stkeras.models.video_resnet import freeze_stages
from stkeras.models.video_resnet_torchvision import torchvision_names
from stkeras.weights import read_torch_checkpoint
from stkeras.weights.mapping import load_mapped_weights
from tests.layer_checks import check_model

TINY = (8, 32, 32, 3)
KINDS = ("r3d", "mc3", "r2plus1d")
# torchvision's parameter counts (`*_Weights.KINETICS400_V1.meta["num_params"]`).
TORCHVISION_PARAMETERS = {"r3d": 33371472, "mc3": 11695440, "r2plus1d": 31505325}


@pytest.fixture(scope="module")
def torch_files(tmp_path_factory):
    """The files of `torchvision_reference.py`, written by torch in a process of its own (see there)."""
    if importlib.util.find_spec("torchvision") is None:
        pytest.skip("torchvision is not installed")
    folder = tmp_path_factory.mktemp("torchvision")
    np.save(folder / "clips.npy", _clip())
    script = os.path.join(os.path.dirname(__file__), "torchvision_reference.py")
    subprocess.run([sys.executable, script, str(folder)], check=True, timeout=600)
    return folder


def _clip(batch=2):
    return np.random.default_rng(0).normal(size=(batch, *TINY)).astype("float32")


def _torchvision(kind, **kwargs):
    return stkeras.build_video_resnet(kind=kind, depth=18, input_shape=TINY, convention="torchvision", **kwargs)


# ---- the reader


def test_reader_reads_both_formats_and_wrapped_state_dicts(torch_files):
    expected = dict(np.load(torch_files / "tensors.npz"))
    for name in ("tensors.pth", "tensors_legacy.pth", "tensors_wrapped.pth"):
        read = read_torch_checkpoint(torch_files / name)
        assert list(read) == ["conv.weight", "bn.num_batches_tracked", "view", "half", "bf16"], name
        for key, value in expected.items():
            np.testing.assert_array_equal(read[key], value, err_msg=f"{name}: {key}")
            assert read[key].dtype == value.dtype and read[key].shape == value.shape
    assert read["half"].dtype == np.float16 and read["view"].shape == (3, 6)


def test_reader_names_a_damaged_or_foreign_file(tmp_path):
    text = tmp_path / "notes.pth"
    text.write_text("not a checkpoint")
    with pytest.raises(ValueError, match="'.*notes.pth' is not a PyTorch checkpoint of a state_dict"):
        read_torch_checkpoint(text)
    # A zip without data.pkl, and one whose storage record is missing.
    for name, files in {"empty.pth": {"x/version": b"3"},
                        "no_record.pth": {"x/data.pkl": b"junk", "x/byteorder": b"little"}}.items():
        with zipfile.ZipFile(tmp_path / name, "w") as archive:
            for entry, data in files.items():
                archive.writestr(entry, data)
        with pytest.raises(ValueError, match=f"{name}' is not a PyTorch checkpoint"):
            read_torch_checkpoint(tmp_path / name)
    with pytest.raises(ValueError, match="No PyTorch checkpoint at .*absent.pth"):
        read_torch_checkpoint(tmp_path / "absent.pth")


def test_reader_refuses_objects_other_than_tensors_without_running_them(tmp_path):
    class Payload:
        def __reduce__(self):
            return (os.system, ("touch " + str(tmp_path / "ran"),))

    path = tmp_path / "evil.pth"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("evil/data.pkl", pickle.dumps({"w": Payload()}, protocol=2))
    with pytest.raises(ValueError, match=r"evil.pth' is not a PyTorch checkpoint.*it holds a (posix|nt)\.system"):
        read_torch_checkpoint(path)
    assert not (tmp_path / "ran").exists()


def test_reader_refuses_a_truncated_torch_file(torch_files, tmp_path):
    for name in ("tensors.pth", "tensors_legacy.pth", "r3d_18.pth", "r3d_18_legacy.pth"):
        data = (torch_files / name).read_bytes()
        cut = tmp_path / f"cut_{name}"
        cut.write_bytes(data[: len(data) * 2 // 3])
        with pytest.raises(ValueError, match=f"cut_{name}' is not a PyTorch checkpoint"):
            read_torch_checkpoint(cut)


# ---- the tables and the loader (no torch needed)


def _as_torchvision_state(model, kind):
    """A stkeras model's weights under torchvision's names and layouts (the loader's inverse)."""
    variables = {v.path: np.asarray(v) for v in model.weights}
    inverse = {"kernel": "weight", "bias": "bias", "gamma": "weight", "beta": "bias",
               "moving_mean": "running_mean", "moving_variance": "running_var"}
    state = {}
    for module, layer in torchvision_names(kind).items():
        for path, value in variables.items():
            if path.rpartition("/")[0] == layer:
                if value.ndim >= 2:
                    value = np.transpose(value, (value.ndim - 1, value.ndim - 2, *range(value.ndim - 2)))
                state[f"{module}.{inverse[path.rpartition('/')[2]]}"] = value
    return state


@pytest.mark.parametrize("kind", KINDS)
def test_every_checkpoint_tensor_fills_one_weight_and_every_weight_is_filled(kind):
    source = _torchvision(kind, num_classes=4)
    for variable in source.weights:  # distinct values everywhere
        variable.assign(np.random.default_rng(len(variable.path)).uniform(0.5, 1.5, variable.shape))
    state = _as_torchvision_state(source, kind)
    target = _torchvision(kind, num_classes=4)
    loaded = load_mapped_weights(target, state, torchvision_names(kind), source="test.pth")
    assert len(loaded) == len(state) == len(target.weights)
    for a, b in zip(source.weights, target.weights):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b), err_msg=a.path)

    del state["layer2.0.downsample.1.running_var"]
    state["layer9.0.conv1.0.weight"] = np.zeros(3)
    state["fc.weight"] = np.zeros((4, 7))
    with pytest.raises(ValueError, match=r"'test.pth' do not fit model '.*': shape mismatch: fc.weight \(4, 7\) -> "
                                         r"predictions/kernel \(512, 4\); checkpoint tensors with no model weight: "
                                         r"layer9.0.conv1.0.weight; model weights not in the file: "
                                         r"conv3_1/projection_bn/moving_variance"):
        load_mapped_weights(target, state, torchvision_names(kind), source="test.pth")


def test_tables_cover_other_depths_and_refuse_what_torchvision_has_not():
    assert torchvision_names("r3d", depth=34)["layer3.5.conv2.1"] == "conv4_6/op2_bn"
    with pytest.raises(ValueError, match="depth must be one of 10, 18, 34. Received: depth=50"):
        torchvision_names("r3d", depth=50)
    with pytest.raises(ValueError, match="No torchvision weights table for kind 'p3d'"):
        torchvision_names("p3d")


@pytest.mark.parametrize("kind", KINDS)
def test_parameters_are_torchvisions(kind):
    model = _torchvision(kind)
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert trainable == TORCHVISION_PARAMETERS[kind]
    # The paper convention keeps its own R(2+1)D widths (Tran et al.'s parameter matching per convolution).
    paper = stkeras.build_video_resnet(kind=kind, depth=18, input_shape=TINY)
    assert (paper.count_params() == model.count_params()) == (kind != "r2plus1d")


def test_torchvision_convention_r2plus1d_widths_and_analysis():
    model = _torchvision("r2plus1d")
    # torchvision's midplanes: one per block from its input and output channels, for both convolutions.
    assert model.get_layer("conv3_1").op2.middle_filters == 230 == model.get_layer("conv3_1").op1.middle_filters
    assert model.get_layer("conv3_2").op1.middle_filters == 288
    assert model.get_layer("conv1").middle_filters == 45
    paper = stkeras.build_video_resnet(kind="r2plus1d", depth=18, input_shape=TINY)
    assert count_flops(model) != count_flops(paper) > 0
    rows = receptive_field(model)
    assert rows[-1]["srf"] == receptive_field(paper)[-1]["srf"] and all(r["srf"] is not None for r in rows)


def test_torchvision_convention_refuses_what_torchvision_does_not_build():
    with pytest.raises(ValueError, match="convention='torchvision' builds torchvision's ops only .* Received ops: "
                                         "p3d_a, p3d_b, p3d_c"):
        stkeras.build_video_resnet(kind="p3d", input_shape=TINY, convention="torchvision")
    with pytest.raises(ValueError, match="builds basic blocks only.*Received: block='bottleneck'"):
        stkeras.build_video_resnet(kind="r3d", depth=50, input_shape=TINY, convention="torchvision")
    with pytest.raises(ValueError, match=r"Unknown `convention`: 'pytorch'"):
        stkeras.build_video_resnet(kind="r3d", input_shape=TINY, convention="pytorch")


def test_frozen_stages():
    model = _torchvision("mc3", frozen_stages=2)
    frozen = {l.name for l in model.layers if l.weights and not l.trainable}
    assert frozen == {"conv1", "conv1_bn", "conv2_1", "conv2_2", "conv3_1", "conv3_2"}
    assert all(model.get_layer(n).trainable for n in ("conv4_1", "conv5_2", "predictions"))
    assert all(l.trainable for l in _torchvision("mc3").layers)
    assert freeze_stages(model, 4)[-1] == "conv5_2" and model.get_layer("predictions").trainable
    assert freeze_stages(_torchvision("mc3"), 0) == ["conv1", "conv1_bn"]
    for bad in (5, -2, 1.0, True):
        with pytest.raises(ValueError, match=rf"`frozen_stages` must be an int from -1 .* through 4 .*"
                                             rf"Received: frozen_stages={bad!r}"):
            _torchvision("mc3", frozen_stages=bad)


def test_torchvision_convention_saves_and_loads_safely(tmp_path):
    model = _torchvision("r2plus1d", num_classes=3)
    loaded = check_model(model, _clip(1), tmp_path, fit=False)
    assert loaded.get_layer("conv3_1").op1.symmetric_padding and loaded.get_layer("conv1_bn").epsilon == 1e-5


def test_a_checkpoint_needs_the_torchvision_convention(tmp_path):
    path = tmp_path / "r3d.pth"
    path.write_bytes(b"")
    with pytest.raises(ValueError, match="loads into convention='torchvision' only.*convention='paper'"):
        stkeras.build_video_resnet(kind="r3d", input_shape=TINY, weights=path)
    with pytest.raises(ValueError, match="Preset 'r3d_10' declares no PyTorch checkpoints; presets that do: "
                                         "s3d, mc3_18, r3d_18, r2plus1d_18"):
        from_preset("r3d_10", input_shape=TINY, weights=path)


def test_keras_weights_files_still_load(tmp_path):
    model = _torchvision("mc3", num_classes=3)
    path = tmp_path / "mc3.weights.h5"
    model.save_weights(path)
    loaded = _torchvision("mc3", num_classes=3, weights=path)
    for a, b in zip(model.weights, loaded.weights):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


# ---- against torchvision itself


@pytest.mark.parametrize("kind", KINDS)
def test_outputs_equal_torchvisions(kind, torch_files):
    model = from_preset(f"{kind}_18", weights=torch_files / f"{kind}_18.pth", input_shape=TINY,
                        classifier_activation=None)
    logits = np.load(torch_files / f"{kind}_logits.npy")
    outputs = keras.ops.convert_to_numpy(model(_clip(), training=False))
    assert np.abs(outputs - logits).max() <= 1e-4 and np.abs(logits).max() > 0.1
    probabilities = keras.ops.convert_to_numpy(keras.ops.softmax(outputs))
    torch_probabilities = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    assert np.abs(probabilities - torch_probabilities).max() <= 1e-5
    # The paper convention computes something else from the same weights (why the convention exists).
    if kind != "r2plus1d":
        paper = stkeras.build_video_resnet(kind=kind, depth=18, input_shape=TINY, classifier_activation=None)
        paper.set_weights(model.get_weights())
        assert np.abs(keras.ops.convert_to_numpy(paper(_clip(), training=False)) - logits).max() > 1e-3


def test_legacy_checkpoint_format_loads_alike(torch_files):
    model = _torchvision("r3d", weights=torch_files / "r3d_18_legacy.pth", classifier_activation=None)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model(_clip(), training=False)),
                               np.load(torch_files / "r3d_logits.npy"), atol=1e-4)


def test_fine_tuning_loads_the_backbone_and_a_new_classifier(torch_files):
    model = from_preset("r2plus1d_18", weights=torch_files / "r2plus1d_18.pth", num_classes=5, input_shape=TINY,
                        frozen_stages=1)
    features = keras.Model(model.input, model.get_layer("pool").output)(_clip(), training=False)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(features), np.load(torch_files / "r2plus1d_features.npy"),
                               atol=1e-4)
    head = model.get_layer("predictions")
    assert tuple(head.kernel.shape) == (512, 5) and not np.any(keras.ops.convert_to_numpy(head.bias))
    assert not model.get_layer("conv2_2").trainable and model.get_layer("conv3_1").trainable


def test_a_checkpoint_of_another_kind_is_refused_with_its_mismatches(torch_files):
    with pytest.raises(ValueError, match=r"'.*mc3_18.pth' do not fit model 'r3d_18': shape mismatch: "
                                         r"layer2.0.conv1.0.weight \(128, 64, 1, 3, 3\) -> conv3_1/op1/kernel"):
        from_preset("r3d_18", weights=torch_files / "mc3_18.pth", input_shape=TINY)


def test_the_command_line_fine_tunes_a_torchvision_checkpoint_on_videos(torch_files, tmp_path, capsys):
    import json

    from stkeras.cli import main
    from tests.data.video_fixtures import write_video

    videos = tmp_path / "videos"
    for label, offset in (("dark", 0), ("light", 120)):
        for name in ("a.mp4", "b.avi"):
            write_video(videos / label / name, 10, offset=offset)
    out = tmp_path / "run"
    argv = ["train", "--model", "r2plus1d_18", "--weights", str(torch_files / "r2plus1d_18.pth"), "--frozen-stages",
            "4", "--data", str(videos), "--validation-split", "0.5", "--frames", "8", "--frame-size", "32",
            "--epochs", "1", "--batch-size", "2", "--out", str(out)]
    assert main(argv) == 0
    assert f"from {torch_files / 'r2plus1d_18.pth'}" in capsys.readouterr().out
    model = keras.saving.load_model(out / "model.keras", safe_mode=True)
    # Every stage frozen: fine-tuning changed the new classifier only, the backbone is the checkpoint's.
    reference = _torchvision("r2plus1d", weights=str(torch_files / "r2plus1d_18.pth"), num_classes=2)
    for name in ("conv1", "conv5_2"):
        for trained, loaded in zip(model.get_layer(name).get_weights(), reference.get_layer(name).get_weights()):
            np.testing.assert_array_equal(trained, loaded)
    assert json.loads((out / "config.json").read_text())["class_names"] == ["dark", "light"]
    # The checkpoint's preprocessing came with it: the clips were normalized with Kinetics' mean and std.
    clips = json.loads((out / "preprocessing.json").read_text())
    assert clips["mean"] == [0.43216, 0.394666, 0.37645] and clips["crop"] == [32, 32]
    assert main(["evaluate", "--model", str(out), "--data", str(videos), "--views", "2x1",
                 "--out", str(tmp_path / "test")]) == 0
