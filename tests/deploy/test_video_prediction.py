"""predict_video scores whole videos window by window (or frame by frame streaming) and writes CSV, JSON and a timeline."""

import csv
import json

import keras
import numpy as np
import pytest

from stkeras.data import decode_frames
from stkeras.deploy import predict_video
from stkeras.deploy import predict_videos
from stkeras.deploy.frame_preprocessing import LUMA
from tests.data.video_fixtures import write_video
from tests.deploy.deploy_models import build

NAMES = ["walk", "run", "jump"]


@pytest.fixture(scope="module")
def model():
    return build("res_convlstm")  # 4 frames of 16x16, 3 classes


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    return write_video(tmp_path_factory.mktemp("videos") / "clip.mp4", 23, size=(16, 16))


def clip_scores(model, video, starts, window, step=1):
    """The model on each window's frames, read and preprocessed here: luma of 0..1 RGB."""
    indices = np.minimum(np.asarray(starts)[:, None] + np.arange(window) * step, 22)
    frames = decode_frames(video, indices.reshape(-1)).reshape(len(starts), window, 16, 16, 3)
    clips = (frames.astype("float32") / 255.0) @ np.asarray(LUMA, "float32")[:, None]
    return keras.ops.convert_to_numpy(model(clips, training=False))


def test_windows_cover_the_video_and_give_the_model_outputs(model, video):
    prediction = predict_video(model, video, stride=3, batch_size=4, class_names=NAMES, progress=False)
    assert prediction.window_starts.tolist() == [0, 3, 6, 9, 12, 15, 18, 19]  # the last ends at the last frame
    assert prediction.window_ends.tolist() == [3, 6, 9, 12, 15, 18, 21, 22]
    expected = clip_scores(model, video, prediction.window_starts, 4)
    np.testing.assert_allclose(prediction.window_scores, expected, rtol=0, atol=1e-5)
    # A frame's score: the mean of the windows that hold it (frame 4: windows from 3 and from... only 3).
    np.testing.assert_allclose(prediction.frame_scores[4], expected[1], atol=1e-6)
    np.testing.assert_allclose(prediction.frame_scores[6], expected[1:3].mean(axis=0), atol=1e-6)
    np.testing.assert_allclose(prediction.scores, expected.mean(axis=0), atol=1e-6)
    assert prediction.label == NAMES[int(np.argmax(expected.mean(axis=0)))]
    assert not np.isnan(prediction.frame_scores).any()


def test_a_frame_step_spaces_the_frames_of_a_window(model, video):
    prediction = predict_video(model, video, frame_step=2, stride=7, progress=False)
    assert prediction.window_starts.tolist() == [0, 7, 14, 16]
    np.testing.assert_allclose(prediction.window_scores, clip_scores(model, video, [0, 7, 14, 16], 4, step=2),
                               rtol=0, atol=1e-5)


def test_streaming_gives_the_window_scores_at_each_window_end(model, video):
    streamed = predict_video(model, video, stream=True, progress=False)
    windows = predict_video(model, video, stride=4, progress=False)
    assert streamed.mode == "stream" and streamed.window_starts.tolist() == [0, 4, 8, 12, 16, 20]
    full = len(streamed.window_starts) - 1  # the last window is cut short by the video's end (3 frames)
    np.testing.assert_allclose(streamed.window_scores[:full], windows.window_scores[:full], rtol=0, atol=1e-5)
    # Within a window, frame t's score is the clip model's on the frames since the window began.
    np.testing.assert_allclose(streamed.frame_scores[3], windows.window_scores[0], atol=1e-5)
    assert np.abs(streamed.frame_scores[1] - streamed.frame_scores[3]).max() > 1e-7


def test_per_frame_outputs_are_per_frame_scores(tmp_path):
    model = build("res_convlstm_per_frame")
    video = write_video(tmp_path / "v.avi", 8, size=(16, 16))
    prediction = predict_video(model, video, stride=4, progress=False)
    expected = clip_scores(model, video, [0, 4], 4)  # (2, 4, 3): windows of per-frame outputs
    np.testing.assert_allclose(prediction.frame_scores, expected.reshape(8, 3), rtol=0, atol=1e-5)
    np.testing.assert_allclose(prediction.window_scores, expected.mean(axis=1), atol=1e-6)


def test_a_video_shorter_than_a_window_repeats_its_last_frame(model, tmp_path):
    video = write_video(tmp_path / "short.mp4", 2, size=(16, 16))
    prediction = predict_video(model, video, progress=False)
    assert prediction.window_starts.tolist() == [0] and prediction.window_ends.tolist() == [1]
    indices = [0, 1, 1, 1]
    frames = decode_frames(video, indices)[None].astype("float32") / 255.0 @ np.asarray(LUMA, "float32")[:, None]
    np.testing.assert_allclose(prediction.window_scores, keras.ops.convert_to_numpy(model(frames)), atol=1e-5)


def test_a_folder_writes_each_video_and_a_summary(model, tmp_path):
    write_video(tmp_path / "videos" / "walk" / "a.mp4", 9, size=(24, 32))
    write_video(tmp_path / "videos" / "run" / "a.mp4", 12, size=(16, 16), offset=40)
    predictions = predict_videos(model, tmp_path / "videos", tmp_path / "out", class_names=NAMES, progress=False)
    assert [p.video.split("/")[-2] for p in predictions] == ["run", "walk"]
    with open(tmp_path / "out" / "summary.csv") as file:
        rows = list(csv.DictReader(file))
    assert [row["prediction"] for row in rows] == [p.label for p in predictions]
    record = json.loads((tmp_path / "out" / "walk__a.json").read_text())
    assert record["prediction"]["label"] == predictions[1].label and record["outputs"] == NAMES
    assert len(record["windows"]) == len(predictions[1].window_starts)
    with open(tmp_path / "out" / "walk__a.frames.csv") as file:
        assert len(list(csv.reader(file))) == 1 + 9
    png = (tmp_path / "out" / "run__a.timeline.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000


def test_bad_arguments_are_named(model, video, tmp_path):
    with pytest.raises(ValueError, match="takes clips of 4 frames. Received: window=8"):
        predict_video(model, video, window=8)
    with pytest.raises(ValueError, match="stride"):
        predict_video(model, video, stride=0)
    with pytest.raises(ValueError, match="No such video"):
        predict_videos(model, [tmp_path / "missing.mp4"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="No video file"):
        predict_videos(model, tmp_path / "empty")
