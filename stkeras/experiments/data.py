"""The datasets of a run: quadrant-blink clips for its settings and task."""

import numpy as np
import tensorflow as tf

from stkeras.data import quadrant_blink
from stkeras.data import sample_segments


def clips(settings, task, split, with_info=False, num_clips=None):
    """The quadrant-blink dataset of a run's settings.

    Args:
        settings: the run's settings (`stkeras.experiments.resolve_settings`).
        task: the task whose target the clips carry.
        split: `"train"`: the stream of every epoch's new clips
            (`epochs * train_clips`); `"test"`: `test_clips` held-out clips.
        with_info: also yield each clip's info dict.
        num_clips: another number of clips (the first ones of the split).
    """
    if num_clips is None:
        num_clips = settings["epochs"] * settings["train_clips"] if split == "train" else settings["test_clips"]
    return quadrant_blink(
        split=split,
        seed=settings["seed"],
        num_clips=num_clips,
        frames=settings["frames"],
        size=settings["size"],
        digit_size=settings["digit_size"],
        speeds=settings["speeds"],
        visible_every=settings["visible_every"],
        max_step=settings["max_step"],
        task=task,
        batch_size=settings["batch_size"],
        with_info=with_info,
    )


def targets(dataset):
    """Every target of a finite dataset of `(clip, target[, info])` batches, as one array."""
    return np.concatenate([np.asarray(batch[1]) for batch in dataset])


def steps_per_epoch(settings):
    """Batches of one epoch of the training stream."""
    return -(-settings["train_clips"] // settings["batch_size"])


def _segmented(dataset, num_clips, num_segments, training, seed, batch_size):
    dataset = sample_segments(dataset.unbatch(), num_segments, training, seed).batch(batch_size)
    # Unbatching forgets the number of batches; Keras' validation loop warns without it.
    return dataset.apply(tf.data.experimental.assert_cardinality(-(-num_clips // batch_size)))


def segmented_clips(settings, task, num_segments):
    """A run's clips as `num_segments` sampled frames each, for frame models (Köpüklü et al.).

    A random frame per segment in training, segment centres in evaluation
    (`stkeras.data.sample_segments`).

    Returns:
        `(train, validation, test, frame shape)`: the training stream, the
        held-out clips scored each epoch, the test clips, and one frame's
        `(height, width, channels)`.
    """
    batch, seed = settings["batch_size"], settings["seed"]
    train = _segmented(clips(settings, task, "train"), settings["epochs"] * settings["train_clips"], num_segments,
                       True, seed, batch)
    validation = _segmented(clips(settings, task, "test", num_clips=settings["validation_clips"]),
                            settings["validation_clips"], num_segments, False, seed, batch)
    test = _segmented(clips(settings, task, "test"), settings["test_clips"], num_segments, False, seed, batch)
    return train, validation, test, (settings["size"], settings["size"], 1)
