"""The video pipeline's decoding: worker processes or tf.data's threads give the same clips, uint8 or float32.

The videos are H.264 files made with x264's defaults (B-frames, one
keyframe) and a 4-frame keyframe interval, with moving content and grain,
so that a wrong frame, crop or resize shows.
"""

import numpy as np
import pytest

from tests.data.real_world_corpus import X264
from tests.data.real_world_corpus import Encoding
from tests.data.real_world_corpus import encode

from stkeras.data import dense_indices
from stkeras.data import video_dataset_from_files
from stkeras.data.clip_reader import read_clip
from stkeras.data.decode_workers import decode_size
from stkeras.data.decode_workers import run_in_worker
from stkeras.data.video_decode import decode_frames
from stkeras.data.video_index import index_video

pytest.importorskip("imageio_ffmpeg")

OPTIONS = dict(clip_length=4, frame_step=2, image_size=(24, 24), resize_short=28, batch_size=2, seed=3)


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("videos"))
    paths = encode([Encoding("a.mp4", "x264 defaults", 40, X264),
                    Encoding("b.mp4", "x264, keyframes 4 apart", 30, X264 + ("-g", "4"), size=(40, 56)),
                    Encoding("c.mp4", "x264 defaults, taller than wide", 36, X264, size=(64, 48))], folder)
    return [paths[name] for name in ("a.mp4", "b.mp4", "c.mp4")]


def _epoch(dataset):
    return np.concatenate([clips.numpy() for clips, _ in dataset])


def test_worker_processes_and_threads_give_the_same_clips(videos):
    threads = video_dataset_from_files(videos, [0, 1, 2], training=True, dtype="uint8", workers=0, **OPTIONS)
    processes = video_dataset_from_files(videos, [0, 1, 2], training=True, dtype="uint8", workers=2, **OPTIONS)
    first, again = _epoch(threads), _epoch(threads)
    assert first.shape == (3, 4, 24, 24, 3) and first.dtype == np.uint8
    np.testing.assert_array_equal(_epoch(processes), first)
    np.testing.assert_array_equal(_epoch(processes), again)  # the second epoch's new draws, the same in both
    assert not np.array_equal(first, again)


def test_evaluation_clips_are_the_decoders_frames_resized_while_converting(videos):
    dataset = video_dataset_from_files(videos, [0, 1, 2], training=False, shuffle=False, workers=2, **OPTIONS)
    clips = _epoch(dataset)
    assert clips.dtype == np.float32
    for path, clip in zip(videos, clips):
        index = index_video(path)
        indices = dense_indices(index.num_frames, clip_length=4, frame_step=2, training=False).reshape(-1)
        size = decode_size(index.height, index.width, 28, (24, 24))
        frames = decode_frames(path, indices, size=size)
        top, left = (size[0] - 24) // 2, (size[1] - 24) // 2
        np.testing.assert_allclose(clip, frames[:, top:top + 24, left:left + 24] / 255, atol=1e-6)
    as_uint8 = _epoch(video_dataset_from_files(videos, [0, 1, 2], training=False, shuffle=False, dtype="uint8",
                                               workers=0, **OPTIONS))
    np.testing.assert_allclose(clips, as_uint8 / 255, atol=1e-6)


def test_read_clip_gives_decode_frames_frames_with_b_frames_and_keyframes_in_the_clip(videos):
    for path in videos:
        index = index_video(path)
        for indices in ([index.num_frames - 3, 2, 2, 17], list(range(5, 21, 2)), [0, 1, index.num_frames - 1]):
            expected = decode_frames(path, indices, size=(20, 30))
            np.testing.assert_array_equal(read_clip(path, indices, index=index, size=(20, 30)), expected)


def test_a_worker_error_names_the_file_and_the_pool_keeps_working(tmp_path, videos):
    missing = str(tmp_path / "gone.mp4")
    with pytest.raises(ValueError, match="gone.mp4"):
        run_in_worker(2, missing, decode_frames, missing, [0])
    assert run_in_worker(2, videos[0], decode_frames, videos[0], [1]).shape == (1, 48, 64, 3)


def test_workers_and_dtype_are_checked(videos):
    with pytest.raises(ValueError, match="`workers`.*-1"):
        video_dataset_from_files(videos, workers=-1)
    with pytest.raises(ValueError, match="Unknown `dtype`: 'float16'"):
        video_dataset_from_files(videos, dtype="float16")
