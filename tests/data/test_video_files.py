"""Video files through PyAV and tf.data, on small videos encoded here (frame i has a known brightness)."""

import os
import warnings

import numpy as np
import pytest
import tensorflow as tf

from tests.data.video_fixtures import av  # noqa: F401  (skips without PyAV)
from tests.data.video_fixtures import brightness
from tests.data.video_fixtures import frame_levels
from tests.data.video_fixtures import write_frame_folder
from tests.data.video_fixtures import write_video

from stkeras.data import VideoDecodeError
from stkeras.data import decode_frames
from stkeras.data import probe_video
from stkeras.data import video_dataset_from_directory
from stkeras.data import video_dataset_from_files

TOLERANCE = 6  # grey levels: the lossy codecs' error on flat frames


@pytest.mark.parametrize("extension", [".mp4", ".avi", ".mkv", ".webm", ".mov"])
def test_each_container_decodes_the_frames_asked_for(tmp_path, extension):
    path = write_video(tmp_path / f"v{extension}", 8, size=(24, 40))
    info = probe_video(path)
    assert (info.num_frames, info.height, info.width) == (8, 24, 40) and info.fps == pytest.approx(25)
    frames = decode_frames(path, [6, 1, 1, 7])
    assert frames.shape == (4, 24, 40, 3) and frames.dtype == np.uint8
    np.testing.assert_allclose(frame_levels(frames), [brightness(i) for i in (6, 1, 1, 7)], atol=TOLERANCE)


def test_frame_folders_read_like_video_files(tmp_path):
    folder = write_frame_folder(tmp_path / "clip", 6, size=(20, 30))
    assert probe_video(folder) == (6, None, 20, 30)
    np.testing.assert_allclose(frame_levels(decode_frames(folder, [5, 0, 5])), [brightness(i) for i in (5, 0, 5)],
                               atol=2)
    with pytest.raises(VideoDecodeError, match="clip' has 6 frames; frame 9 was asked for"):
        decode_frames(folder, [9])


def test_seeking_gives_the_frames_of_a_full_decode(tmp_path):
    path = write_video(tmp_path / "long.mp4", 150, gop=10)
    for indices in ([140, 3, 140, 70], [100, 101, 102, 103], [0, 149], [64, 8, 96]):
        seeked, full = decode_frames(path, indices), decode_frames(path, indices, seek=False)
        np.testing.assert_array_equal(seeked, full)
        np.testing.assert_allclose(frame_levels(seeked), [brightness(i) for i in indices], atol=TOLERANCE)


def test_seeking_with_b_frames_gives_the_frames_of_a_full_decode(tmp_path):
    if "libx264" not in av.codecs_available:
        pytest.skip("this FFmpeg has no libx264 encoder")
    path = write_video(tmp_path / "h264.mp4", 90, codec="libx264", gop=16)  # B-frames: decode order != display order
    indices = [80, 17, 17, 45, 2]
    seeked = decode_frames(path, indices)
    np.testing.assert_array_equal(seeked, decode_frames(path, indices, seek=False))
    np.testing.assert_allclose(frame_levels(seeked), [brightness(i) for i in indices], atol=TOLERANCE)


def _damage(tmp_path):
    good = write_video(tmp_path / "good.mp4", 30)
    data = open(good, "rb").read()
    (tmp_path / "truncated.mp4").write_bytes(data[: len(data) // 2])
    (tmp_path / "empty.mp4").write_bytes(b"")
    (tmp_path / "garbage.avi").write_bytes(np.random.default_rng(0).bytes(4000))
    return good


@pytest.mark.parametrize("name, reason", [("truncated.mp4", "corrupt, truncated"), ("empty.mp4", "is empty"),
                                          ("garbage.avi", "not a video container"), ("missing.mp4", "does not exist")])
def test_damaged_files_are_named(tmp_path, name, reason):
    _damage(tmp_path)
    path = str(tmp_path / name)
    for read in (lambda: probe_video(path), lambda: decode_frames(path, [0])):
        with pytest.raises(ValueError, match=f"{name}' .*{reason}"):
            read()


def test_an_unknown_codec_is_named(tmp_path):
    data = open(write_video(tmp_path / "v.avi", 6), "rb").read()
    (tmp_path / "odd.avi").write_bytes(data.replace(b"MJPG", b"ZZZZ"))  # a codec tag no decoder knows
    for read in (lambda: probe_video(str(tmp_path / "odd.avi")), lambda: decode_frames(str(tmp_path / "odd.avi"), [0])):
        with pytest.raises(VideoDecodeError, match="odd.avi': its codec .*cannot be decoded by this FFmpeg build"):
            read()


def test_a_file_truncated_after_its_header_is_named(tmp_path):
    path = str(tmp_path / "faststart.mp4")
    with av.open(path, "w", options={"movflags": "faststart"}) as container:  # the header first, frames after
        stream = container.add_stream("mpeg4", rate=25)
        stream.height = stream.width = 32
        for i in range(30):
            frame = av.VideoFrame.from_ndarray(np.full((32, 32, 3), brightness(i), np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    data = open(path, "rb").read()
    open(path, "wb").write(data[: len(data) * 4 // 5])
    # The header lists 30 frames; the index reads the packets there are, the last one cut short.
    for read in (lambda: probe_video(path), lambda: decode_frames(path, [0])):
        with pytest.raises(VideoDecodeError, match="faststart.mp4' is corrupt or truncated: its video packet at "
                                                   "0.680 s is cut short"):
            read()


def test_a_file_truncated_after_indexing_is_named_or_skipped_while_iterating(tmp_path):
    path, good = write_video(tmp_path / "v.avi", 30), write_video(tmp_path / "good.avi", 30)
    options = dict(clip_length=4, frame_step=7, image_size=(8, 8), shuffle=False, batch_size=None)
    strict = video_dataset_from_files([path, good], [0, 1], **options)
    lenient = video_dataset_from_files([path, good], [0, 1], on_error="skip", **options)
    data = open(path, "rb").read()
    open(path, "wb").write(data[: len(data) // 2])  # the datasets' indexes still say 30 frames
    with pytest.raises(tf.errors.OpError, match="v.avi' is corrupt or truncated"):
        list(strict)
    # Skipping: indexing could not see it, so iteration leaves it out (tf.data logs a warning).
    assert [int(y) for _, y in lenient] == [1]


def _classes(root):
    """walk/: an mp4 (40 frames) and an avi (8); run/: a frame folder (12) and a webm (20, 32x48)."""
    write_video(root / "walk" / "a.mp4", 40)
    write_video(root / "walk" / "b.avi", 8)
    write_frame_folder(root / "run" / "c", 12)
    write_video(root / "run" / "d.webm", 20, size=(32, 48))
    return str(root)


def test_dataset_from_directory_shapes_labels_and_evaluation_frames(tmp_path):
    root = _classes(tmp_path)
    ds = video_dataset_from_directory(root, clip_length=4, frame_step=2, image_size=(16, 16), batch_size=2,
                                      shuffle=False)
    assert ds.class_names == ["run", "walk"] and ds.num_skipped == 0
    assert [os.path.relpath(p, root) for p in ds.file_paths] == ["run/c", "run/d.webm", "walk/a.mp4", "walk/b.avi"]
    batches = list(ds)
    assert [b[0].shape for b in batches] == [(2, 4, 16, 16, 3)] * 2 and batches[0][0].dtype == tf.float32
    assert [int(y) for b in batches for y in b[1]] == [0, 0, 1, 1]
    clips = np.concatenate([b[0].numpy() for b in batches])
    assert 0 <= clips.min() and clips.max() <= 1
    # Evaluation: the clip is centred in the video: starts 2, 6, 16 and 0 (MMAction2's test clips).
    expected = [[brightness(s + 2 * j) for j in range(4)] for s in (2, 6, 16, 0)]
    np.testing.assert_allclose(frame_levels(clips), expected, atol=TOLERANCE)


def test_training_clips_are_seeded_and_cropped(tmp_path):
    root = _classes(tmp_path)

    def draw(seed):
        ds = video_dataset_from_directory(root, clip_length=4, image_size=(16, 16), batch_size=4, seed=seed,
                                          training=True, flip=True)
        x, y = next(iter(ds))
        return x.numpy(), y.numpy()

    first, again = draw(1), draw(1)
    np.testing.assert_array_equal(first[0], again[0])
    np.testing.assert_array_equal(first[1], again[1])
    assert first[0].shape == (4, 4, 16, 16, 3)
    multiscale = video_dataset_from_directory(root, clip_length=4, image_size=(16, 16), batch_size=4, seed=0,
                                              training=True, crop="multiscale", sampling="segments")
    assert next(iter(multiscale))[0].shape == (4, 4, 16, 16, 3)


def test_training_batches_take_a_keras_layer_augmentation(tmp_path):
    from stkeras.data import ClipAugmentation

    root = _classes(tmp_path)
    ds = video_dataset_from_directory(root, clip_length=4, image_size=(16, 16), batch_size=2, seed=0, training=True,
                                      augmentation=ClipAugmentation(output_size=12, flip=False, seed=0))
    x, _ = next(iter(ds))
    assert x.shape == (2, 4, 12, 12, 3)
    with pytest.raises(ValueError, match="`augmentation` applies to training clips"):
        video_dataset_from_directory(root, augmentation=ClipAugmentation(output_size=12))


def test_splits_are_keras_like_and_disjoint(tmp_path):
    root = _classes(tmp_path)
    train, val = video_dataset_from_directory(root, clip_length=2, image_size=(8, 8), validation_split=0.5,
                                              subset="both", seed=3)
    assert len(train.file_paths) == len(val.file_paths) == 2
    assert sorted(train.file_paths + val.file_paths) == sorted(video_dataset_from_directory(
        root, clip_length=2, image_size=(8, 8)).file_paths)
    only_val = video_dataset_from_directory(root, clip_length=2, image_size=(8, 8), validation_split=0.5,
                                            subset="validation", seed=3)
    assert only_val.file_paths == val.file_paths
    with pytest.raises(ValueError, match="you must provide a `seed`"):
        video_dataset_from_directory(root, validation_split=0.5, subset="training")
    with pytest.raises(ValueError, match="`subset` must be set when `validation_split` is"):
        video_dataset_from_directory(root, validation_split=0.5, seed=1)
    with pytest.raises(ValueError, match="Unknown `subset`: 'test'"):
        video_dataset_from_directory(root, validation_split=0.5, subset="test", seed=1)


def test_labels_lists_none_and_class_names(tmp_path):
    root = _classes(tmp_path)
    ds = video_dataset_from_directory(root, labels=[3, 2, 1, 0], clip_length=2, image_size=(8, 8), shuffle=False,
                                      batch_size=None)
    assert [int(y) for _, y in ds] == [3, 2, 1, 0] and ds.class_names is None
    clips = video_dataset_from_directory(root, labels=None, clip_length=2, image_size=(8, 8), shuffle=False)
    assert next(iter(clips)).shape == (4, 2, 8, 8, 3)
    walk_first = video_dataset_from_directory(root, class_names=["walk", "run"], clip_length=2, image_size=(8, 8),
                                              shuffle=False, batch_size=None)
    assert [int(y) for _, y in walk_first] == [0, 0, 1, 1] and walk_first.class_names == ["walk", "run"]
    with pytest.raises(ValueError, match="one label per video found .* 4 videos, 2 labels"):
        video_dataset_from_directory(root, labels=[0, 1])
    with pytest.raises(ValueError, match="`class_names` must be subfolders .*\\['jump'\\]"):
        video_dataset_from_directory(root, class_names=["jump"])


def test_missing_empty_and_videoless_directories(tmp_path):
    with pytest.raises(ValueError, match="`directory` must be an existing folder.*nowhere"):
        video_dataset_from_directory(str(tmp_path / "nowhere"))
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "notes.txt").write_text("no videos")
    with pytest.raises(ValueError, match="Class folders without videos .*\\['a'\\]"):
        video_dataset_from_directory(str(tmp_path))
    with pytest.raises(ValueError, match="No videos .* in"):
        video_dataset_from_directory(str(tmp_path), labels=None)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match="No class subfolders"):
        video_dataset_from_directory(str(empty))


def test_unreadable_files_raise_or_are_skipped_and_counted(tmp_path):
    classes = tmp_path / "classes"
    _damage(classes / "x")
    write_video(classes / "y" / "fine.avi", 8)
    with pytest.raises(ValueError, match="empty.mp4' is empty .*3 of 5 videos could not be read"):
        video_dataset_from_directory(str(classes))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = video_dataset_from_directory(str(classes), on_error="skip", clip_length=2, image_size=(8, 8),
                                          shuffle=False)
    assert any("Skipped 3 of 5 videos" in str(w.message) for w in caught)
    assert ds.num_skipped == 3 and sorted(os.path.basename(p) for p, _ in ds.skipped) == [
        "empty.mp4", "garbage.avi", "truncated.mp4"]
    x, y = next(iter(ds))
    assert x.shape == (2, 2, 8, 8, 3) and y.numpy().tolist() == [0, 1]
    assert frame_levels(x).min() > 2  # never a black clip


def test_a_file_damaged_after_probing_stops_iteration_naming_it(tmp_path):
    root = tmp_path / "r"
    path = write_video(root / "c" / "v.mp4", 8)
    ds = video_dataset_from_directory(str(root), clip_length=2, image_size=(8, 8))
    open(path, "wb").write(b"not a video any more")
    with pytest.raises(tf.errors.OpError, match="v.mp4' is corrupt, truncated or not a video container"):
        list(ds)


@pytest.mark.parametrize("out_of_bound, expected", [("loop", [0, 2, 4, 1]), ("repeat_last", [0, 2, 4, 4])])
def test_short_videos_loop_or_repeat_the_last_frame(tmp_path, out_of_bound, expected):
    path = write_video(tmp_path / "short.avi", 5)
    ds = video_dataset_from_files([path], [0], clip_length=4, frame_step=2, image_size=(8, 8),
                                  out_of_bound=out_of_bound)
    np.testing.assert_allclose(frame_levels(next(iter(ds))[0][0]), [brightness(i) for i in expected],
                               atol=TOLERANCE)


def test_argument_errors_name_the_argument(tmp_path):
    root = _classes(tmp_path)
    for arguments, message in [({"sampling": "sparse"}, "Unknown `sampling`: 'sparse'"),
                               ({"crop": "corner"}, "Unknown `crop`: 'corner'"),
                               ({"spatial_crops": 2}, "Unknown `spatial_crops`: 2"),
                               ({"on_error": "ignore"}, "Unknown `on_error`: 'ignore'"),
                               ({"clip_length": 0}, "`clip_length` must be an int >= 1"),
                               ({"sampling": "segments", "num_clips": 2}, "`num_clips` must be 1 with sampling")]:
        with pytest.raises(ValueError, match=message):
            video_dataset_from_directory(root, **arguments)


def test_indexing_many_videos_shows_progress_on_stderr(tmp_path, capsys):
    from stkeras.data import probe_videos
    from stkeras.data.video_files import PROGRESS_FROM

    path = write_video(tmp_path / "v.avi", 3)
    kept, indexes, skipped = probe_videos([path] * 3)
    assert len(kept) == 3 and [i.num_frames for i in indexes] == [3] * 3 and not skipped
    assert capsys.readouterr().err == ""  # a few videos: quiet
    probe_videos([path] * PROGRESS_FROM)
    error = capsys.readouterr().err
    assert "Indexing videos" in error and f"{PROGRESS_FROM}/{PROGRESS_FROM}" in error
    probe_videos([path] * 2, progress=True)
    assert "2/2" in capsys.readouterr().err


def test_a_folder_or_a_class_without_a_readable_video_is_named(tmp_path):
    root = tmp_path / "classes"
    for name in ("a", "b"):
        (root / "bad").mkdir(parents=True, exist_ok=True)
        (root / "bad" / f"{name}.mp4").write_bytes(b"not a video " + name.encode())
    write_video(root / "good" / "fine.avi", 8)
    options = dict(on_error="skip", clip_length=2, image_size=(8, 8))
    with pytest.warns(UserWarning, match="Skipped 2 of 3 videos"), \
            pytest.raises(VideoDecodeError, match="Class 'bad' has no readable video: none of its 2 videos can be "
                                                  "read, e.g. Video file .*a.mp4' is corrupt"):
        video_dataset_from_directory(str(root), **options)
    with pytest.warns(UserWarning), pytest.raises(VideoDecodeError, match="None of the 2 videos in .*bad' can be read"):
        video_dataset_from_directory(str(root / "bad"), labels=None, **options)


def test_timestamps_that_cannot_identify_frames_are_not_used():
    from stkeras.data.video_index import _presentation_timestamps as order

    pts, note = order([0, 3, 1, 2], [0, 1, 2, 3], 4)  # B-frames: packets in decoding order
    assert pts.tolist() == [0, 1, 2, 3] and note is None
    assert order([5, 7, 6], [6, 7], 3)[0].tolist() == [6, 7]  # the decoder drops a leading frame
    assert order([0, None, 2], [0, 2], 3) == (None, "some packets have no timestamp")
    assert order([0, 1, 1], [0, 1, 1], 3) == (None, "two packets have the same timestamp")
    assert order([3, 5, 4, 6], [3, 5, 4, 6], 4)[1] == "the decoder's frames do not come in the order of the " \
                                                      "packets' timestamps"  # packed B-frames
    assert order([0, 1, 2], [0, 1], 3)[1] == "the file's 3 packets decode to 2 frames"
