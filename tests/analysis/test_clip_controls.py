"""Each temporal control against a hand-made clip whose frame t is filled with the value t."""

import numpy as np
import pytest
import tensorflow as tf

from stkeras.analysis import CONTROLS
from stkeras.analysis import ClipControl
from stkeras.analysis import apply_control
from stkeras.analysis import control_clips
from stkeras.analysis import register_control

FRAMES = 8


def _clips(batch=3, frames=FRAMES, dtype="float32"):
    """Clips `(batch, frames, 2, 3, 1)` whose frame t of clip b is filled with 100 * b + t."""
    values = 100 * np.arange(batch)[:, None] + np.arange(frames)[None, :]
    return np.broadcast_to(values[:, :, None, None, None], (batch, frames, 2, 3, 1)).astype(dtype)


def _frames(clips):
    """Each frame's value, `(batch, frames)`, after checking that every frame is one value."""
    clips = np.asarray(clips)
    assert np.all(clips == clips[:, :, :1, :1, :1])
    return clips[:, :, 0, 0, 0]


def test_reversed_is_last_to_first():
    assert _frames(control_clips(_clips(), "reversed")).tolist() == _frames(_clips())[:, ::-1].tolist()


def test_shuffled_is_a_permutation_per_clip_fixed_by_the_seed():
    original = _frames(_clips(batch=6))
    shuffled = _frames(control_clips(_clips(batch=6), "shuffled", seed=4))
    assert np.array_equal(np.sort(shuffled, axis=1), original)  # every frame once
    assert not np.array_equal(shuffled, original)
    orders = {tuple(row % 100) for row in shuffled}
    assert len(orders) > 1  # each clip its own permutation
    assert np.array_equal(_frames(control_clips(_clips(batch=6), "shuffled", seed=4)), shuffled)
    assert not np.array_equal(_frames(control_clips(_clips(batch=6), "shuffled", seed=5)), shuffled)


def test_static_middle_repeats_frame_t_over_2():
    frames = _frames(control_clips(_clips(), "static_middle"))
    assert frames.tolist() == [[100 * b + FRAMES // 2] * FRAMES for b in range(3)]


def test_static_random_repeats_one_frame_of_each_clip_drawn_by_the_seed():
    frames = _frames(control_clips(_clips(batch=16), "static_random", seed=1))
    assert np.all(frames == frames[:, :1])
    picked = frames[:, 0] - 100 * np.arange(16)
    assert np.all((0 <= picked) & (picked < FRAMES)) and len(set(picked.tolist())) > 1
    assert np.array_equal(_frames(control_clips(_clips(batch=16), "static_random", seed=1)), frames)


def test_half_and_quarter_rate_show_every_second_and_fourth_frame_twice_and_four_times():
    clips = _clips(batch=1, frames=10)
    assert _frames(control_clips(clips, "half_rate")).tolist() == [[0, 0, 2, 2, 4, 4, 6, 6, 8, 8]]
    assert _frames(control_clips(clips, "quarter_rate")).tolist() == [[0, 0, 0, 0, 4, 4, 4, 4, 8, 8]]


def test_mean_frame_repeats_the_clips_mean_and_keeps_an_integer_dtype():
    assert _frames(control_clips(_clips(), "mean_frame")).tolist() == [[100 * b + 3.5] * FRAMES for b in range(3)]
    uint8 = control_clips(_clips(batch=1, dtype="uint8"), "mean_frame")
    assert uint8.dtype == tf.uint8 and _frames(uint8).tolist() == [[4] * FRAMES]  # 3.5 rounded to even


@pytest.mark.parametrize("name", CONTROLS.names())
def test_every_control_keeps_shape_and_dtype_for_one_clip_a_batch_and_views(name):
    batch = _clips(batch=2, dtype="uint8")
    for clips in (batch[0], batch, np.stack([batch, batch], axis=1)):
        out = control_clips(clips, name, seed=0)
        assert tuple(out.shape) == clips.shape and out.dtype == tf.uint8
    views = control_clips(np.stack([batch, batch], axis=1), name, seed=0).numpy()
    if not CONTROLS.get(name).random:  # a deterministic control treats every view alike
        assert np.array_equal(views[:, 0], control_clips(batch, name).numpy())


def test_apply_control_maps_the_clips_of_a_dataset_and_keeps_targets_and_info():
    clips = _clips(batch=4)
    data = tf.data.Dataset.from_tensor_slices((clips, np.arange(4), {"speed": np.arange(4) + 1})).batch(2)
    first = list(apply_control(data, "shuffled", seed=7))
    again = list(apply_control(data, "shuffled", seed=7))
    assert [b[1].numpy().tolist() for b in first] == [[0, 1], [2, 3]]
    assert [b[2]["speed"].numpy().tolist() for b in first] == [[1, 2], [3, 4]]
    shuffled = np.concatenate([_frames(b[0]) for b in first])
    assert np.array_equal(shuffled, np.concatenate([_frames(b[0]) for b in again]))
    assert np.array_equal(np.sort(shuffled, axis=1), _frames(clips))
    reversed_only = list(apply_control(data.map(lambda c, y, i: c), "reversed"))  # clips alone
    assert _frames(np.concatenate(reversed_only)).tolist() == _frames(clips)[:, ::-1].tolist()


def test_unknown_controls_and_bad_clips_are_refused_by_name():
    with pytest.raises(ValueError, match="Unknown temporal control: 'sideways'.*'shuffled'"):
        control_clips(_clips(), "sideways")
    with pytest.raises(ValueError, match="rank 4 or more"):
        control_clips(np.zeros((4, 4, 1)), "reversed")
    with pytest.raises(ValueError, match="`seed` must be an int"):
        apply_control(tf.data.Dataset.from_tensor_slices(_clips()), "shuffled", seed=0.5)


def test_a_registered_control_works_everywhere_a_built_in_one_does():
    def first_frame(clips, seed):
        return tf.repeat(clips[:, :1], tf.shape(clips)[1], axis=1)

    with CONTROLS.temporary():
        register_control(ClipControl("first_frame", first_frame, "all motion: the first frame repeated"))
        assert _frames(control_clips(_clips(), "first_frame")).tolist() == [[100 * b] * FRAMES for b in range(3)]
