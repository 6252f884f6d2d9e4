"""Compiling a model for a task: its loss and metric, the optimizer and its schedule."""

import keras

from stkeras.tasks import get_task
from stkeras.training.schedule import warmup_cosine
from stkeras.training.xla import resolve_jit_compile


def compile_for_task(model, task, learning_rate=1e-3, total_steps=None, warmup_fraction=0.05, global_clipnorm=None,
                     optimizer=None, jit_compile="auto"):
    """Compiles `model` with Adam (or `optimizer`) and the task's loss and metric.

    Classification tasks use sparse cross-entropy and accuracy; regression
    (`"speed"`) the mean squared error, reporting the mean absolute error
    (Courtney & Sreenivas 2022's metric).

    Args:
        model: a Keras model.
        task: a registered task name or a `stkeras.tasks.Task`.
        learning_rate: Adam's rate; with `total_steps`, the peak of the
            schedule.
        total_steps: optimizer steps of the whole training: the rate warms
            up over `warmup_fraction` of them, then decays to 0 along a
            cosine (`stkeras.training.warmup_cosine`). `None`: a constant
            rate.
        warmup_fraction: share of `total_steps` spent warming up.
        global_clipnorm: clip the gradients to this global norm (Courtney & Sreenivas 2019
            clips at 5.0); `None`: no clipping.
        optimizer: a Keras optimizer to use instead of the Adam that the
            arguments above describe (e.g. a recipe's:
            `stkeras.training.recipe_optimizer`).
        jit_compile: `True`, `False` or `"auto"` (Keras' default: XLA on a
            GPU); where XLA would be used and the model cannot take it, the
            model compiles without it and a warning says why
            (`stkeras.training.resolve_jit_compile`).

    Per-frame outputs `(batch, frames, ...)` with per-frame targets
    (`stkeras.data.per_frame_targets`) get the loss at every frame.

    Example:
    >>> model = compile_for_task(build_conv2d_lstm(task="speed"), "speed")  # doctest: +SKIP
    """
    task = get_task(task)
    if total_steps is not None:
        learning_rate = warmup_cosine(learning_rate, total_steps, warmup_fraction)
    if global_clipnorm is not None and not (isinstance(global_clipnorm, (int, float)) and global_clipnorm > 0):
        raise ValueError(f"`global_clipnorm` must be None or a positive number. Received: "
                         f"global_clipnorm={global_clipnorm!r}")
    if optimizer is None:
        optimizer = keras.optimizers.Adam(learning_rate, global_clipnorm=global_clipnorm)
    model.compile(optimizer=optimizer, loss=task.loss, metrics=[task.metric],
                  jit_compile=resolve_jit_compile(model, jit_compile))
    return model
