"""The datasets of a run: quadrant-blink clips for its settings and task."""

import numpy as np

from stkeras.data import quadrant_blink


def clips(settings, task, split, with_info=False):
    """The quadrant-blink dataset of a run's settings (`split`: `"train"` or `"test"`)."""
    return quadrant_blink(
        split=split,
        seed=settings["seed"],
        num_clips=settings["train_clips" if split == "train" else "test_clips"],
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
