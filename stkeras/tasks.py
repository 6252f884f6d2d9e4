"""What a model is trained to predict: one `Task` record per task, in a registry.

A `Task` says everything the rest of stkeras needs to know about a target:
which field of a clip's `info` it is, the output layer (units, activation),
the loss and metrics to compile with, the metric that ranks models and which
direction is better, the per-clip metric of error grids, and the score of a
predictor that ignores the clip. Data, heads, training, analysis and the
command line all take a `Task` (or its registered name, checked once by
`get_task`), so a task is defined in one place.

Example:
>>> get_task("speed").metric, get_task("speed").better
('mae', 'lower')
>>> Task.classification("kinetics", 400).units
400
"""

import dataclasses

import keras
import numpy as np

from stkeras.registry import Registry
from stkeras.validation import check_activation
from stkeras.validation import check_positive_int

KINDS = ("classification", "regression")


@dataclasses.dataclass(frozen=True)
class Task:
    """A prediction target and how it is learned and scored.

    Use the constructors `Task.classification` and `Task.regression`.

    Attributes:
        name: the task's name.
        kind: `"classification"` (integer class targets, softmax scores) or
            `"regression"` (a scalar).
        target: the key of the target in a clip's `info` dict.
        units: output units (classes, or 1).
        activation: activation of the output layer (`None`: linear/logits).
        integer_target: regression targets are integers (then the scores
            also report the accuracy of the rounded prediction).
        description: one line for documentation and the command line.
    """

    name: str
    kind: str
    target: str
    units: int
    activation: object = None
    integer_target: bool = False
    description: str = ""

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise ValueError(f"`name` must be an identifier string. Received: name={self.name!r}")
        if self.kind not in KINDS:
            raise ValueError(f"Unknown `kind`: {self.kind!r}. Allowed values: {', '.join(map(repr, KINDS))}.")
        if not isinstance(self.units, int) or isinstance(self.units, bool) or self.units < 1:
            raise ValueError(f"`units` must be an int >= 1. Received: units={self.units!r}")
        if self.kind == "classification" and self.units < 2:
            raise ValueError(f"A classification task needs at least 2 classes. Received: units={self.units!r}")

    @classmethod
    def classification(cls, name, num_classes, *, target=None, activation="softmax", description=""):
        """A `num_classes`-way classification of `info[target]` (default: `name`)."""
        return cls(name, "classification", target or name, num_classes, activation, False, description)

    @classmethod
    def regression(cls, name, *, target=None, units=1, integer_target=False, description=""):
        """A regression of `info[target]` (default: `name`) with a linear output."""
        return cls(name, "regression", target or name, units, None, integer_target, description)

    # ---- saving
    def to_config(self):
        """The task as a JSON-able dict (a `.keras` file's or a preset folder's).

        Example:
        >>> Task.from_config(get_task("speed").to_config()) == get_task("speed")
        True
        """
        if self.activation is not None and not isinstance(self.activation, str):
            raise ValueError(f"Task {self.name!r} has an activation that is a function, {self.activation!r}: only "
                             "a task whose activation is a name or None can be saved.")
        return dataclasses.asdict(self)

    @classmethod
    def from_config(cls, config):
        """The `Task` of `to_config`'s dict."""
        return cls(**config)

    # ---- the output layer
    def output_layer(self, name, dense=True):
        """The task's output: `Dense(units, activation)`, or only the activation (`dense=False`).

        It computes in float32 whatever the dtype policy, so that under
        `mixed_float16` the loss reads float32 probabilities.
        """
        if dense:
            return keras.layers.Dense(self.units, activation=self.activation, name=name, dtype="float32")
        return keras.layers.Activation(self.activation or "linear", name=name, dtype="float32")

    def outputs(self, x, name, dense=True):
        """Applies `output_layer(name, dense)` to `x`.

        Example:
        >>> import keras
        >>> get_task("digit").outputs(keras.Input((16,)), "scores").shape
        (None, 10)
        """
        return self.output_layer(name, dense)(x)

    # ---- training
    @property
    def loss(self):
        """The Keras loss to train with (from logits when the output is linear)."""
        if self.kind == "regression":
            return "mse"
        if self.activation in (None, "linear"):
            import keras

            return keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        return "sparse_categorical_crossentropy"

    @property
    def metric(self):
        """The metric that ranks models: `"accuracy"` or `"mae"`."""
        return "accuracy" if self.kind == "classification" else "mae"

    @property
    def better(self):
        """`"higher"` or `"lower"`: which values of `metric` are better."""
        return "higher" if self.kind == "classification" else "lower"

    def is_better(self, value, reference):
        """Whether `value` of `metric` beats `reference`."""
        return value > reference if self.better == "higher" else value < reference

    # ---- scoring
    def per_clip(self, predictions, targets):
        """Per-clip correctness (0/1) or absolute error, the cells of error grids."""
        predictions, targets = np.asarray(predictions), np.asarray(targets).reshape(-1)
        flat = predictions.reshape(len(targets), -1)
        if self.kind == "classification":
            return (flat.argmax(axis=-1) == targets).astype(np.float64)
        return np.abs(flat[:, 0] - targets)

    def scores(self, predictions, targets):
        """The task's metrics: `{"accuracy"}`, or `{"mae"[, "rounded_accuracy"]}`."""
        predictions, targets = np.asarray(predictions), np.asarray(targets).reshape(-1)
        if self.kind == "classification":
            return {"accuracy": float(np.mean(self.per_clip(predictions, targets)))}
        scores = {"mae": float(np.mean(self.per_clip(predictions, targets)))}
        if self.integer_target:
            value = predictions.reshape(len(targets), -1)[:, 0]
            scores["rounded_accuracy"] = float(np.mean(np.rint(value) == targets))
        return scores

    def baseline(self, train_targets, test_targets):
        """The scores of a predictor that ignores the clip, plus `"predictor"`.

        Classification: always the most frequent training class. Regression:
        always the mean training target.
        """
        train_targets = np.asarray(train_targets).reshape(-1)
        test_targets = np.asarray(test_targets).reshape(-1)
        if self.kind == "classification":
            majority = int(np.bincount(train_targets.astype(int)).argmax())
            scores = {"accuracy": float(np.mean(test_targets == majority))}
            return {"predictor": f"majority class {majority}", **scores}
        mean = float(np.mean(train_targets))
        scores = self.scores(np.full(len(test_targets), mean), test_targets)
        return {"predictor": f"mean training {self.target} {mean:.3f}", **scores}


TASKS = Registry("task")


def register_task(task):
    """Adds a `Task` to the registry (the names the command line offers); returns it."""
    if not isinstance(task, Task):
        raise TypeError(f"`task` must be a stkeras.tasks.Task. Received: task={task!r}")
    return TASKS.register(task.name, task)


def get_task(task, argument="task"):
    """Returns `task` if it is a `Task`, else the registered task of that name.

    Raises:
        ValueError: naming the argument, the value and the registered tasks.
    """
    if isinstance(task, Task):
        return task
    try:
        return TASKS.get(task, argument)
    except ValueError as error:
        raise ValueError(f"{error} (or pass a stkeras.tasks.Task)") from None


def resolve_task(num_classes=None, task=None, *, default=None, classifier_activation="softmax"):
    """The `Task` a model builder is asked for: `num_classes` or `task`, not both.

    Every builder and `VideoModel.with_head` take their output this way, so
    the rule and its errors live here.

    Args:
        num_classes: a classifier of that many classes (a task named
            `"classes"`), with `classifier_activation`.
        task: a `Task` or a registered task name.
        default: what to build when neither is given: a task name, a `Task`
            or a number of classes; `None` makes one of them required.
        classifier_activation: the classifier's activation (`None`: logits);
            only with `num_classes` or a default number of classes.

    Returns:
        a `Task`.

    Example:
    >>> resolve_task(num_classes=7).units, resolve_task(task="speed").kind
    (7, 'regression')
    """
    if num_classes is not None and task is not None:
        raise ValueError(f"Give `num_classes` or `task`, not both. Received: num_classes={num_classes!r}, "
                         f"task={task!r}")
    if num_classes is None and task is None:
        if default is None:
            raise ValueError("Give `num_classes` (a classifier) or `task` (a stkeras.tasks.Task or one of "
                             f"{', '.join(map(repr, available_tasks()))}). Received: num_classes=None, task=None")
        if isinstance(default, int):
            num_classes = default
        else:
            task = default
    if task is not None:
        if classifier_activation != "softmax":
            raise ValueError("`classifier_activation` applies to `num_classes`; a task sets its own output. "
                             f"Received: classifier_activation={classifier_activation!r} with task={task!r}")
        return get_task(task)
    check_positive_int("num_classes", num_classes, minimum=2)
    return Task.classification("classes", num_classes,
                               activation=check_activation("classifier_activation", classifier_activation))


def available_tasks():
    """Names of the registered tasks, in registration order."""
    return TASKS.names()


# Courtney & Sreenivas 2022's three quadrant-blink tasks (Section 3).
register_task(Task.classification("digit", 10, description="which digit (0-9) blinks through the clip"))
register_task(Task.classification("order", 6, description="which of the six quadrant orders (0-5)"))
register_task(Task.regression("speed", integer_target=True, description="the digit's speed S in px/frame"))
