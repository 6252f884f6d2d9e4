"""The fine-tuning practice of a recipe, applied to a training run: targets, loss, clips, stages and rates.

`FineTuning` holds a recipe's fine-tuning keys (`stkeras.recipes.FINE_TUNING`)
and applies them where each belongs:

- **targets and loss**: with label smoothing, MixUp or CutMix the targets
  are one-hot (then mixed), the loss Keras' `CategoricalCrossentropy` with
  its `label_smoothing`, the metric Keras' `CategoricalAccuracy` named
  `"accuracy"` (the held-out clips get one-hot targets too, so the same
  loss scores them); otherwise the task's sparse loss and accuracy;
- **the training clips**: RandAugment drawn once per clip
  (`stkeras.data.ClipRandAugment`), then MixUp / CutMix with one mix per
  clip (`stkeras.data.ClipMixing`), then class weights as sample weights
  (`stkeras.data.weigh_batches`); class-balanced sampling is the data's
  (`VideoData.train`);
- **the model**: the first `frozen_stages` named stages frozen, and the
  rate multipliers of `layer_decay` per stage for the optimizer
  (`stkeras.training.stages`, `stkeras.training.StageRateSGD`).

Example:
>>> from stkeras.recipes import RECIPES
>>> tuning = FineTuning.from_settings(RECIPES.get("x3d_finetune"))
>>> tuning.soft_targets, tuning.class_balance, tuning.layer_decay
(True, 'weights', 0.75)
>>> FineTuning.from_settings(RECIPES.get("blink16_12k")).active
False
"""

import dataclasses

import keras
import tensorflow as tf

from stkeras.data.class_balance import class_weights
from stkeras.data.class_balance import weigh_batches
from stkeras.data.clip_mixing import ClipMixing
from stkeras.data.clip_mixing import mix_clips
from stkeras.data.clip_randaugment import ClipRandAugment
from stkeras.data.clip_randaugment import randaugment_clips
from stkeras.recipes import FINE_TUNING_DEFAULTS
from stkeras.recipes import FINE_TUNING_OPTIONS
from stkeras.recipes import fine_tuning_settings
from stkeras.training.stages import check_frozen_stages
from stkeras.training.stages import freeze_named_stages
from stkeras.training.stages import stage_rate_multipliers


@dataclasses.dataclass(frozen=True)
class FineTuning:
    """A recipe's fine-tuning settings (see `stkeras.recipes` for each key); the defaults change nothing."""

    label_smoothing: float = FINE_TUNING_DEFAULTS["label_smoothing"]
    mixup_alpha: float = FINE_TUNING_DEFAULTS["mixup_alpha"]
    cutmix_alpha: float = FINE_TUNING_DEFAULTS["cutmix_alpha"]
    randaugment_ops: int = FINE_TUNING_DEFAULTS["randaugment_ops"]
    randaugment_magnitude: float = FINE_TUNING_DEFAULTS["randaugment_magnitude"]
    class_balance: str = FINE_TUNING_DEFAULTS["class_balance"]
    frozen_stages: int = FINE_TUNING_DEFAULTS["frozen_stages"]
    layer_decay: float = FINE_TUNING_DEFAULTS["layer_decay"]

    def __post_init__(self):
        for field in dataclasses.fields(self):
            object.__setattr__(self, field.name, FINE_TUNING_OPTIONS[field.name].check(getattr(self, field.name)))

    @classmethod
    def from_settings(cls, settings):
        """The fine-tuning of a recipe's (resolved) settings; keys it lacks take `FINE_TUNING_DEFAULTS`."""
        return cls(**fine_tuning_settings(settings))

    def changed(self):
        """The names of the settings that differ from the defaults, in order."""
        return [name for name, value in dataclasses.asdict(self).items() if value != FINE_TUNING_DEFAULTS[name]]

    @property
    def active(self):
        """Whether any setting differs from the defaults."""
        return bool(self.changed())

    @property
    def soft_targets(self):
        """Whether training takes one-hot (mixed) targets: label smoothing, MixUp or CutMix."""
        return bool(self.label_smoothing or self.mixup_alpha or self.cutmix_alpha)

    # ---- the task's loss and metric
    def check_task(self, task):
        """Raises `ValueError` if a setting is on and the task is not a classification."""
        if self.active and task.kind != "classification":
            raise ValueError(f"{', '.join(self.changed())} apply to a classification; task {task.name!r} is a "
                             f"{task.kind}.")

    def loss(self, task):
        """The loss to train `task` with: the categorical cross-entropy with label smoothing, or the task's."""
        if not self.soft_targets:
            return task.loss
        return keras.losses.CategoricalCrossentropy(from_logits=task.activation in (None, "linear"),
                                                    label_smoothing=self.label_smoothing)

    def metrics(self, task):
        """The metrics to compile with: accuracy on one-hot targets (named `"accuracy"`), or the task's."""
        if not self.soft_targets:
            return [task.metric]
        return [keras.metrics.CategoricalAccuracy(name="accuracy")]

    # ---- the model
    def check_model(self, model):
        """Raises `ValueError` if the model lacks the named stages the settings need (before anything trains)."""
        if self.frozen_stages:
            check_frozen_stages(model, self.frozen_stages)
        if self.layer_decay != 1.0:
            stage_rate_multipliers(model, self.layer_decay)

    def prepare_model(self, model):
        """Freezes the first `frozen_stages` stages; returns the rate multipliers of `layer_decay` (`None`: none)."""
        if self.frozen_stages:
            freeze_named_stages(model, self.frozen_stages)
        if self.layer_decay == 1.0:
            return None
        return stage_rate_multipliers(model, self.layer_decay)

    # ---- the clips
    def training_stream(self, dataset, *, num_classes, train_labels=None, seed=None):
        """The training batches `(clips, targets)` with RandAugment, one-hot and mixed targets and class weights.

        Args:
            dataset: batches of clips in [0, 1] (before any normalization)
                and integer targets.
            num_classes: the classes of the targets.
            train_labels: every training label (for the class weights).
            seed: seed of the augmentation draws.
        """
        if self.randaugment_ops:
            dataset = randaugment_clips(dataset, ClipRandAugment(num_ops=self.randaugment_ops,
                                                                 magnitude=self.randaugment_magnitude, seed=seed))
        if self.soft_targets:
            dataset = one_hot_targets(dataset, num_classes)
        if self.mixup_alpha or self.cutmix_alpha:
            mixing = ClipMixing(mixup_alpha=self.mixup_alpha, cutmix_alpha=self.cutmix_alpha, seed=seed)
            dataset = mix_clips(dataset, mixing, seed=seed)
        if self.class_balance == "weights":
            if train_labels is None:
                raise ValueError("class_balance='weights' needs the training labels.")
            dataset = weigh_batches(dataset, class_weights(train_labels, num_classes))
        return dataset

    def held_out_stream(self, dataset, num_classes):
        """The held-out batches with the targets the loss takes (one-hot with soft targets)."""
        return one_hot_targets(dataset, num_classes) if self.soft_targets else dataset


def one_hot_targets(dataset, num_classes):
    """A dataset of `(clips, integer targets[, ...])` batches with float32 one-hot targets.

    Example:
    >>> import numpy as np, tensorflow as tf
    >>> batches = tf.data.Dataset.from_tensors((np.zeros((2, 1)), np.array([1, 0])))
    >>> next(iter(one_hot_targets(batches, 3)))[1].numpy().tolist()
    [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]
    """
    return dataset.map(lambda clips, targets, *rest: (clips, tf.one_hot(tf.cast(targets, tf.int32), num_classes),
                                                      *rest))
