"""Exported artifacts, run in their own runtimes on uint8 frames, give the Keras model's outputs (within 1e-4).

The runtimes are TensorFlow (SavedModel), ONNX Runtime, the LiteRT interpreter
(`ai_edge_litert`) and OpenVINO Runtime; all but TensorFlow come with the
`export` extra (`pip install "stkeras[export]"`). The parity tests run where
the extra is installed: CI's export step installs it and runs this file. One
model of every family runs in every format in the default tier; the other
models of each family in the large tier.
"""

import importlib.util

import keras
import numpy as np
import pytest

import stkeras
from stkeras.deploy import ExportError
from stkeras.deploy import export
from stkeras.deploy import load_exported
from stkeras.deploy import to_streaming
from stkeras.deploy.frame_preprocessing import LUMA
from stkeras.training.atoms import set_atom_dilation
from tests.deploy.deploy_models import build
from tests.families import FAMILIES

FORMATS = {"saved_model": "", "onnx": ".onnx", "litert": ".tflite", "openvino": ".xml"}
RUNTIMES = {"saved_model": "tensorflow", "onnx": "onnxruntime", "litert": "ai_edge_litert", "openvino": "openvino"}
TOOLS = {"onnx": ("tf2onnx", "onnx"), "openvino": ("openvino",)}
# One model of each family (the rows of the Deploy guide's table), exported in every format by default.
FAMILY_MODELS = {
    "Courtney & Sreenivas 2022": "courtney_conv2d",
    "Courtney & Sreenivas 2019, ResNet ConvLSTM": "res_convlstm",
    "Courtney & Sreenivas 2019, VGG-M ConvLSTM": "vggm_convlstm",
    "Tran et al. 2018": "video_resnet_r2plus1d",
    "Miao et al. 2021, STDCF ResNet": "stdcf_resnet_atoms",
    "Miao et al. 2021, small 3D CNNs": "small_3d_cnn_rank1",
    "Köpüklü et al.": "frame_model_gru",
}
STREAMED = ("courtney_convlstm", "courtney_conv3d_causal")
PREPROCESSING = {"value_range": [0.0, 1.0], "mean": [0.45], "std": [0.225]}
EXTRA = all(importlib.util.find_spec(m) is not None
            for m in ("tf2onnx", "onnx", "onnxruntime", "ai_edge_litert", "openvino"))
with_the_extra = pytest.mark.skipif(not EXTRA, reason='the export extra is not installed (pip install '
                                                      '"stkeras[export]"; CI\'s export step runs these)')


def needs_runtime(format):
    for module in (RUNTIMES[format], *TOOLS.get(format, ())):
        if importlib.util.find_spec(module) is None:
            pytest.skip(f"{module} is not installed (pip install \"stkeras[export]\")")


def preprocess(frames):
    """The model's clips from uint8 RGB frames, computed here without stkeras: luma, 0..1, mean/std."""
    gray = (frames.astype("float32") / 255.0) @ np.asarray(LUMA, "float32")
    return ((gray[..., None] - PREPROCESSING["mean"][0]) / PREPROCESSING["std"][0]).astype("float32")


def uint8_clips(model, batch_size=2, seed=0):
    shape = (batch_size, *model.inputs[0].shape[1:4], 3)
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def check_parity(name, format, tmp_path):
    needs_runtime(format)
    model = build(name)
    frames = uint8_clips(model)
    expected = keras.ops.convert_to_numpy(model(preprocess(frames), training=False))
    path = tmp_path / f"{name}{FORMATS[format] or '_saved_model'}"
    exported = export(model, path, format=format, preprocessing=PREPROCESSING)
    assert exported.inputs == [("frames", (None, *frames.shape[1:]), "uint8")]
    (actual,) = load_exported(path)(frames)
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual, expected, rtol=0, atol=1e-4)


@with_the_extra
@pytest.mark.parametrize("format", FORMATS)
@pytest.mark.parametrize("family", FAMILY_MODELS)
def test_every_family_exports_with_parity(family, format, tmp_path):
    check_parity(FAMILY_MODELS[family], format, tmp_path)


@with_the_extra
@pytest.mark.large
@pytest.mark.parametrize("format", FORMATS)
@pytest.mark.parametrize("name", sorted(set(FAMILIES) - set(FAMILY_MODELS.values())))
def test_every_model_exports_with_parity(name, format, tmp_path):
    check_parity(name, format, tmp_path)


# A ConvLSTM network's step model in every format, a causal 3D network's in LiteRT; the rest in the large tier.
STEP_CASES = [pytest.param(name, format, marks=() if name == STREAMED[0] or format == "litert" else pytest.mark.large)
              for name in STREAMED for format in FORMATS]


@with_the_extra
@pytest.mark.parametrize("name,format", STEP_CASES)
def test_a_step_model_runs_frame_by_frame_in_the_runtime(name, format, tmp_path):
    needs_runtime(format)
    model = build(name)
    step = to_streaming(model)
    frames = uint8_clips(model)
    expected = keras.ops.convert_to_numpy(model(preprocess(frames), training=False))
    path = tmp_path / f"{name}_step{FORMATS[format] or '_saved_model'}"
    exported = export(step, path, format=format, preprocessing=PREPROCESSING)
    assert [name for name, *_ in exported.inputs] == ["frame"] + [f"state_{i}" for i in range(len(step.state_specs))]
    run = load_exported(path)
    states = step.initial_state(len(frames))
    for t in range(frames.shape[1]):
        results = run(frames[:, t], *states)
        states = results[1:]
    np.testing.assert_allclose(results[0], expected, rtol=0, atol=1e-4)


def test_check_reports_the_largest_difference(tmp_path):
    model = build("vggm_convlstm")
    exported = export(model, tmp_path / "saved", check=True)
    assert exported.format == "saved_model" and 0 <= exported.max_error < 1e-5


def test_frames_of_another_size_are_resized_inside(tmp_path):
    model = build("frame_model_tsn")
    frames = np.random.default_rng(0).integers(0, 256, (2, 4, 24, 30, 3), dtype=np.uint8)
    export(model, tmp_path / "saved", frame_size=(24, 30), preprocessing={"resize": 20})
    (actual,) = load_exported(tmp_path / "saved")(frames)
    # Short side 24 -> 20 (30 -> 25), centre crop 16x16, luma: TensorFlow's own ops as the video pipeline.
    import tensorflow as tf

    images = tf.image.resize(frames.reshape(-1, 24, 30, 3).astype("float32") / 255.0, (20, 25))
    images = images[:, 2:18, 4:20] @ np.asarray(LUMA, "float32")[:, None]
    expected = model(tf.reshape(images, (2, 4, 16, 16, 1)), training=False)
    np.testing.assert_allclose(actual, keras.ops.convert_to_numpy(expected), rtol=0, atol=1e-5)


def test_a_model_of_any_number_of_frames_exports_for_the_frames_given(tmp_path):
    model = stkeras.build_res_convlstm(stages=((1, 1, 4, 8),), input_shape=(None, 16, 16, 1), num_classes=3,
                                       lstm_units=4, dropout=0.0)
    with pytest.raises(ValueError, match="give `frames`"):
        export(model, tmp_path / "any")
    exported = export(model, tmp_path / "five", frames=5, check=True)
    assert exported.inputs[0][1] == (None, 5, 16, 16, 3) and exported.max_error < 1e-5


def test_a_layer_the_format_cannot_hold_is_named_before_converting(tmp_path):
    # Miao et al. 2021's evaluation after ITSL: the atoms dilated in space.
    model = stkeras.build_small_3d_cnn(conv="stdcf", input_shape=(4, 16, 16, 1), num_classes=3, filters=(4, 4, 8))
    set_atom_dilation(model, spatial=2)
    with pytest.raises(ExportError, match=r"layer 'conv1': its dilated 3D convolution \(dilation_rate=\(1, 2, 2\)\)"):
        export(model, tmp_path / "m.tflite", format="litert")
    assert not (tmp_path / "m.tflite").exists()


def test_bad_arguments_are_named(tmp_path, monkeypatch):
    model = build("vggm_convlstm")
    with pytest.raises(ValueError, match="format"):
        export(model, tmp_path / "m.pb", format="pb")
    with pytest.raises(ValueError, match=r"\.tflite file"):
        export(model, tmp_path / "m.onnx", format="litert")
    with pytest.raises(ValueError, match="takes 3 frames"):
        export(model, tmp_path / "saved", frames=8)
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "tf2onnx" else real_find_spec(
        name, *a))
    with pytest.raises(ImportError, match=r"tf2onnx.*stkeras\[export\]"):
        export(model, tmp_path / "m.onnx", format="onnx")
