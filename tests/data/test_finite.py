import numpy as np
import pytest
import tensorflow as tf

from stkeras.data import ClipAugmentation
from stkeras.data import augment_clips
from stkeras.data import check_finite_clips
from stkeras.data import finite_clips
from stkeras.data import per_frame_targets
from stkeras.data import random_subsequences
from stkeras.data import sample_segments


def _clips_with(value, at):
    clips = np.zeros((4, 6, 8, 8, 1), "float32")
    clips[at] = value
    return clips


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_arrays_with_non_finite_values_are_refused_where_they_are(value):
    with pytest.raises(ValueError, match=r"`my_clips` has 1 NaN or infinite value\(s\), the first in clip 2, frame 3"):
        check_finite_clips(_clips_with(value, (2, 3, 1, 1, 0)), "my_clips")
    clean = _clips_with(0.5, (2, 3, 1, 1, 0))
    assert check_finite_clips(clean) is clean
    integers = np.zeros((2, 3), "int32")
    assert check_finite_clips(integers) is integers


@pytest.mark.parametrize("helper", [
    lambda d: finite_clips(d, "train_data"),
    lambda d: per_frame_targets(d),
    lambda d: random_subsequences(d, 4, seed=0),
    lambda d: augment_clips(d, ClipAugmentation(8, crop_size=(8, 8), seed=0)),
], ids=["finite_clips", "per_frame_targets", "random_subsequences", "augment_clips"])
def test_dataset_helpers_stop_at_the_first_broken_batch(helper):
    clips = _clips_with(np.nan, (3, 0, 0, 0, 0))
    dataset = helper(tf.data.Dataset.from_tensor_slices((clips, np.arange(4))).batch(2))
    batches = iter(dataset)
    assert np.all(np.isfinite(next(batches)[0]))  # the first batch is clean
    with pytest.raises(tf.errors.InvalidArgumentError, match="NaN or infinite values; clips must be finite"):
        next(batches)


def test_sample_segments_checks_each_video():
    videos = tf.data.Dataset.from_tensor_slices((_clips_with(np.inf, (1, 2, 0, 0, 0)), np.arange(4)))
    with pytest.raises(tf.errors.InvalidArgumentError, match="clips must be finite"):
        list(sample_segments(videos, 3, training=False))
