"""Losses, metrics and trivial baselines of the synthetic video tasks."""

import keras
import numpy as np

from stkeras.validation import check_choice

CLASSIFICATION_TASKS = ("digit", "order")
TASKS = CLASSIFICATION_TASKS + ("speed",)


def compile_for_task(model, task, learning_rate=1e-3):
    """Compiles `model` with Adam and the task's loss and metric.

    Classification tasks use sparse cross-entropy and accuracy; `"speed"`
    regresses the speed with the mean squared error and reports the mean
    absolute error (seed 000's metric).

    Example:
    >>> model = compile_for_task(build_conv2d_lstm(task="speed"), "speed")  # doctest: +SKIP
    """
    check_choice("task", task, TASKS)
    if task == "speed":
        loss, metrics = "mse", ["mae"]
    else:
        loss, metrics = "sparse_categorical_crossentropy", ["accuracy"]
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss=loss, metrics=metrics)
    return model


def task_scores(task, predictions, targets):
    """The task's metrics of predictions against targets.

    Returns:
        `{"accuracy": ...}` for classification; `{"mae": ..., "rounded_accuracy":
        ...}` for speed (the prediction rounded to the nearest integer speed).
    """
    check_choice("task", task, TASKS)
    predictions, targets = np.asarray(predictions), np.asarray(targets).reshape(-1)
    if task == "speed":
        speed = predictions.reshape(len(targets), -1)[:, 0]
        return {
            "mae": float(np.mean(np.abs(speed - targets))),
            "rounded_accuracy": float(np.mean(np.rint(speed) == targets)),
        }
    return {"accuracy": float(np.mean(predictions.reshape(len(targets), -1).argmax(-1) == targets))}


def trivial_baseline(task, train_targets, test_targets):
    """The score of a predictor that ignores the clip.

    Classification: always the most frequent training class. Speed: always
    the mean training speed. Returns the same keys as `task_scores` plus
    `"predictor"`, a description.
    """
    check_choice("task", task, TASKS)
    train_targets = np.asarray(train_targets).reshape(-1)
    test_targets = np.asarray(test_targets).reshape(-1)
    if task == "speed":
        mean = float(np.mean(train_targets))
        scores = task_scores(task, np.full(len(test_targets), mean), test_targets)
        return {"predictor": f"mean training speed {mean:.3f}", **scores}
    majority = int(np.bincount(train_targets.astype(int)).argmax())
    accuracy = float(np.mean(test_targets == majority))
    return {"predictor": f"majority class {majority}", "accuracy": accuracy}
