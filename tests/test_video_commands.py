"""`stkeras train --data` then `evaluate` and `explain` of its run folder alone, and `compare --data`, on tiny
folders of encoded videos, end to end; each command builds each model once and lists the videos once.

Train, evaluate and explain read a folder of H.264 files made with x264's defaults (long keyframe intervals,
B-frames); the other commands a folder mixing MPEG-4 .mp4, Motion JPEG .avi files and frame folders.
"""

import json

import keras
import numpy as np
import pytest

from stkeras.cli import main
from tests.cli_runs import counts  # noqa: F401  (a fixture)
from tests.data.real_world_corpus import X264
from tests.data.real_world_corpus import Encoding
from tests.data.real_world_corpus import encode
from tests.data.video_fixtures import write_frame_folder
from tests.data.video_fixtures import write_video

pytestmark = pytest.mark.tensorflow_only("the commands train with tf.data and TensorFlow")

TINY = ["--frames", "4", "--frame-size", "32", "--epochs", "1", "--batch-size", "4"]


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


@pytest.fixture(scope="module")
def video_run(x264_videos, tmp_path_factory):
    """`stkeras train` of a small 3D CNN on the x264 videos: its run folder, and what it printed."""
    videos = x264_videos
    import contextlib
    import io

    out = tmp_path_factory.mktemp("runs") / "small"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(["train", "--model", "small_3d_cnn_regular", *TINY, "--data", str(videos), "--validation-split",
                     "0.5", "--out", str(out)]) == 0
    return out, printed.getvalue()


def test_train_on_a_folder_of_videos_writes_a_preset_folder_that_knows_its_classes(video_run):
    out, printed = video_run
    assert "2 classes, 3 training and 3 held-out videos, clips of 4x32x32" in printed
    config = json.loads((out / "config.json").read_text())
    assert config["class_names"] == ["dark", "light"] and config["preset"] == "small_3d_cnn_regular"
    clips = json.loads((out / "preprocessing.json").read_text())
    assert (clips["frames"], clips["frame_step"], clips["crop"], clips["resize"]) == (4, 2, [32, 32], 37)
    model = keras.saving.load_model(out / "model.keras", safe_mode=True)
    assert model.inputs[0].shape[1:] == (4, 32, 32, 3) and model.outputs[0].shape[-1] == 2


def test_evaluate_a_run_folder_alone_on_videos_with_views(video_run, x264_videos, tmp_path, capsys, counts):
    out, videos = video_run[0], x264_videos
    evaluation = tmp_path / "evaluation"
    assert main(["evaluate", "--model", str(out), "--data", str(videos), "--views", "2x3",
                 "--out", str(evaluation)]) == 0
    assert counts == {("build", "small_3d_cnn_regular"): 1, ("list", "list_class_videos"): 1, "probed": 6}
    result = json.loads((evaluation / "evaluation.json").read_text())
    assert result["num_videos"] == 6 and result["views"] == "2x3" and result["class_names"] == ["dark", "light"]
    confusion = np.array(result["confusion"])
    assert confusion.shape == (2, 2) and confusion.sum() == 6 and confusion.sum(axis=1).tolist() == [3, 3]
    assert result["top1"] == pytest.approx(np.trace(confusion) / 6) and result["top5"] == 1.0
    assert sorted(v["label"] for v in result["videos"]) == [0, 0, 0, 1, 1, 1]
    assert (evaluation / "confusion_matrix.png").stat().st_size > 1000
    assert "top-1" in capsys.readouterr().out


def test_evaluate_refuses_videos_of_other_classes_and_a_video_model_without_videos(video_run, tmp_path, capsys):
    out, _ = video_run
    other = tmp_path / "other"
    for label in ("cats", "dogs", "owls"):
        write_video(other / label / "a.mp4", 6)
    capsys.readouterr()
    assert main(["evaluate", "--model", str(out), "--data", str(other), "--out", str(tmp_path / "e")]) == 2
    error = capsys.readouterr().err
    assert "classes" in error and "'cats'" in error and len(error.strip().splitlines()) == 1
    assert main(["evaluate", "--model", str(out), "--out", str(tmp_path / "e")]) == 2
    assert "was trained on the videos of" in capsys.readouterr().err
    assert not (tmp_path / "e").exists()


@pytest.mark.parametrize("argv, message", [
    (["--layout", "ucf101"], "--layout is for videos"),
    (["--data", "/no/such/folder"], "/no/such/folder"),
    (["--data", "VIDEOS", "--weights", "/no/such.pth"], "--weights '/no/such.pth' is not a file"),
    (["--data", "VIDEOS", "--task", "speed"], "--task speed is a synthetic task"),
])
def test_train_on_videos_refuses_bad_options_in_one_line(videos, tmp_path, capsys, argv, message):
    argv = [str(videos) if a == "VIDEOS" else a for a in argv]
    assert main(["train", "--model", "small_3d_cnn_regular", "--frames", "4", *argv, "--out",
                 str(tmp_path / "run")]) == 2
    error = capsys.readouterr().err
    assert message in error and len(error.strip().splitlines()) == 1


def test_explain_a_run_folder_alone_on_videos(video_run, x264_videos, tmp_path, counts):
    out, videos = video_run[0], x264_videos
    explained = tmp_path / "explain"
    assert main(["explain", "--model", str(out), "--data", str(videos), "--clips", "3", "--out",
                 str(explained)]) == 0
    assert counts == {("build", "small_3d_cnn_regular"): 1, ("list", "list_class_videos"): 1, "probed": 6}
    folder = explained / "small"
    assert sorted(p.name for p in folder.iterdir()) == ["clip_0.gif", "clip_1.gif", "clip_2.gif", "maps.png"]
    result = json.loads((explained / "explain.json").read_text())
    assert len(result["models"][0]["videos"]) == 3 and 0 <= result["models"][0]["correct"] <= 1
    assert "videos right" in (explained / "explain.md").read_text()


def test_compare_networks_on_real_videos(videos, tmp_path, counts):
    out = tmp_path / "compare"
    argv = ["compare", "--models", "conv2d,conv3d", "--data", str(videos), "--validation-split", "0.5", *TINY,
            "--out", str(out)]
    assert main(argv) == 0
    assert counts == {("build", "conv2d"): 1, ("build", "conv3d"): 1, ("list", "list_class_videos"): 1,
                      "probed": 6}  # the videos listed and probed once for both models
    results = json.loads((out / "results.json").read_text())
    assert set(results["models"]) == {"conv2d", "conv3d"} and results["class_names"] == ["dark", "light"]
    for r in results["models"].values():
        assert 0 <= r["accuracy"] <= 1 and r["parameters"] > 0 and r["epochs_trained"] == 1
    assert "| baseline (majority class" in (out / "results.md").read_text()
    assert (out / "training_curves.png").stat().st_size > 1000
    assert json.loads((out / "models" / "conv3d" / "config.json").read_text())["class_names"] == ["dark", "light"]


def test_tune_searches_on_real_videos_and_keeps_the_best_model_as_a_preset_folder(videos, tmp_path, capsys, counts):
    out = tmp_path / "search"
    argv = ["tune", "--space", "courtney", "--ops", "conv2d,conv3d", "--width-multipliers", "0.5", "--max-trials", "1",
            "--data", str(videos), "--validation-split", "0.5", *TINY, "--out", str(out)]
    assert main(argv) == 0
    assert counts[("space", "courtney")] == 1 and counts[("list", "list_class_videos")] == 1 and counts["probed"] == 6
    assert "clips of 4x32x32" in capsys.readouterr().out
    trials = json.loads((out / "trials.json").read_text())
    assert len(trials["trials"]) == 1 and trials["best"]["model"] == "best/"
    model = keras.saving.load_model(out / "best" / "model.keras", safe_mode=True)
    assert model.inputs[0].shape[1:] == (4, 32, 32, 3) and model.outputs[0].shape[-1] == 2
    assert json.loads((out / "best" / "config.json").read_text())["class_names"] == ["dark", "light"]
