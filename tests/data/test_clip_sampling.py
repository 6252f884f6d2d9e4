"""Dense clip sampling (MMAction2's SampleFrames) on exact indices."""

import numpy as np
import pytest

from stkeras.data import clip_starts
from stkeras.data import dense_indices


def test_evaluation_clips_are_evenly_spaced_and_centred():
    # 64 frames, clips of 8 frames 2 apart span 16: starts (49 / 3) * i + 49 / 6.
    np.testing.assert_array_equal(dense_indices(64, clip_length=8, frame_step=2, num_clips=3),
                                  [[8 + 2 * j for j in range(8)], [24 + 2 * j for j in range(8)],
                                   [40 + 2 * j for j in range(8)]])
    np.testing.assert_array_equal(dense_indices(16, clip_length=16, frame_step=1), [list(range(16))])


@pytest.mark.parametrize("out_of_bound, expected", [("loop", [[0, 3, 6, 2, 5]]), ("repeat_last", [[0, 3, 6, 6, 6]])])
def test_short_videos_loop_or_repeat_the_last_frame(out_of_bound, expected):
    for training in (False, True):
        indices = dense_indices(7, clip_length=5, frame_step=3, training=training, out_of_bound=out_of_bound,
                                rng=np.random.default_rng(0))
        np.testing.assert_array_equal(indices, expected)
    assert dense_indices(1, clip_length=4, out_of_bound="repeat_last").tolist() == [[0, 0, 0, 0]]


def test_training_starts_fall_in_their_part_of_the_video():
    rng = np.random.default_rng(0)
    starts = np.stack([clip_starts(100, clip_length=8, frame_step=2, num_clips=4, training=True, rng=rng)
                       for _ in range(300)])
    whole = (100 - 16 + 1) // 4  # 21 possible starts per part, as MMAction2
    for i in range(4):
        assert starts[:, i].min() == i * whole and starts[:, i].max() == i * whole + whole - 1
    # Too short for a part each: starts anywhere a clip fits, sorted.
    starts = np.stack([clip_starts(20, clip_length=8, frame_step=2, num_clips=8, training=True, rng=rng)
                       for _ in range(100)])
    assert starts.min() == 0 and starts.max() == 20 - 16 and np.all(np.diff(starts, axis=1) >= 0)
    indices = dense_indices(100, clip_length=8, frame_step=2, training=True, rng=np.random.default_rng(1))
    assert indices.shape == (1, 8) and np.all(np.diff(indices) == 2) and indices.max() < 100


def test_same_generator_seed_same_clips_and_bad_arguments():
    draw = [dense_indices(50, clip_length=4, frame_step=4, num_clips=2, training=True,
                          rng=np.random.default_rng(5)) for _ in range(2)]
    np.testing.assert_array_equal(*draw)
    with pytest.raises(ValueError, match="Unknown `out_of_bound`: 'wrap'"):
        dense_indices(10, clip_length=4, out_of_bound="wrap")
    with pytest.raises(ValueError, match="`frame_step` must be an int >= 1. Received: frame_step=0"):
        dense_indices(10, clip_length=4, frame_step=0)
