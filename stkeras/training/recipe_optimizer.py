"""The optimizer, learning-rate schedule and schedule callbacks a recipe trains with."""

import keras

from stkeras.recipes import OPTIMIZERS
from stkeras.recipes import SCHEDULES
from stkeras.recipes import training_settings
from stkeras.training.schedule import warmup_cosine
from stkeras.training.stage_rates import StageRateAdam
from stkeras.training.stage_rates import StageRateSGD
from stkeras.validation import check_choice


def recipe_optimizer(settings, steps_per_epoch, rate_multipliers=None):
    """The Keras optimizer and callbacks of a recipe's training settings (`stkeras.recipes`).

    Args:
        settings: resolved run settings: `learning_rate`, `epochs`,
            `warmup_fraction` and the recipe's optional optimizer and
            schedule keys (defaults: `stkeras.recipes.TRAINING_DEFAULTS`).
        steps_per_epoch: optimizer steps per epoch.
        rate_multipliers: `{variable path: multiplier}` of the learning
            rate (layer-wise decay: `stkeras.training.stage_rate_multipliers`),
            or `None`: one rate for every variable.

    Returns:
        `(optimizer, callbacks)`: the callbacks carry a `"plateau"`
        schedule (Keras' `ReduceLROnPlateau` on the held-out loss).

    Example:
    >>> from stkeras.recipes import RECIPES
    >>> optimizer, callbacks = recipe_optimizer(RECIPES.get("koepueklue_jester"), steps_per_epoch=32)
    >>> type(optimizer).__name__, float(optimizer.momentum), type(callbacks[0]).__name__
    ('SGD', 0.9, 'ReduceLROnPlateau')
    """
    training = training_settings(settings)
    schedule = check_choice("schedule", training["schedule"], SCHEDULES)
    name = check_choice("optimizer", training["optimizer"], OPTIMIZERS)
    rate, factor, callbacks = settings["learning_rate"], training["decay_factor"], []
    if schedule == "warmup_cosine":
        rate = warmup_cosine(rate, steps_per_epoch * settings["epochs"], settings["warmup_fraction"])
    elif schedule == "step" and training["decay_epochs"]:
        # Keras' schedule changes after its boundary step: each boundary is the last step before the epoch.
        boundaries = [int(epoch) * steps_per_epoch - 1 for epoch in training["decay_epochs"]]
        rates = [rate * factor**i for i in range(len(boundaries) + 1)]
        rate = keras.optimizers.schedules.PiecewiseConstantDecay(boundaries, rates)
    elif schedule == "plateau":
        lowest = rate * factor ** training["max_decays"]
        callbacks.append(keras.callbacks.ReduceLROnPlateau(
            monitor="val_loss", factor=factor, patience=training["plateau_patience"], min_lr=lowest * 0.999))
    options = {"global_clipnorm": training["global_clipnorm"], "weight_decay": training["weight_decay"] or None}
    if rate_multipliers:
        options["rate_multipliers"] = rate_multipliers
    if name == "sgd":
        sgd = StageRateSGD if rate_multipliers else keras.optimizers.SGD
        return sgd(rate, momentum=training["momentum"], **options), callbacks
    return (StageRateAdam if rate_multipliers else keras.optimizers.Adam)(rate, **options), callbacks
