"""Segment sampling and the real-video loaders, on frames generated here."""

import os

import numpy as np
import pytest
import tensorflow as tf

from stkeras.data import sample_segments
from stkeras.data import segment_indices
from stkeras.data import video_folder


@pytest.mark.parametrize("length", [1, 3, 8, 17, 100])
def test_segments_cover_the_video_in_order(length):
    centres = segment_indices(length, 8, training=False).numpy()
    assert np.all(np.diff(centres) >= 0) and centres.min() >= 0 and centres.max() < length
    bounds = [(i * length // 8, max((i + 1) * length // 8, i * length // 8 + 1)) for i in range(8)]
    draws = np.stack([segment_indices(length, 8, training=True, seed=tf.constant([s, 1], tf.int64)).numpy()
                      for s in range(40)])
    for i, (start, stop) in enumerate(bounds):  # every draw lies in its own segment
        assert np.all((draws[:, i] >= min(start, length - 1)) & (draws[:, i] <= min(stop, length) - 1))
    if length >= 16:  # segments of two or more frames: training draws vary, evaluation does not
        assert len({tuple(d) for d in draws}) > 1


def test_sample_segments_is_seeded_and_centred():
    videos = tf.data.Dataset.from_tensor_slices((tf.reshape(tf.range(3 * 24.0), (3, 24, 1)), [0, 1, 2]))
    tf.random.set_seed(1)
    first = [v.numpy().ravel() for v, _ in sample_segments(videos, 4, training=True, seed=3)]
    tf.random.set_seed(2)  # TensorFlow's global seed changes nothing: the draws are stateless
    again = [v.numpy().ravel() for v, _ in sample_segments(videos, 4, training=True, seed=3)]
    other = [v.numpy().ravel() for v, _ in sample_segments(videos, 4, training=True, seed=4)]
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not all(np.array_equal(a, b) for a, b in zip(first, other))
    centre = next(iter(sample_segments(videos, 4, training=False)))[0].numpy().ravel()
    np.testing.assert_array_equal(centre, [3, 9, 15, 21])


def _write_videos(root, lengths, size=(20, 24)):
    """One folder of JPEG frames per video; every frame's brightness encodes (video, frame)."""
    rows = []
    for v, length in enumerate(lengths):
        folder = os.path.join(root, f"{1000 + v}")
        os.makedirs(folder)
        for f in range(length):
            value = 10 * f + 5
            image = np.full((*size, 3), value, np.uint8)
            tf.io.write_file(os.path.join(folder, f"{f + 1:05d}.jpg"), tf.io.encode_jpeg(image, quality=100))
        rows.append(f"{1000 + v};{['Swiping Left', 'Thumb Up'][v % 2]}")
    labels = os.path.join(root, "labels.csv")
    with open(labels, "w") as handle:
        handle.write("\n".join(rows) + "\n")
    return labels


def test_video_folder_reads_jester_layout(tmp_path):
    labels = _write_videos(str(tmp_path), [12, 5, 20])
    ds = video_folder(str(tmp_path), labels, num_segments=4, image_size=(16, 16))
    assert ds.class_names == ["Swiping Left", "Thumb Up"] and ds.num_videos == 3
    clips = list(ds)
    assert [int(y) for _, y in clips] == [0, 1, 0]
    clip = clips[0][0].numpy()
    assert clip.shape == (4, 16, 16, 3) and clip.dtype == np.float32
    # Evaluation frames are the segment centres 1, 4, 7, 10 of 12 (brightness 10 f + 5).
    np.testing.assert_allclose(clip.mean(axis=(1, 2, 3)) * 255, [15, 45, 75, 105], atol=2)
    train = video_folder(str(tmp_path), labels, num_segments=4, image_size=(16, 16), training=True, flip=True,
                         seed=1)
    batch = next(iter(train.batch(3)))[0]
    assert batch.shape == (3, 4, 16, 16, 3) and 0.0 <= float(tf.reduce_min(batch)) <= float(tf.reduce_max(batch)) <= 1


def test_missing_and_corrupt_frames_are_named(tmp_path):
    labels = _write_videos(str(tmp_path), [6, 6])
    with open(labels, "a") as handle:
        handle.write("1002;Thumb Up\n")
    with pytest.raises(ValueError, match="Video '1002' of the labels has no frame folder"):
        video_folder(str(tmp_path), labels)
    os.makedirs(tmp_path / "1002")
    with pytest.raises(ValueError, match="Video folder .*1002' has no frames"):
        video_folder(str(tmp_path), labels)
    frame = tmp_path / "1002" / "00001.jpg"
    frame.write_bytes((tmp_path / "1000" / "00001.jpg").read_bytes()[:200])  # truncated JPEG
    with pytest.raises(tf.errors.InvalidArgumentError, match="Corrupt or truncated frame file.*1002/00001.jpg"):
        list(video_folder(str(tmp_path), labels, num_segments=2))


def test_labels_file_errors(tmp_path):
    bad = tmp_path / "labels.csv"
    bad.write_text("only_an_id\n")
    with pytest.raises(ValueError, match="must have rows `video_id,label`; row 1 is \\['only_an_id'\\]"):
        video_folder(str(tmp_path), str(bad))
    with pytest.raises(ValueError, match="`labels` must be a CSV file.*no such file"):
        video_folder(str(tmp_path), str(tmp_path / "missing.csv"))
    _write_videos(str(tmp_path / "v"), [3])
    with pytest.raises(ValueError, match="Labels \\['Swiping Left'\\] .* are not in `classes`"):
        video_folder(str(tmp_path / "v"), str(tmp_path / "v" / "labels.csv"), classes=["Thumb Up", "Other"])


def test_tfds_videos_on_mock_ucf101():
    import tensorflow_datasets as tfds

    from stkeras.data import tfds_videos

    with tfds.testing.mock_data(num_examples=3, policy=tfds.testing.MockPolicy.USE_CODE):
        ds = tfds_videos("ucf101", split="train", num_segments=4, image_size=(32, 32), training=True)
        clips = list(ds)
    assert len(clips) == 3 and clips[0][0].shape == (4, 32, 32, 3) and len(ds.class_names) == 101
