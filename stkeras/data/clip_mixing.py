"""MixUp and CutMix of clips with Keras' layers: one mix per clip, the same on every frame.

Keras' `MixUp` and `CutMix` mix a batch of images with a permutation of
itself and mix their labels alike. `ClipMixing` hands them a batch of clips
as images, each clip's frames folded into the channels (channel `t * C + c`
is channel `c` of frame `t`, as `stkeras.layers.fold_frames`): each clip is
one image to them, so every frame of a clip gets the same mixing weight and
partner (MixUp) or the same box (CutMix). With both, each batch is CutMix
with probability `cutmix_share`, else MixUp (PySlowFast's `MIXUP.SWITCH_PROB`
0.5). It runs inside `tf.data` on any Keras backend (the layers compute with
TensorFlow there).

Example:
>>> import numpy as np, tensorflow as tf
>>> clips = np.random.rand(4, 3, 8, 8, 3).astype("float32")
>>> targets = np.eye(2, dtype="float32")[[0, 1, 1, 0]]
>>> mixing = ClipMixing(mixup_alpha=0.8, seed=1)
>>> mixed, soft = mixing(tf.constant(clips), tf.constant(targets))
>>> mixed.shape, soft.shape
(TensorShape([4, 3, 8, 8, 3]), TensorShape([4, 2]))
"""

import keras
import tensorflow as tf

from stkeras.validation import check_number
from stkeras.validation import check_seed


def fold_clips(clips):
    """Clips `(batch, frames, h, w, c)` as images `(batch, h, w, frames * c)` (TensorFlow ops, for tf.data)."""
    shape = tf.shape(clips)
    return tf.reshape(tf.transpose(clips, (0, 2, 3, 1, 4)), (shape[0], shape[2], shape[3], shape[1] * shape[4]))


def unfold_clips(images, frames, channels):
    """The inverse of `fold_clips`."""
    shape = tf.shape(images)
    return tf.transpose(tf.reshape(images, (shape[0], shape[1], shape[2], frames, channels)), (0, 3, 1, 2, 4))


class ClipMixing:
    """MixUp and/or CutMix of a batch of clips and their one-hot (or soft) targets.

    Args:
        mixup_alpha: MixUp's mixing weight is drawn from Beta(alpha, alpha)
            per clip (Keras' `MixUp(alpha)`); 0: no MixUp.
        cutmix_alpha: CutMix's kept area is drawn from Beta(alpha, alpha)
            per clip (Keras' `CutMix`, whose alpha is at most 1); 0: no CutMix.
        cutmix_share: with both, the probability that a batch is CutMix.
        seed: seed of the draws.

    Call arguments:
        clips: `(batch, frames, height, width, channels)`, static frames and
            channels.
        targets: `(batch, classes)` one-hot or soft targets.
        draw: a `(2,)` int seed of the MixUp-or-CutMix choice (a stateless
            draw; default 0).

    Returns:
        the mixed `(clips, targets)`.
    """

    def __init__(self, *, mixup_alpha=0.0, cutmix_alpha=0.0, cutmix_share=0.5, seed=None):
        self.mixup_alpha = check_number("mixup_alpha", mixup_alpha, minimum=0)
        self.cutmix_alpha = check_number("cutmix_alpha", cutmix_alpha, minimum=0, maximum=1)
        self.cutmix_share = check_number("cutmix_share", cutmix_share, minimum=0, maximum=1)
        if not (self.mixup_alpha or self.cutmix_alpha):
            raise ValueError("ClipMixing needs `mixup_alpha` or `cutmix_alpha` above 0. Received: mixup_alpha=0, "
                             "cutmix_alpha=0")
        self.seed = check_seed("seed", seed)
        self.mixup = keras.layers.MixUp(alpha=self.mixup_alpha, seed=seed) if self.mixup_alpha else None
        alpha = self.cutmix_alpha
        self.cutmix = keras.layers.CutMix(factor=(alpha, alpha), seed=seed) if alpha else None

    def __call__(self, clips, targets, draw=None):
        frames, channels = clips.shape[1], clips.shape[4]
        if frames is None or channels is None:
            raise ValueError(f"ClipMixing needs clips of a known number of frames and channels. Received clips of "
                             f"shape {tuple(clips.shape)}")
        images, targets = fold_clips(clips), tf.cast(targets, tf.float32)

        def mix(layer):
            def apply():
                mixed = layer({"images": images, "labels": targets})
                return mixed["images"], mixed["labels"]
            return apply

        if self.mixup is None or self.cutmix is None:
            mixed = mix(self.mixup or self.cutmix)()
        else:
            draw = tf.zeros((2,), tf.int64) if draw is None else draw
            use_cutmix = tf.random.stateless_uniform((), seed=draw) < self.cutmix_share
            mixed = tf.cond(use_cutmix, mix(self.cutmix), mix(self.mixup))
        return tf.ensure_shape(unfold_clips(mixed[0], frames, channels), clips.shape), mixed[1]


def mix_clips(dataset, mixing, seed=None):
    """A dataset of `(clips, targets[, ...])` batches with `mixing` (a `ClipMixing`) applied to clips and targets.

    Example:
    >>> import numpy as np, tensorflow as tf
    >>> batches = tf.data.Dataset.from_tensors((np.zeros((2, 4, 8, 8, 3), "float32"), np.eye(2, dtype="float32")))
    >>> clips, targets = next(iter(mix_clips(batches, ClipMixing(cutmix_alpha=1.0, seed=0))))
    >>> float(tf.reduce_sum(targets))
    2.0
    """
    draws = tf.data.Dataset.random(seed=seed).batch(2)
    return tf.data.Dataset.zip((dataset, draws)).map(
        lambda batch, draw: (*mixing(batch[0], batch[1], draw), *batch[2:]))
