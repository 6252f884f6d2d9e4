"""`TemporalHyperModel`: what every stkeras search space shares.

A subclass fixes the structure in `__init__` and declares its design
choices in `build_model(hp)`; this base declares the learning rate, turns a
design that cannot be built into `keras_tuner.errors.FailedTrialError`,
compiles for the task and, in `fit`, records what a trial cost: parameters,
multiply-accumulates per clip, training time and the process's resident
memory. keras-tuner stores these with the trial's score.
"""

import time

import keras
import keras_tuner
import psutil

from stkeras.analysis import count_flops
from stkeras.heads import clip_heads
from stkeras.models.checks import MAX_WIDTH_MULTIPLIER
from stkeras.models.checks import check_width_multiplier
from stkeras.tasks import get_task
from stkeras.training import compile_for_task
from stkeras.validation import check_choice
from stkeras.validation import check_positive_int

COST_METRICS = ("parameters", "macs", "training_seconds", "resident_mb")


class TemporalHyperModel(keras_tuner.HyperModel):
    """Base of stkeras' search spaces over temporal design.

    Subclasses define `build_model(hp)`: declare the space's hyperparameters
    on `hp` and return the uncompiled model.

    Hyperparameters (beyond a subclass's):
        learning_rate: Float, log-sampled in `learning_rates`, default
            `default_learning_rate`: the peak rate of the warm-up + cosine
            schedule (`stkeras.training.compile_for_task`).

    Args:
        input_shape: `(frames, height, width, channels)` of the clips.
        task: a `stkeras.tasks.Task` or a registered task name.
        total_steps: training steps of a trial, for the rate schedule
            (`None`: a constant rate after no warm-up).
        learning_rates: `(lowest, highest)` learning rate searched.
        default_learning_rate: the rate of the default point.
        warmup_fraction: the schedule's warm-up share of `total_steps`.
        seed: the weights' seed; every trial starts from it, so the same
            hyperparameters give the same model.
        name: the hypermodel's name.
    """

    def __init__(self, *, input_shape, task="digit", total_steps=None, learning_rates=(1e-4, 1e-2),
                 default_learning_rate=3e-3, warmup_fraction=0.05, seed=0, name=None):
        super().__init__(name=name, tunable=True)
        self.input_shape = tuple(input_shape)
        self.task = get_task(task)
        self.total_steps = None if total_steps is None else check_positive_int("total_steps", total_steps)
        low, high = learning_rates
        if not 0 < low <= default_learning_rate <= high:
            raise ValueError(f"`learning_rates` must be (low, high) with 0 < low <= default_learning_rate "
                             f"({default_learning_rate!r}) <= high. Received: learning_rates={learning_rates!r}")
        self.learning_rates, self.default_learning_rate = (float(low), float(high)), float(default_learning_rate)
        self.warmup_fraction = warmup_fraction
        self.seed = check_positive_int("seed", seed, minimum=0)

    @property
    def objective(self):
        """The `keras_tuner.Objective` of the task: its metric on the validation clips."""
        return keras_tuner.Objective(f"val_{self.task.metric}", "max" if self.task.better == "higher" else "min")

    def build(self, hp):
        """The compiled model of the point `hp`; `FailedTrialError` if its design cannot exist."""
        learning_rate = hp.Float("learning_rate", *self.learning_rates, sampling="log",
                                 default=self.default_learning_rate)
        keras.utils.set_random_seed(self.seed)
        try:
            model = self.build_model(hp)
        except ValueError as error:
            # The builders check a design before building any layer: a stride
            # that would leave less than one frame, an op asked for what its
            # spec does not support.
            raise keras_tuner.errors.FailedTrialError(f"this architecture cannot be built: {error}") from error
        compile_for_task(model, self.task, learning_rate, total_steps=self.total_steps,
                         warmup_fraction=self.warmup_fraction)
        return model

    def fit(self, hp, model, *args, **kwargs):
        """`model.fit(*args, **kwargs)`; returns the best epoch's logs and the trial's costs.

        The objective is taken at its best epoch (as keras-tuner does for a
        `History`); `parameters`, `macs` (multiply-accumulates per clip),
        `training_seconds` and `resident_mb` (the process's resident memory
        after training) are recorded beside it.
        """
        start = time.perf_counter()
        history = model.fit(*args, **kwargs)
        seconds = time.perf_counter() - start
        logs = _best_epoch(history.history, self.objective)
        return {
            **logs,
            "parameters": float(model.count_params()),
            "macs": float(count_flops(model)),
            "training_seconds": round(seconds, 2),
            "resident_mb": round(psutil.Process().memory_info().rss / 2**20, 1),
        }


def _best_epoch(history, objective):
    """The logs of the epoch where `objective` is best."""
    values = history.get(objective.name)
    if not values:
        raise keras_tuner.errors.FatalValueError(
            f"Training logged no {objective.name!r} (logged: {', '.join(history) or 'nothing'}); "
            "pass `validation_data` to the search.")
    pick = max if objective.direction == "max" else min
    best = pick(range(len(values)), key=values.__getitem__)
    return {name: float(series[best]) for name, series in history.items() if len(series) > best}


def check_heads(heads, allowed=None):
    """`heads` (default: `allowed`, every clip head) checked against `allowed`; a tuple."""
    allowed = clip_heads() if allowed is None else allowed
    heads = allowed if heads is None else tuple(heads)
    if not heads:
        raise ValueError(f"`heads` must name at least one head. Received: heads={heads!r}")
    for name in heads:
        check_choice("heads", name, allowed)
    return heads


def check_multipliers(multipliers):
    """Channel multipliers, each checked as a model's `width_multiplier`, as a tuple of floats."""
    multipliers = tuple(multipliers)
    if not multipliers:
        raise ValueError(f"`width_multipliers` must name at least one multiplier. Received: "
                         f"width_multipliers={multipliers!r}")
    try:
        return tuple(check_width_multiplier(m) for m in multipliers)
    except ValueError:
        raise ValueError(f"Each of `width_multipliers` must be a number in (0, {MAX_WIDTH_MULTIPLIER}]. "
                         f"Received: width_multipliers={multipliers!r}") from None
