"""Test-time views: MMAction2's ThreeCrop positions, view layout and view-averaged predictions."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.data.video_fixtures import frame_levels
from tests.data.video_fixtures import write_video

from stkeras.data import evaluate_views
from stkeras.data import parse_views
from stkeras.data import predict_views
from stkeras.data import video_dataset_from_files
from stkeras.data.video_files import spatial_views


@pytest.mark.parametrize("height, width", [(8, 20), (20, 8)])
def test_three_crops_run_along_the_long_side(height, width):
    # Column (or row) index as the pixel value: a crop's first value says where it starts.
    ramp = np.arange(max(height, width), dtype=np.float32)
    image = np.broadcast_to(ramp[None, :width] if width > height else ramp[:height, None], (height, width))
    frames = tf.constant(np.repeat(image[None, ..., None], 3, axis=-1))
    crops = spatial_views(frames, training=False, crop="center", spatial_crops=3, image_size=(8, 8),
                          resize_short=8, crop_scales=(1.0,), flip=False, seed=None).numpy()
    assert crops.shape == (3, 1, 8, 8, 3)
    starts = crops[:, 0, 0, 0, 0]
    np.testing.assert_allclose(starts, [0, 6, 12])  # start, centre and end of the long side (20 - 8 = 12)
    centre = spatial_views(frames, training=False, crop="center", spatial_crops=None, image_size=(8, 8),
                           resize_short=8, crop_scales=(1.0,), flip=False, seed=None).numpy()
    np.testing.assert_array_equal(centre, crops[1])


def test_views_dataset_orders_clips_then_crops(tmp_path):
    path = write_video(tmp_path / "v.avi", 24, size=(16, 32))
    ds = video_dataset_from_files([path], [0], num_clips=2, spatial_crops=3, clip_length=2, frame_step=4,
                                  image_size=(16, 16), resize_short=16)
    views, label = next(iter(ds))
    assert views.shape == (1, 6, 2, 16, 16, 3) and label.numpy().tolist() == [0]
    levels = frame_levels(views.numpy()[0])  # (6 views, 2 frames): clips start at 4 and 12 (MMAction2's test clips)
    np.testing.assert_allclose(levels[:3], [[85, 165]] * 3, atol=6)
    np.testing.assert_allclose(levels[3:], [[5, 85]] * 3, atol=6)


def _mean_colour_model():
    """Scores = a clip's mean of each channel: the brightest channel is the predicted class."""
    return keras.Sequential([keras.Input((None, None, None, 3)), keras.layers.GlobalAveragePooling3D()])


def test_predict_and_evaluate_average_over_views():
    views = np.random.default_rng(0).random((4, 6, 2, 4, 4, 3)).astype("float32")
    labels = np.array([0, 1, 2, 0])
    dataset = tf.data.Dataset.from_tensor_slices((views, labels)).batch(3)
    scores = predict_views(_mean_colour_model(), dataset, chunk_size=4)
    np.testing.assert_allclose(scores, views.mean(axis=(1, 2, 3, 4)), rtol=1e-5)
    result = evaluate_views(_mean_colour_model(), dataset, top_k=(1, 2, 5))
    expected = np.argsort(-scores, axis=1)
    assert result["num_videos"] == 4 and result["top5"] == 1.0
    assert result["top1"] == np.mean(expected[:, 0] == labels)
    assert result["top2"] == np.mean((expected[:, :2] == labels[:, None]).any(axis=1))
    unbatched = predict_views(_mean_colour_model(), tf.data.Dataset.from_tensor_slices(views))
    np.testing.assert_allclose(unbatched, scores, rtol=1e-5)


def test_parse_views_and_errors():
    assert parse_views("1x1") == (1, 1) and parse_views(" 4X3 ") == (4, 3)
    for bad in ("3x2", "x3", 3, "0x3"):
        with pytest.raises(ValueError, match="`views` must be 'KxC'"):
            parse_views(bad)
    with pytest.raises(ValueError, match="must yield \\(views, labels\\) to evaluate"):
        evaluate_views(_mean_colour_model(), [np.zeros((1, 2, 2, 4, 4, 3), "float32")])
    with pytest.raises(ValueError, match="Received an element of shape \\(2, 4, 4, 3\\)"):
        predict_views(_mean_colour_model(), [np.zeros((2, 4, 4, 3), "float32")])
