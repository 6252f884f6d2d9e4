"""Every preset builds with any output, has a backbone, trains a step, and saves and loads: as a preset folder
(`save_preset` -> `from_preset(DIR)`) and as a `.keras` file."""

import pathlib

import keras
import numpy as np
import pytest

from stkeras import from_preset
from stkeras import list_presets
from stkeras import save_preset
from stkeras.cli import main
from stkeras.data.preprocessing import Preprocessing
from stkeras.models import get_preset
from stkeras.models import read_preset
from stkeras.models import register_presets
from stkeras.models.preset_table import preset_page
from stkeras.models.presets import PRESETS
from stkeras.tasks import get_task

# The smallest clips each family's strides fit: tests build the same architectures on them (a family without an
# entry is tested at its presets' own inputs).
SMALL_INPUTS = {
    "courtney": (16, 16, 16, 1),  # TS-Conv3D strides time four times
    "res_convlstm": (4, 16, 16, 1),
    "vggm_convlstm": (4, 16, 16, 1),
    "video_resnet": (8, 32, 32, 3),
    "stdcf_resnet": (8, 64, 64, 3),
    "small_3d_cnn": (4, 16, 16, 1),
    "frame_model": (8, 32, 32, 1),
}
NAMES = [preset.name for preset in list_presets()]
# The presets that train a step and round-trip through a preset folder in the default tier: every distinct block,
# and the first preset of every family (the others with --run-large).
TRAINED_BY_DEFAULT = {"conv2d", "convlstm", "lipreading_reduced", "vggm_convlstm", "r2d_18", "r2plus1d_18", "p3d_18",
                      "stdcf_r50", "small_3d_cnn_stdcf", "frames_trn", "squeezenet_lstm"}
TRAINED_BY_DEFAULT |= {list_presets(family)[0].name for family in {preset.family for preset in list_presets()}
                       if not any(get_preset(name).family == family for name in TRAINED_BY_DEFAULT)}


def _shape(name):
    preset = get_preset(name)
    return SMALL_INPUTS.get(preset.family, preset.input_shape)


def test_every_family_trains_in_the_default_tier():
    assert {get_preset(name).family for name in TRAINED_BY_DEFAULT} == {preset.family for preset in list_presets()}


@pytest.mark.parametrize(
    "name", [name if name in TRAINED_BY_DEFAULT else pytest.param(name, marks=pytest.mark.large) for name in NAMES])
def test_a_preset_with_7_classes_trains_a_step_saves_and_loads_and_has_a_backbone(name, tmp_path):
    """The default tier: every family and every distinct block; the others with --run-large."""
    keras.utils.clear_session()
    shape = _shape(name)
    model = from_preset(name, num_classes=7, input_shape=shape)
    assert model.output_names == ["predictions"] and model.output.shape == (None, 7)

    backbone = model.get_backbone()
    assert "predictions" not in [layer.name for layer in backbone.layers]
    model_weights = {id(w) for w in model.weights}
    assert backbone.weights and all(id(w) in model_weights for w in backbone.weights)  # shared, not copied

    rng = np.random.default_rng(0)
    clips = rng.normal(size=(2, *shape)).astype("float32")
    # Eager: one step does not repay tracing a graph of the deeper networks.
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", run_eagerly=True)
    before = [w.copy() for w in model.get_weights()]
    loss = model.train_on_batch(clips, np.array([1, 5]))
    assert np.isfinite(loss)
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))

    expected = model(clips, training=False)
    folder = tmp_path / name
    classes = [f"class {i}" for i in range(7)]
    preprocessing = Preprocessing(frame_step=2, resize=36, crop=shape[1:3], mean=(0.4,) * shape[-1],
                                  std=(0.2,) * shape[-1])
    save_preset(model, folder, class_names=classes, preprocessing=preprocessing,
                recipe={"name": "blink16_12k", "settings": {"epochs": 1}}, keras_file=True)
    saved = read_preset(folder)
    assert (saved.preset, saved.family, saved.input_shape) == (name, get_preset(name).family, shape)
    assert saved.task == model.task and saved.class_names == classes
    assert saved.preprocessing == preprocessing.replace(frames=shape[0]) and saved.recipe["name"] == "blink16_12k"
    rebuilt = from_preset(folder)
    assert rebuilt.name == model.name and rebuilt.task == model.task
    np.testing.assert_allclose(rebuilt(clips, training=False), expected, rtol=1e-5, atol=1e-6)
    loaded = keras.saving.load_model(folder / "model.keras", safe_mode=True)
    np.testing.assert_allclose(loaded(clips, training=False), expected, rtol=1e-5, atol=1e-6)
    assert loaded.task == model.task  # a .keras file keeps the task too


@pytest.mark.parametrize("name", NAMES)
def test_a_preset_regresses_speed(name):
    keras.utils.clear_session()
    model = from_preset(name, task="speed", input_shape=_shape(name))
    assert model.output_names == ["predictions"] and model.output.shape == (None, 1)
    assert model.get_layer("predictions").activation is keras.activations.linear


def test_explicit_arguments_override_the_preset_and_unknown_ones_are_refused():
    model = from_preset("r3d_18", depth=10, input_shape=(8, 32, 32, 3), num_classes=3)
    assert model.get_layer("conv2_1") and "conv2_2" not in [layer.name for layer in model.layers]
    with pytest.raises(ValueError, match=r"Preset 'r3d_18' \(build_video_resnet\) does not take lstm_units.*"
                                         r"Received: lstm_units=8"):
        from_preset("r3d_18", lstm_units=8)
    with pytest.raises(ValueError, match="Give `num_classes` or `task`, not both"):
        from_preset("conv2d", num_classes=3, task="speed")
    with pytest.raises(ValueError, match=r"Unknown preset: 'r4d_18'\. Available presets: 'conv2d'.*"
                                         r"Received: name='r4d_18'"):
        from_preset("r4d_18")


def test_the_output_is_one_choice_a_task_replaces_the_preset_classes():
    model = from_preset("lipreading", task="digit", input_shape=(4, 16, 16, 1))
    assert model.output.shape == (None, 10)
    assert from_preset("lipreading", input_shape=(4, 16, 16, 1)).output.shape == (None, 500)


def test_weights_load_from_a_file_and_a_damaged_file_is_named(tmp_path):
    model = from_preset("small_3d_cnn_regular", input_shape=(4, 16, 16, 1))
    path = tmp_path / "small.weights.h5"
    model.save_weights(path)
    loaded = from_preset("small_3d_cnn_regular", input_shape=(4, 16, 16, 1), weights=path)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(ValueError, match="small.weights.h5.*cannot be loaded into preset 'small_3d_cnn_regular'"):
        from_preset("small_3d_cnn_regular", input_shape=(4, 16, 16, 1), weights=path)
    with pytest.raises(ValueError, match="no pretrained weights ship with preset 'conv2d'. Received: weights='kinetics'"):
        from_preset("conv2d", weights="kinetics")


def test_metadata_counts_the_model_at_its_default_input():
    preset = get_preset("small_3d_cnn_regular")
    model = from_preset("small_3d_cnn_regular")
    metadata = preset.metadata()
    assert metadata["parameters"] == model.count_params() and metadata["input_shape"] == (16, 60, 80, 1)
    assert metadata["macs"] > 16 * 60 * 80 * 27 * 32  # the first convolution alone
    assert metadata["paper"] == "Miao et al. 2021" and metadata["weights"] == ()


def test_a_user_preset_registers_temporarily():
    table = {"my_r3d": {"paper": "mine", "description": "tiny R3D", "arguments": {"kind": "r3d", "depth": 10}}}
    with PRESETS.temporary():
        register_presets(table, family="video_resnet")
        assert from_preset("my_r3d", input_shape=(8, 32, 32, 3), task=get_task("order")).output.shape == (None, 6)
        assert get_preset("my_r3d").paper == "mine"
    assert "my_r3d" not in PRESETS
    with pytest.raises(ValueError, match="Preset 'bad' gives build_video_resnet arguments it does not take: units"):
        register_presets({"bad": {"description": "", "arguments": {"units": 3}}}, family="video_resnet")
    with pytest.raises(ValueError, match="Unknown family: 'x4d'"):
        register_presets({"bad": {"description": "", "arguments": {}}}, family="x4d")


def test_a_preset_folder_takes_a_new_output_keeping_the_other_weights_and_names_what_is_wrong(tmp_path):
    model = from_preset("small_3d_cnn_regular", input_shape=(4, 16, 16, 1), num_classes=4)
    save_preset(model, tmp_path / "run")
    tuned = from_preset(tmp_path / "run", num_classes=9)
    assert tuned.output.shape == (None, 9)
    np.testing.assert_array_equal(tuned.get_layer("conv1").get_weights()[0], model.get_layer("conv1").get_weights()[0])
    with pytest.raises(ValueError, match="`class_names` must name each of the model.s classes"):
        save_preset(model, tmp_path / "other", class_names=["a", "b"])
    with pytest.raises(ValueError, match="not built by a stkeras family"):
        save_preset(keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)]), tmp_path / "other")
    (tmp_path / "run" / "config.json").write_text("{")
    with pytest.raises(ValueError, match="config.json' is damaged"):
        from_preset(tmp_path / "run")
    with pytest.raises(ValueError, match="is not a preset folder: it has no config.json"):
        read_preset(tmp_path)


def test_the_docs_list_every_preset_from_the_registry():
    page = (pathlib.Path(__file__).resolve().parents[2] / "docs" / "presets.md").read_text()
    assert page == preset_page(), "regenerate it: stkeras presets > docs/presets.md"
    assert all(f"| `{preset.name}` |" in page for preset in list_presets())


def test_the_presets_command_prints_a_family_and_names_a_wrong_one(capsys):
    assert main(["presets", "--family", "vggm_convlstm"]) == 0
    assert capsys.readouterr().out == preset_page("vggm_convlstm")
    assert main(["presets", "--family", "vgg"]) == 2
    assert "Unknown family: 'vgg'" in capsys.readouterr().err
