"""`stkeras export` and `stkeras predict` on a preset folder: its preprocessing, task and classes come with it."""

import csv
import importlib.util
import json

import keras
import numpy as np
import pytest

import stkeras
from stkeras.cli import main
from stkeras.data.preprocessing import Preprocessing
from stkeras.deploy import load_exported
from stkeras.models import save_preset
from tests.cli_runs import counts  # noqa: F401  (a fixture)
from tests.data.video_fixtures import write_video

NAMES = ["walk", "run", "jump"]
PREPROCESSING = Preprocessing(frames=4, frame_step=2, value_range=(0.0, 1.0), mean=(0.5,), std=(0.25,))


@pytest.fixture(scope="module")
def model_folder(tmp_path_factory):
    """A causal model's preset folder: its clips are 4 frames 2 apart, mean/std normalized, 3 named classes."""
    keras.utils.set_random_seed(0)
    model = stkeras.build_res_convlstm(stages=((1, 1, 4, 8),), input_shape=(4, 16, 16, 1), num_classes=3,
                                       lstm_units=4, dropout=0.0)
    folder = tmp_path_factory.mktemp("run") / "convlstm"
    save_preset(model, folder, class_names=NAMES, preprocessing=PREPROCESSING)
    return folder


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    root = tmp_path_factory.mktemp("videos")
    write_video(root / "clips" / "a.mp4", 21, size=(24, 32))
    write_video(root / "clips" / "b.avi", 12, size=(16, 16), offset=30)
    return root


def test_predict_a_video_and_a_folder_with_the_folders_settings(model_folder, videos, tmp_path, counts):  # noqa: F811
    out = tmp_path / "predictions"
    assert main(["predict", str(model_folder), str(videos / "clips" / "a.mp4"), str(videos / "clips"),
                 "--out", str(out)]) == 0
    assert counts["build", "res_convlstm"] == 1  # the plan loads the model once
    with open(out / "summary.csv") as file:
        rows = list(csv.DictReader(file))
    assert [row["video"].rsplit("/", 1)[-1] for row in rows] == ["a.mp4", "b.avi"]  # each video once
    assert all(row["prediction"] in NAMES for row in rows)
    record = json.loads((out / "a.json").read_text())
    # 21 frames, windows of 4 frames 2 apart (7 source frames), every 3 frames; the last ends at frame 20.
    assert record["frame_step"] == 2 and record["window"] == 4 and record["stride"] == 3
    assert [w["start_frame"] for w in record["windows"]] == [0, 3, 6, 9, 12, 14]
    assert record["outputs"] == NAMES and record["prediction"]["label"] in NAMES
    assert (out / "b.timeline.png").stat().st_size > 5000


def test_predict_stream_runs_the_step_model(model_folder, videos, tmp_path):
    out = tmp_path / "stream"
    assert main(["predict", str(model_folder), str(videos / "clips" / "b.avi"), "--stream", "--out", str(out)]) == 0
    streamed = json.loads((out / "b.json").read_text())
    assert main(["predict", str(model_folder), str(videos / "clips" / "b.avi"), "--stride", "8",
                 "--out", str(tmp_path / "windows")]) == 0
    windows = json.loads((tmp_path / "windows" / "b.json").read_text())
    assert streamed["mode"] == "stream" and [w["start_frame"] for w in streamed["windows"]] == [0, 8]
    # The first window is whole in both: the step model's state at its last frame gives the clip model's scores.
    np.testing.assert_allclose(streamed["windows"][0]["scores"], windows["windows"][0]["scores"], atol=1e-5)


def test_export_puts_the_folders_preprocessing_inside(model_folder, tmp_path, capsys):
    out = tmp_path / "convlstm"
    assert main(["export", str(model_folder), "--format", "saved_model", "--out", str(out), "--check"]) == 0
    record = json.loads((tmp_path / "convlstm.json").read_text())
    assert record["class_names"] == NAMES and record["preprocessing"]["mean"] == [0.5]
    assert record["inputs"] == [{"name": "frames", "shape": [None, 4, 16, 16, 3], "dtype": "uint8"}]
    assert record["max_error"] < 1e-5 and "largest difference from Keras" in capsys.readouterr().out
    frames = np.random.default_rng(0).integers(0, 256, (2, 4, 16, 16, 3), dtype=np.uint8)
    model = stkeras.models.from_preset(str(model_folder))
    luma = frames.astype("float32") / 255.0 @ np.asarray([0.2989, 0.587, 0.114], "float32")[:, None]
    expected = keras.ops.convert_to_numpy(model((luma - 0.5) / 0.25))
    np.testing.assert_allclose(load_exported(out)(frames)[0], expected, rtol=0, atol=1e-5)


@pytest.mark.skipif(importlib.util.find_spec("ai_edge_litert") is None, reason="the export extra's LiteRT runtime")
def test_export_stream_to_litert(model_folder, tmp_path):
    out = tmp_path / "step.tflite"
    assert main(["export", str(model_folder), "--format", "litert", "--stream", "--out", str(out)]) == 0
    record = json.loads((tmp_path / "step.json").read_text())
    assert record["stream"] and [i["name"] for i in record["inputs"]][:2] == ["frame", "state_0"]
    assert len(record["states"]) == len(record["inputs"]) - 1


@pytest.mark.parametrize("argv,message", [
    (["predict", "no_such_model", "v.mp4", "--out", "o"], "neither a preset folder"),
    (["predict", "{model}", "missing.mp4", "--out", "o"], "No such video"),
    (["predict", "{model}", "{videos}", "--window", "8", "--out", "o"], "takes clips of 4 frames"),
    (["export", "{model}", "--format", "litert", "--out", "model.onnx"], "is a .tflite file"),
    (["export", "conv3d", "--format", "saved_model", "--stream", "--out", "o"], "cannot run frame by frame"),
])
def test_bad_arguments_exit_2_in_one_line(model_folder, videos, argv, message, capsys):
    argv = [a.format(model=model_folder, videos=videos) for a in argv]
    assert main(argv) == 2
    error = capsys.readouterr().err.strip()
    assert message in error and len(error.splitlines()) == 1
