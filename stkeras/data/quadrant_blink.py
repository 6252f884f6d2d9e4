"""Courtney & Sreenivas 2022's MNIST quadrant-blink video tasks as a vectorized `tf.data` pipeline.

A digit moves at `S` pixels per frame in a random direction, bouncing off the
walls; it is visible only every `V` frames, and on each visible frame only one
quadrant of it is drawn, in one of six cyclic orders. Targets: the digit, the
order, or the speed.
"""

import math

import numpy as np
import tensorflow as tf

from stkeras.data.digits import load_digits
from stkeras.data.rendering import bounce
from stkeras.data.rendering import paste
from stkeras.data.sampling import check_common
from stkeras.data.sampling import chunked_dataset
from stkeras.data.sampling import digit_pool
from stkeras.data.sampling import pick
from stkeras.data.sampling import stateless_uniform
from stkeras.tasks import available_tasks
from stkeras.tasks import get_task
from stkeras.validation import check_choice
from stkeras.validation import check_positive_int

# The six orders of Courtney & Sreenivas 2022, Section 3; a clip's order label is the index.
ORDERS = ((1, 2, 3, 4), (1, 2, 4, 3), (1, 4, 2, 3), (1, 4, 3, 2), (1, 3, 2, 4), (1, 3, 4, 2))
# The per-clip scalar fields of a clip's `info`: what a task can target.
INFO_FIELDS = ("digit", "order", "speed", "visible_every", "phase")
# How a clip's (S, V) pair is drawn among the allowed pairs (`quadrant_blink(speed_distribution=...)`).
SPEED_DISTRIBUTIONS = ("uniform_pairs", "uniform_speeds")
# Where a clip's cycle of quadrants starts (`quadrant_blink(first_quadrant=...)`).
FIRST_QUADRANTS = ("random", "order_start")


def allowed_pairs(speeds, visible_every, max_step):
    """The `(S, V)` pairs with `S * V <= max_step`, after checking the ranges.

    Example:
    >>> len(allowed_pairs(range(1, 7), range(1, 13), 49))
    65
    """
    speeds = _check_int_range("speeds", speeds)
    visible_every = _check_int_range("visible_every", visible_every)
    check_positive_int("max_step", max_step)
    pairs = [(s, v) for s in speeds for v in visible_every if s * v <= max_step]
    if not pairs:
        raise ValueError(
            f"No (S, V) pair satisfies S * V <= max_step. Received: speeds="
            f"{list(speeds)}, visible_every={list(visible_every)}, max_step={max_step}"
        )
    return pairs


def _check_int_range(name, received):
    message = f"`{name}` must be a non-empty range or list of ints >= 1. Received: {name}={received!r}"
    if isinstance(received, (str, bytes, dict)):
        raise TypeError(message)
    try:
        values = sorted(set(received))
    except TypeError:
        raise TypeError(message) from None
    if not values or any(not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 1 for v in values):
        raise ValueError(message)
    return [int(v) for v in values]


class QuadrantBlinkSynthesizer:
    """Generates batches of quadrant-blink clips with TensorFlow ops.

    `generate(chunk_index, count)` is a pure function of the arguments given
    here and of `chunk_index` (stateless random numbers), usable inside
    `tf.data`, a `tf.function`, or eagerly on any device.

    Args: see `quadrant_blink`; `images` and `labels` are the digit pool.
    """

    def __init__(self, images, labels, *, seed, split, frames, size, pairs, digit_size, dtype,
                 speed_distribution="uniform_pairs", first_quadrant="random"):
        self.speed_distribution = check_choice("speed_distribution", speed_distribution, SPEED_DISTRIBUTIONS)
        self.first_quadrant = check_choice("first_quadrant", first_quadrant, FIRST_QUADRANTS)
        self.frames, self.size, self.digit_size = frames, size, digit_size
        self.dtype = tf.as_dtype(dtype)
        self.pool = digit_pool(images, digit_size, dtype)
        self.labels = tf.convert_to_tensor(labels, tf.int32)
        if self.speed_distribution == "uniform_speeds":  # the pairs of each speed made contiguous
            pairs = sorted((int(s), int(v)) for s, v in pairs)
        self.pairs = tf.constant(pairs, tf.int32)
        # Speed i's first index in `pairs` and its number of pairs (for "uniform_speeds").
        speeds = sorted({s for s, _ in pairs})
        counts = [sum(1 for s, _ in pairs if s == speed) for speed in speeds]
        self.speed_counts = tf.constant(counts, tf.int32)
        self.speed_offsets = tf.constant(np.cumsum([0] + counts[:-1]), tf.int32)
        self.orders = tf.constant(ORDERS, tf.int32)
        self.seed, self.split = seed, split

    def generate(self, chunk_index, count):
        """Returns `(clips, info)` for `count` clips of chunk `chunk_index`."""
        half = self.digit_size // 2
        extent = float(self.size - self.digit_size)
        u = stateless_uniform(self.seed, self.split, chunk_index, count, 8)
        digit_index = pick(u[:, 0], tf.shape(self.pool)[0])
        pair = tf.gather(self.pairs, self._pair_index(u[:, 1]))
        speed, visible_every = pair[:, 0], pair[:, 1]
        angle = u[:, 2] * (2.0 * math.pi)
        start = u[:, 3:5] * extent
        phase = pick(u[:, 5], visible_every)
        order = pick(u[:, 6], 6)
        cycle_start = pick(u[:, 7], 4) if self.first_quadrant == "random" else tf.zeros_like(order)

        velocity = tf.cast(speed, tf.float32)[:, None] * tf.stack([tf.sin(angle), tf.cos(angle)], axis=1)
        position = tf.cast(tf.round(bounce(start, velocity, self.frames, extent)), tf.int32)

        t = tf.range(self.frames)[None, :]
        since = t - phase[:, None]
        visible = (since >= 0) & (tf.math.floormod(since, visible_every[:, None]) == 0)
        step = tf.math.floordiv(since, visible_every[:, None])
        slot = tf.math.floormod(cycle_start[:, None] + step, 4)
        quadrant = tf.gather(self.orders, order)  # (n, 4)
        quadrant = tf.gather(quadrant, slot, batch_dims=1)  # (n, frames), 1..4
        quadrants = tf.where(visible, quadrant, 0)

        digits = tf.gather(self.pool, digit_index)  # (n, d, d)
        quarters = tf.stack(
            [digits[:, :half, :half], digits[:, :half, half:], digits[:, half:, :half], digits[:, half:, half:]],
            axis=1,
        )
        patch = tf.gather(quarters, quadrant - 1, batch_dims=1)  # (n, frames, h, h)
        patch = patch * tf.cast(visible, tf.float32)[..., None, None]
        row = position[..., 0] + tf.cast(quadrant >= 3, tf.int32) * half
        col = position[..., 1] + tf.cast(quadrant % 2 == 0, tf.int32) * half
        clips = paste(
            patch[:, :, None], row[..., None], col[..., None], self.size, self.dtype, overlap=False
        )
        info = {
            "digit": tf.gather(self.labels, digit_index),
            "order": order,
            "speed": speed,
            "visible_every": visible_every,
            "phase": phase,
            "position": position,
            "quadrants": quadrants,
        }
        return clips[..., None], info

    def _pair_index(self, u):
        """Indices in `pairs` from uniforms `u` in [0, 1), by `speed_distribution`."""
        if self.speed_distribution == "uniform_pairs":
            return pick(u, tf.shape(self.pairs)[0])
        # uniform_speeds: the integer part of u * (number of speeds) picks S, its fractional part
        # (uniform in [0, 1) again) picks V among the pairs of that S.
        num_speeds = tf.shape(self.speed_counts)[0]
        scaled = u * tf.cast(num_speeds, tf.float32)
        speed_index = pick(u, num_speeds)
        within = tf.clip_by_value(scaled - tf.cast(speed_index, tf.float32), 0.0, 1.0)
        count = tf.gather(self.speed_counts, speed_index)
        return tf.gather(self.speed_offsets, speed_index) + pick(within, count)


def _target(info, task):
    if task == "all":
        return {name: _target(info, get_task(name)) for name in available_tasks()
                if get_task(name).target in INFO_FIELDS}
    value = info[task.target]
    return tf.cast(value, tf.float32) if task.kind == "regression" else value


def _check_task(task):
    if task == "all":
        return task
    task = get_task(task)
    if task.target not in INFO_FIELDS:
        raise ValueError(f"Task {task.name!r} targets info[{task.target!r}], which quadrant-blink clips do not "
                         f"have. Targets they have: {', '.join(INFO_FIELDS)}.")
    return task


def quadrant_blink(
    split="train",
    seed=0,
    num_clips=None,
    frames=48,
    size=64,
    speeds=range(1, 7),
    visible_every=range(1, 13),
    max_step=49,
    speed_distribution="uniform_pairs",
    first_quadrant="random",
    task="digit",
    batch_size=None,
    with_info=False,
    digits="auto",
    digit_size=28,
    dtype="float32",
):
    """A `tf.data.Dataset` of Courtney & Sreenivas 2022's quadrant-blink clips.

    Args:
        split: `"train"` or `"test"`: which (disjoint) digit pool to draw from.
        seed: int >= 0; the same seed and arguments give the same clips on any
            machine, different seeds different clips.
        num_clips: number of clips, or `None` for an endless stream.
        frames: frames per clip (48 in the paper).
        size: frame height and width (64 in the paper).
        speeds: allowed speeds `S` in pixels per frame.
        visible_every: allowed blink periods `V` in frames.
        max_step: only pairs with `S * V <= max_step` are drawn (the paper:
            under 50 pixels between visible frames).
        speed_distribution: how a clip's `(S, V)` pair is drawn among the
            allowed ones: `"uniform_pairs"` (every allowed pair equally
            likely, so speeds with fewer allowed `V` are rarer) or
            `"uniform_speeds"` (`S` uniform over `speeds`, then `V` uniform
            among the values allowed for that `S`).
        first_quadrant: `"random"` (the cycle of quadrants starts at a
            random place in the clip's order, so any quadrant can be drawn
            first) or `"order_start"` (every clip's first visible frame
            shows quadrant 1, the first of its order as `ORDERS` writes it).
        task: target: `"digit"` (int 0-9), `"order"` (int 0-5, index in
            `ORDERS`), `"speed"` (float `S`), a `stkeras.tasks.Task` whose
            target is a per-clip info field, or `"all"` (a dict over the
            registered tasks whose target the clips have).
        batch_size: `None` yields single clips; an int yields batches (each
            batch generated at once, the last one possibly smaller, except
            under a Keras distribution, which drops it).
        with_info: also yield an `info` dict: `digit`, `order`, `speed`,
            `visible_every`, `phase`, `position` `(frames, 2)` (row, col of the
            digit box's top-left corner), `quadrants` `(frames,)` (quadrant
            drawn, 1-4, or 0 where invisible).
        digits: digit source for `stkeras.data.load_digits`
            (`"auto"`, `"embedded"` or `"tfds"`).
        digit_size: side of the digit box (28; smaller, even sizes shrink the
            digits for quick experiments).
        dtype: `"float32"` clips in [0, 1] or `"uint8"` clips in 0-255.

    Returns:
        A dataset of `(clip, target)` or `(clip, target, info)`, with
        `clip` of shape `(frames, size, size, 1)` (batched when `batch_size`).

    Example:
    >>> ds = quadrant_blink(num_clips=4, frames=12, task="speed", with_info=True)
    >>> clip, speed, info = next(iter(ds))
    >>> clip.shape, info["quadrants"].shape
    (TensorShape([12, 64, 64, 1]), TensorShape([12]))

    Reference: Courtney & Sreenivas 2022, Section 3.
    """
    check_common(split, seed, num_clips, batch_size, frames, size, digit_size, dtype, digits)
    task = _check_task(task)
    if digit_size % 2:
        raise ValueError(f"`digit_size` must be even (four quadrants). Received: digit_size={digit_size}")
    pairs = allowed_pairs(speeds, visible_every, max_step)
    check_choice("speed_distribution", speed_distribution, SPEED_DISTRIBUTIONS)
    check_choice("first_quadrant", first_quadrant, FIRST_QUADRANTS)
    images, labels = load_digits(split, source=digits)
    synthesizer = QuadrantBlinkSynthesizer(
        images, labels, seed=seed, split=split, frames=frames, size=size,
        pairs=pairs, digit_size=digit_size, dtype=dtype,
        speed_distribution=speed_distribution, first_quadrant=first_quadrant,
    )

    def make(index, count):
        clips, info = synthesizer.generate(index, count)
        target = _target(info, task)
        return (clips, target, info) if with_info else (clips, target)

    return chunked_dataset(make, num_clips, batch_size)


def evidence_masks(info, size, digit_size):
    """Where each frame's evidence is: the box of the quadrant drawn, `(n, frames, size, size)` booleans.

    A frame where the digit is invisible has an empty mask. Explanations are
    scored against these boxes (`stkeras.explain.localization_score`).

    Args:
        info: the `info` of a batch of clips (`with_info=True`): `position`
            `(n, frames, 2)` and `quadrants` `(n, frames)`.
        size, digit_size: the clips' frame side and digit box side.

    Example:
    >>> ds = quadrant_blink(num_clips=2, frames=6, size=32, digit_size=14, batch_size=2, with_info=True)
    >>> clips, _, info = next(iter(ds))
    >>> masks = evidence_masks(info, 32, 14)
    >>> bool(np.all((clips.numpy()[..., 0] > 0) <= masks))  # every drawn pixel lies in its box
    True
    """
    position = np.asarray(info["position"])
    quadrants = np.asarray(info["quadrants"])
    half = digit_size // 2
    top = position[..., 0] + (quadrants >= 3) * half
    left = position[..., 1] + (quadrants % 2 == 0) * half
    grid = np.arange(size)
    rows = (grid >= top[..., None]) & (grid < top[..., None] + half)
    cols = (grid >= left[..., None]) & (grid < left[..., None] + half)
    return rows[..., :, None] & cols[..., None, :] & (quadrants > 0)[..., None, None]
