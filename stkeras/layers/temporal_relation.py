"""Temporal relations between ordered frame features (TRN), at one or many scales."""

import itertools

import keras
import numpy as np
from keras import ops

from stkeras.validation import check_positive_int
from stkeras.validation import check_seed


@keras.saving.register_keras_serializable(package="stkeras")
class TemporalRelation(keras.layers.Layer):
    """Sums learned relations between ordered subsets of `d` frames, for each scale `d`.

    For each scale `d` (a number of frames), a relation reads `d` frames'
    features in temporal order, concatenated, through ReLU -> Dense
    (`bottleneck`) -> ReLU -> Dense (`units`); all scales' relations are summed
    (Köpüklü et al.'s TRN-multiscale, `MT_N = T_N + ... + T_2`, after Zhou et al.'s
    TRN). The scale of all `N` frames has one relation (every frame). A
    smaller scale has `C(N, d)` ordered subsets, of which `relations_per_scale`
    are used per forward pass:

    - in training, a new random draw (without replacement) for each batch, as
      the reference implementation does per forward pass;
    - in inference, always the same ones: evenly spaced in the lexicographic
      list of subsets (for `N = 8, d = 2`: frames (0, 1), (2, 5), (6, 7)), so
      that predictions are deterministic.

    Args:
        units: outputs (class scores) of every relation.
        scales: the scales `d`, each in 2..N; `None`: `N, N-1, ..., 2`
            (multiscale TRN); `"all"`: only `N` (single-scale TRN).
        bottleneck: width of the hidden layer of every relation.
        relations_per_scale: subsets used per scale smaller than `N`.
        seed: seed of the training draws.

    Call arguments:
        inputs: `(batch, N, D)` frame features in temporal order.
        training: whether to draw the subsets at random.

    Example:
    >>> layer = TemporalRelation(27)
    >>> tuple(layer(np.zeros((2, 8, 16), "float32")).shape)
    (2, 27)

    Reference: Köpüklü et al., Section 3.2, TRN-multiscale, and its
    code (fubel/stmodeling, `RelationModuleMultiScale`).
    """

    def __init__(self, units, scales=None, bottleneck=256, relations_per_scale=3, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.units = check_positive_int("units", units)
        if scales is not None and scales != "all":
            if not isinstance(scales, (list, tuple)) or not all(isinstance(s, int) and not isinstance(s, bool) for s in scales):
                raise ValueError(f"`scales` must be None, 'all' or a list of ints >= 2. Received: scales={scales!r}")
            if not scales or min(scales) < 2 or len(set(scales)) != len(scales):
                raise ValueError(f"`scales` must be distinct ints >= 2. Received: scales={scales!r}")
            scales = tuple(scales)
        self.scales = scales
        self.bottleneck = check_positive_int("bottleneck", bottleneck)
        self.relations_per_scale = check_positive_int("relations_per_scale", relations_per_scale)
        self.seed = check_seed("seed", seed)
        self.seed_generator = keras.random.SeedGenerator(seed)

    def frame_scales(self, frames):
        """The scales used on `frames` frames, largest first."""
        if self.scales is None:
            return tuple(range(frames, 1, -1))
        if self.scales == "all":
            return (frames,)
        if max(self.scales) > frames:
            raise ValueError(f"Every entry of `scales` must be <= the {frames} frames of the input. "
                             f"Received: scales={list(self.scales)}")
        return tuple(sorted(self.scales, reverse=True))

    def subsets(self, frames, scale):
        """All ordered subsets of `scale` frames (lexicographic) and the ones inference uses."""
        every = np.array(list(itertools.combinations(range(frames), scale)), "int32")
        count = min(self.relations_per_scale, len(every))
        inference = every[np.round(np.linspace(0, len(every) - 1, count)).astype(int)]
        return every, inference

    def build(self, input_shape):
        if len(input_shape) != 3 or input_shape[1] is None or input_shape[2] is None:
            raise ValueError(f"TemporalRelation reads `(batch, frames, features)` with known frames and features. "
                             f"Received: input_shape={tuple(input_shape)}")
        frames, channels = input_shape[1], input_shape[2]
        scales = self.frame_scales(frames)
        self.relations = []
        for scale in scales:
            fusion = keras.layers.Dense(self.bottleneck, name=f"fusion_{scale}", dtype=self.dtype_policy)
            classifier = keras.layers.Dense(self.units, name=f"classifier_{scale}", dtype=self.dtype_policy)
            fusion.build((None, scale * channels))
            classifier.build((None, self.bottleneck))
            self.relations.append((scale, fusion, classifier))

    def call(self, inputs, training=False):
        frames, channels = inputs.shape[1], inputs.shape[2]
        x = ops.relu(inputs)
        total = 0.0
        for scale, fusion, classifier in self.relations:
            every, inference = self.subsets(frames, scale)
            if training and len(inference) < len(every):
                order = keras.random.shuffle(ops.arange(len(every)), seed=self.seed_generator)
                chosen = ops.take(ops.convert_to_tensor(every), order[: len(inference)], axis=0)
            else:
                chosen = ops.convert_to_tensor(inference)
            relation = ops.take(x, ops.reshape(chosen, (-1,)), axis=1)  # (B, k * d, D)
            relation = ops.reshape(relation, (-1, len(inference), scale * channels))
            scores = classifier(ops.relu(fusion(relation)))
            total = total + ops.sum(scores, axis=1)
        return total

    def grow_receptive_field(self, field):
        """Analysis protocol: the largest relation sees every frame."""
        return field.cover("t")

    def count_macs(self, input_shape, output_shape):
        """Analysis protocol: the products of the relations one forward pass computes."""
        frames, channels = input_shape[1], input_shape[2]
        return sum(
            min(self.relations_per_scale, len(self.subsets(frames, scale)[0]))
            * (scale * channels * self.bottleneck + self.bottleneck * self.units)
            for scale in self.frame_scales(frames)
        )

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.units)

    def get_config(self):
        scales = self.scales if self.scales in (None, "all") else list(self.scales)
        return {**super().get_config(), "units": self.units, "scales": scales, "bottleneck": self.bottleneck,
                "relations_per_scale": self.relations_per_scale, "seed": self.seed}
