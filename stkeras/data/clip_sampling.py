"""Dense clip sampling as MMAction2's `SampleFrames`: `num_clips` clips of `clip_length` frames, `frame_step` apart.

A clip spans `clip_length * frame_step` frames. Training draws each clip's
start at random: the video is cut into `num_clips` equal parts of the
possible starts and each clip starts at a random place in its part
(if the video is too short for that, the starts are drawn anywhere and
sorted). Evaluation takes evenly spaced clips, each centred in its part.
A video shorter than a clip starts it at frame 0, and the indices past its
end follow `out_of_bound`:

- `"loop"`: wrap around to the start (index modulo the frame count), as
  MMAction2's default;
- `"repeat_last"`: repeat the clip's last frame inside the video.

Index logic only (NumPy); `stkeras.data.video_dataset_from_directory`
decodes the frames.
"""

import numpy as np

from stkeras.validation import check_bool
from stkeras.validation import check_choice
from stkeras.validation import check_positive_int

OUT_OF_BOUND = ("loop", "repeat_last")


def clip_starts(num_frames, *, clip_length, frame_step=1, num_clips=1, training=False, rng=None):
    """The first frame of each of the `num_clips` clips (MMAction2's clip offsets).

    Args:
        num_frames: frames in the video (>= 1).
        clip_length: frames per clip.
        frame_step: distance between a clip's frames.
        num_clips: clips per video.
        training: random starts (`True`) or evenly spaced ones.
        rng: a `numpy.random.Generator` for the training draw (default: a
            new unseeded one).

    Returns:
        int64 starts, shape `(num_clips,)`.

    Example:
    >>> clip_starts(64, clip_length=8, frame_step=2, num_clips=3).tolist()
    [8, 24, 40]
    """
    num_frames = int(num_frames) if isinstance(num_frames, np.integer) else num_frames
    check_positive_int("num_frames", num_frames)
    span = clip_length * frame_step
    average = (num_frames - span + 1) / num_clips
    if not training:
        if num_frames > span - 1:
            return (np.arange(num_clips) * average + average / 2.0).astype(np.int64)
        return np.zeros(num_clips, np.int64)
    rng = np.random.default_rng() if rng is None else rng
    whole = (num_frames - span + 1) // num_clips
    if whole > 0:
        return np.arange(num_clips) * whole + rng.integers(0, whole, num_clips)
    if num_frames > max(num_clips, span):
        return np.sort(rng.integers(0, num_frames - span + 1, num_clips))
    if whole == 0:
        return np.around(np.arange(num_clips) * (num_frames - span + 1.0) / num_clips).astype(np.int64)
    return np.zeros(num_clips, np.int64)


def dense_indices(num_frames, *, clip_length, frame_step=1, num_clips=1, training=False, out_of_bound="loop",
                  rng=None):
    """The frame indices of `num_clips` dense clips of a video of `num_frames` frames.

    Args:
        num_frames: frames in the video (>= 1).
        clip_length: frames per clip.
        frame_step: distance between a clip's frames (MMAction2's
            `frame_interval`).
        num_clips: clips per video.
        training: random clip starts, or evenly spaced clips.
        out_of_bound: indices past the last frame: `"loop"` (modulo the
            frame count) or `"repeat_last"` (the clip's last frame in the
            video).
        rng: a `numpy.random.Generator` for the training draw.

    Returns:
        int64 indices in `[0, num_frames)`, shape `(num_clips, clip_length)`.

    Example:
    >>> dense_indices(10, clip_length=4, frame_step=3).tolist()
    [[0, 3, 6, 9]]
    >>> dense_indices(5, clip_length=4, frame_step=2).tolist()
    [[0, 2, 4, 1]]
    >>> dense_indices(5, clip_length=4, frame_step=2, out_of_bound="repeat_last").tolist()
    [[0, 2, 4, 4]]
    """
    check_positive_int("clip_length", clip_length)
    check_positive_int("frame_step", frame_step)
    check_positive_int("num_clips", num_clips)
    check_bool("training", training)
    check_choice("out_of_bound", out_of_bound, OUT_OF_BOUND)
    starts = clip_starts(num_frames, clip_length=clip_length, frame_step=frame_step, num_clips=num_clips,
                         training=training, rng=rng)
    indices = starts[:, None] + np.arange(clip_length)[None, :] * frame_step
    if out_of_bound == "loop":
        return indices % int(num_frames)
    inside = indices < num_frames
    last = np.max(np.where(inside, indices, 0), axis=1, keepdims=True)
    return np.where(inside, indices, last)
