"""The frame cache: the same clips as the videos, resumed writing, changed and damaged files."""

import json
import os
import time

import numpy as np
import pytest

from tests.data.real_world_corpus import X264
from tests.data.real_world_corpus import Encoding
from tests.data.real_world_corpus import encode
from tests.data.real_world_corpus import ffmpeg_frames

from stkeras.data import VideoDecodeError
from stkeras.data import video_dataset_from_directory
from stkeras.data import write_frame_cache
from stkeras.data.frame_cache import cache_file
from stkeras.data.frame_cache import read_cached_frames

pytest.importorskip("imageio_ffmpeg")

OPTIONS = dict(clip_length=4, frame_step=2, image_size=(24, 24), batch_size=2, seed=5, dtype="uint8")


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    """Two classes: x264 files (B-frames, one keyframe; a 6-frame keyframe interval) and a folder of PNG frames."""
    from PIL import Image

    root = str(tmp_path_factory.mktemp("videos"))
    paths = encode([Encoding("walk/a.mp4", "x264 defaults", 30, X264),
                    Encoding("walk/b.mp4", "x264, keyframes 6 apart", 26, X264 + ("-g", "6"), size=(40, 56)),
                    Encoding("run/c.mp4", "x264 defaults, taller than wide", 24, X264, size=(64, 48))], root)
    os.makedirs(os.path.join(root, "run", "d"))
    for i, frame in enumerate(ffmpeg_frames(paths["walk/b.mp4"])[:12]):
        Image.fromarray(frame).save(os.path.join(root, "run", "d", f"{i + 1:05d}.png"))
    return root


def _epochs(dataset, count=2):
    return [np.concatenate([clips.numpy() for clips, _ in dataset]) for _ in range(count)]


def test_the_cache_gives_the_clips_of_the_videos(videos, tmp_path):
    cache = str(tmp_path / "cache")
    from_videos = video_dataset_from_directory(videos, training=True, **OPTIONS)
    from_cache = video_dataset_from_directory(videos, training=True, cache=cache, **OPTIONS)
    assert from_cache.class_names == ["run", "walk"]
    for expected, clips in zip(_epochs(from_videos), _epochs(from_cache)):
        assert clips.shape == (4, 4, 24, 24, 3)
        np.testing.assert_array_equal(clips, expected)
    with open(os.path.join(cache, "cache.json")) as handle:
        assert json.load(handle) == {"format": 1, "resize_short": 27, "image_size": [24, 24], "rotate": True}
    array = np.load(cache_file(cache, os.path.join(videos, "walk", "b.mp4")), mmap_mode="r")
    assert array.shape == (26, 27, 38, 3) and array.dtype == np.uint8  # short side 27 (24 x 8/7), width rounded up
    evaluation = video_dataset_from_directory(videos, training=False, shuffle=False, cache=cache, **OPTIONS)
    np.testing.assert_array_equal(
        _epochs(evaluation, 1)[0],
        _epochs(video_dataset_from_directory(videos, training=False, shuffle=False, **OPTIONS), 1)[0])


def test_writing_resumes_and_rewrites_changed_or_damaged_videos(videos, tmp_path, capsys):
    cache = str(tmp_path / "cache")
    paths = [os.path.join(videos, "walk", name) for name in ("a.mp4", "b.mp4")] + [os.path.join(videos, "run", "d")]
    kept, entries, skipped = write_frame_cache(paths, cache, image_size=(24, 24), workers=2)
    assert kept == paths and [frames for _, frames, _ in entries] == [30, 26, 12] and not skipped
    assert "Frame cache" in capsys.readouterr().err  # the progress bar
    written = {path: os.stat(cache_file(cache, path)).st_mtime_ns for path in paths}
    # An interrupted run: one array never renamed into place, one cut short.
    os.replace(cache_file(cache, paths[0]), cache_file(cache, paths[0]) + ".123.part")
    with open(cache_file(cache, paths[1]), "r+b") as handle:
        handle.truncate(5000)
    time.sleep(0.01)
    write_frame_cache(paths, cache, image_size=(24, 24), workers=2, verbose=False)
    again = {path: os.stat(cache_file(cache, path)).st_mtime_ns for path in paths}
    assert again[paths[2]] == written[paths[2]]  # kept
    assert again[paths[0]] > written[paths[0]] and again[paths[1]] > written[paths[1]]  # written again
    # A source that changed is written again.
    os.utime(paths[2], ns=(time.time_ns(), time.time_ns()))
    write_frame_cache(paths, cache, image_size=(24, 24), verbose=False)
    assert os.stat(cache_file(cache, paths[2])).st_mtime_ns > written[paths[2]]
    assert read_cached_frames(cache_file(cache, paths[0]), [3, 1]).shape == (2, 27, 36, 3)


def test_damaged_videos_and_cache_files_are_named(videos, tmp_path):
    good = os.path.join(videos, "walk", "a.mp4")
    damaged = tmp_path / "damaged.mp4"
    damaged.write_bytes(open(good, "rb").read()[:400])
    cache = str(tmp_path / "cache")
    with pytest.raises(VideoDecodeError, match="damaged.mp4"):
        write_frame_cache([good, str(damaged)], cache, image_size=(24, 24), verbose=False)
    with pytest.warns(UserWarning, match="Skipped 1 of 2 videos"):
        kept, _, skipped = write_frame_cache([good, str(damaged)], cache, image_size=(24, 24), on_error="skip",
                                             verbose=False)
    assert kept == [good] and skipped[0][0] == str(damaged) and "damaged.mp4" in skipped[0][1]
    with pytest.raises(ValueError, match="holds frames made with .*'resize_short': 27.*'resize_short': 40"):
        write_frame_cache([good], cache, resize_short=40, image_size=(24, 24), verbose=False)
    file = cache_file(cache, good)
    with open(file, "r+b") as handle:
        handle.truncate(3000)
    with pytest.raises(VideoDecodeError, match="Frame cache file .*a-.*npy' is damaged"):
        read_cached_frames(file, [0, 1])
    with pytest.raises(ValueError, match="crop='multiscale' resizes whole frames"):
        video_dataset_from_directory(videos, training=True, crop="multiscale", cache=cache, image_size=(24, 24))
