"""`stkeras cache DIR OUT` end to end on a tiny folder: written, resumed, read by a dataset, damaged files named."""

import os

import numpy as np
import pytest

from stkeras.cli import main
from stkeras.data import video_dataset_from_directory
from tests.data.real_world_corpus import X264
from tests.data.real_world_corpus import Encoding
from tests.data.real_world_corpus import encode
from tests.data.video_fixtures import write_frame_folder

pytest.importorskip("imageio_ffmpeg")


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("videos"))
    encode([Encoding("dark/a.mp4", "x264 defaults", 20, X264), Encoding("light/b.mp4", "x264", 16, X264)], root)
    write_frame_folder(os.path.join(root, "light", "c"), 8, size=(36, 40))
    return root


def test_cache_a_folder_then_read_it(videos, tmp_path, capsys):
    out = str(tmp_path / "cache")
    assert main(["cache", videos, out, "--image-size", "24", "--workers", "2"]) == 0
    printed = capsys.readouterr()
    assert f"Frame cache {out}: 3 videos, 44 frames" in printed.out and "3/3" in printed.err  # the progress bar
    assert main(["cache", videos, out, "--image-size", "24"]) == 0  # nothing left to write
    printed = capsys.readouterr()
    assert "3 videos, 44 frames" in printed.out and "3/3" not in printed.err
    assert main(["cache", videos, out, "--image-size", "32"]) == 2
    assert "holds frames made with" in capsys.readouterr().err
    options = dict(image_size=(24, 24), clip_length=4, batch_size=3, seed=1, training=True)
    clips, labels = next(iter(video_dataset_from_directory(videos, cache=out, **options)))
    expected, _ = next(iter(video_dataset_from_directory(videos, **options)))
    np.testing.assert_array_equal(clips, expected)
    assert sorted(labels.numpy().tolist()) == [0, 1, 1]


def test_bad_folders_and_damaged_videos(videos, tmp_path, capsys):
    assert main(["cache", str(tmp_path / "none"), str(tmp_path / "out")]) == 2
    assert "DIR must be a folder of videos" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(["cache", str(tmp_path / "empty"), str(tmp_path / "out")]) == 2
    assert "No videos" in capsys.readouterr().err
    folder = tmp_path / "some"
    folder.mkdir()
    (folder / "broken.mp4").write_bytes(b"\x00" * 100)
    os.symlink(os.path.join(videos, "dark", "a.mp4"), folder / "a.mp4")
    assert main(["cache", str(folder), str(tmp_path / "out"), "--image-size", "24"]) == 1
    assert "broken.mp4" in capsys.readouterr().err
    with pytest.warns(UserWarning, match="Skipped 1 of 2"):
        assert main(["cache", str(folder), str(tmp_path / "out"), "--image-size", "24", "--on-error", "skip"]) == 0
    printed = capsys.readouterr().out
    assert "1 video, 20 frames" in printed and f"skipped {folder / 'broken.mp4'}" in printed
