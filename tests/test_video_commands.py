"""`stkeras train --data` then `stkeras evaluate` on tiny folders of encoded videos, end to end.

Train-and-evaluate reads a folder of H.264 files made with x264's defaults
(long keyframe intervals, B-frames); the other commands a folder mixing
MPEG-4 .mp4, Motion JPEG .avi files and frame folders.
"""

import json

import keras
import numpy as np
import pytest

from stkeras.cli import main
from tests.data.real_world_corpus import X264
from tests.data.real_world_corpus import Encoding
from tests.data.real_world_corpus import encode
from tests.data.video_fixtures import write_frame_folder
from tests.data.video_fixtures import write_video

pytestmark = pytest.mark.tensorflow_only("the commands train with tf.data and TensorFlow")

TINY = ["--model", "small_3d_cnn_regular", "--frames", "4", "--image-size", "32", "--epochs", "1",
        "--batch-size", "4"]


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    """Two classes of three short videos each: mp4 and avi files and a frame folder."""
    root = tmp_path_factory.mktemp("videos")
    for label, offset in (("dark", 0), ("light", 120)):
        write_video(root / label / "a.mp4", 10, offset=offset)
        write_video(root / label / "b.avi", 12, offset=offset)
        write_frame_folder(root / label / "c", 9, offset=offset)
    return root


@pytest.fixture(scope="module")
def x264_videos(tmp_path_factory):
    """Two classes of three H.264 .mp4 files made with x264's defaults (one keyframe in 250 frames, B-frames),
    260 frames each, as most videos people have; the classes differ in brightness."""
    pytest.importorskip("imageio_ffmpeg")
    root = tmp_path_factory.mktemp("x264")
    encode([Encoding(f"{label}/{i}.mp4", "x264 defaults", 260, X264, filters=f",eq=brightness={level}")
            for label, level in (("dark", -0.3), ("light", 0.3)) for i in range(3)], str(root))
    return root


def test_train_on_a_folder_of_videos_then_evaluate_with_views(x264_videos, tmp_path, capsys):
    videos = x264_videos
    out = tmp_path / "run"
    assert main(["train", *TINY, "--data", str(videos), "--validation-split", "0.5", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "2 classes, 3 training and 3 held-out videos, clips of 4x32x32" in printed
    assert json.loads((out / "class_names.json").read_text()) == ["dark", "light"]
    model = keras.saving.load_model(out / "model.keras", safe_mode=True)
    assert model.inputs[0].shape[1:] == (4, 32, 32, 3) and model.outputs[0].shape[-1] == 2

    evaluation = tmp_path / "evaluation"
    assert main(["evaluate", "--model-file", str(out / "model.keras"), "--data", str(videos), "--views", "2x3",
                 "--out", str(evaluation)]) == 0
    result = json.loads((evaluation / "evaluation.json").read_text())
    assert result["num_videos"] == 6 and result["views"] == "2x3" and result["class_names"] == ["dark", "light"]
    confusion = np.array(result["confusion"])
    assert confusion.shape == (2, 2) and confusion.sum() == 6 and confusion.sum(axis=1).tolist() == [3, 3]
    assert result["top1"] == pytest.approx(np.trace(confusion) / 6) and result["top5"] == 1.0
    assert sorted(v["label"] for v in result["videos"]) == [0, 0, 0, 1, 1, 1]
    assert (evaluation / "confusion_matrix.png").stat().st_size > 1000
    assert "top-1" in capsys.readouterr().out


def test_evaluate_refuses_data_of_other_classes_before_evaluating(videos, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", *TINY, "--data", str(videos), "--validation-split", "0.5", "--out", str(out)]) == 0
    other = tmp_path / "other"
    for label in ("cats", "dogs", "owls"):
        write_video(other / label / "a.mp4", 6)
    capsys.readouterr()
    status = main(["evaluate", "--model-file", str(out / "model.keras"), "--data", str(other), "--out",
                   str(tmp_path / "e")])
    assert status == 2
    error = capsys.readouterr().err
    assert "classes" in error and "'cats'" in error
    assert not (tmp_path / "e").exists()


@pytest.mark.parametrize("argv, message", [
    (["--layout", "ucf101"], "--layout is for training on videos"),
    (["--weights", "x.pth"], "--weights is for training on videos"),
    (["--data", "/no/such/folder"], "/no/such/folder"),
    (["--data", "VIDEOS", "--weights", "/no/such.pth"], "--weights '/no/such.pth' is not a file"),
    (["--data", "VIDEOS", "--task", "speed"], "--task speed is a synthetic task"),
])
def test_train_on_videos_refuses_bad_options_in_one_line(videos, tmp_path, capsys, argv, message):
    argv = [str(videos) if a == "VIDEOS" else a for a in argv]
    assert main(["train", *TINY, *argv, "--out", str(tmp_path / "run")]) == 2
    error = capsys.readouterr().err
    assert message in error and len(error.strip().splitlines()) == 1


def test_explain_real_videos_writes_gifs_and_a_frame_strip(videos, tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", *TINY, "--data", str(videos), "--validation-split", "0.5", "--out", str(out)]) == 0
    explained = tmp_path / "explain"
    assert main(["explain", "--model-file", str(out / "model.keras"), "--data", str(videos), "--clips", "3",
                 "--out", str(explained)]) == 0
    folder = explained / "run"
    assert sorted(p.name for p in folder.iterdir()) == ["clip_0.gif", "clip_1.gif", "clip_2.gif", "maps.png"]
    result = json.loads((explained / "explain.json").read_text())
    assert len(result["models"][0]["videos"]) == 3 and 0 <= result["models"][0]["correct"] <= 1
    assert "videos right" in (explained / "explain.md").read_text()


@pytest.mark.large
def test_tune_searches_on_real_videos(videos, tmp_path, capsys):
    out = tmp_path / "search"
    argv = ["tune", "--space", "courtney", "--ops", "conv2d,conv3d", "--width-multipliers", "0.5", "--max-trials", "1",
            "--data", str(videos), "--validation-split", "0.5", "--frames", "4", "--image-size", "32", "--epochs",
            "1", "--batch-size", "4", "--out", str(out)]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "clips of 4x32x32" in printed
    trials = json.loads((out / "trials.json").read_text())
    assert len(trials["trials"]) == 1
    model = keras.saving.load_model(out / "best.keras", safe_mode=True)
    assert model.inputs[0].shape[1:] == (4, 32, 32, 3) and model.outputs[0].shape[-1] == 2


def test_compare_networks_on_real_videos(videos, tmp_path, capsys):
    out = tmp_path / "compare"
    argv = ["compare", "--models", "conv2d,conv3d", "--data", str(videos), "--validation-split", "0.5", "--frames",
            "4", "--image-size", "32", "--epochs", "1", "--batch-size", "4", "--out", str(out)]
    assert main(argv) == 0
    results = json.loads((out / "results.json").read_text())
    assert set(results["models"]) == {"conv2d", "conv3d"} and results["class_names"] == ["dark", "light"]
    for r in results["models"].values():
        assert 0 <= r["top1"] <= 1 and r["top5"] == 1.0 and r["parameters"] > 0 and r["epochs_trained"] == 1
    assert "| baseline (majority class) |" in (out / "results.md").read_text()
    assert (out / "training_curves.png").stat().st_size > 1000
    assert (out / "conv3d" / "model.keras").exists()
