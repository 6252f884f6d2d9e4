"""`stkeras train`: train one network of any family on a synthetic task, resumably.

Writes to a run folder: the training's backup, checkpoint and `history.csv`
(a rerun of the same command resumes the training, and trains nothing more
once it is finished) and the trained model as `model.keras`.
"""

import os
import time

from stkeras.experiments.models import build_trainable
from stkeras.experiments.report import log
from stkeras.experiments.settings import resolve_settings
from stkeras.experiments.training import seed_everything
from stkeras.experiments.training import train_model
from stkeras.tasks import get_task
from stkeras.training.atomic import save_model_atomically
from stkeras.training.data_parallel import describe
from stkeras.training.distribute import strategy_scope


def run_train(out, *, model, task="digit", recipe="quick32", size=None, head=None, strategy=None, verbose=False,
              tensorboard=False, **overrides):
    """Trains one model on the task's clip stream and saves it as `out/model.keras`.

    Args:
        out: run folder (created; a rerun resumes unfinished training).
        model: a preset name (`stkeras.models.list_presets()`; Courtney &
            Sreenivas' four base networks take the run's model size).
        task: a registered task name (`"digit"`, `"order"`, `"speed"`) or a
            `stkeras.tasks.Task` whose target quadrant-blink clips have.
        recipe: a name of `stkeras.experiments.settings.RECIPES`.
        size: `"base"` or `"xl"` (default: the recipe's).
        head: a registered head instead of the preset's (presets whose
            builder takes `head`).
        strategy: a `tf.distribute.Strategy` to build and train the model
            in (`stkeras.training.make_strategy("mirrored")`), or `None`.
            The batch size stays the global batch, split across replicas.
            Under Keras' data-parallel distribution on JAX
            (`stkeras.training.start_data_parallel`) give `None`: it is
            global, and the clip counts must be multiples of the batch size.
        verbose: also show Keras' progress bars (stkeras prints one line
            per epoch either way).
        tensorboard: also log every epoch's scores for TensorBoard in
            `out/tensorboard`.
        **overrides: `epochs`, `train_clips`, `test_clips`,
            `validation_clips`, `frames`, `batch_size`, `seed`.

    Returns:
        the training history: one dict per epoch, with `clips_seen` and the
        held-out scores as `val_*` (`stkeras.experiments.train_model`).

    Example:
    >>> import tempfile
    >>> history = run_train(tempfile.mkdtemp(), model="small_3d_cnn_regular", epochs=1, train_clips=32,
    ...                     validation_clips=32, frames=4)  # doctest: +ELLIPSIS
    stkeras train: small_3d_cnn_regular (... parameters), task=digit, recipe=quick32, 1 epochs of 32 new clips
    ...saved .../model.keras
    >>> [row["clips_seen"] for row in history]
    [32]
    """
    name = model
    task = get_task(task)
    settings = resolve_settings(recipe, size, **overrides)
    seed_everything(settings["seed"])
    with strategy_scope(strategy):
        model = build_trainable(name, settings, task, head)
        replicas = f", {strategy.num_replicas_in_sync} replica(s)" if strategy else ""
        replicas += f", {describe()}" if describe() else ""
        log(f"stkeras train: {name} ({model.count_params():,} parameters), task={task.name}, recipe={recipe}, "
            f"{settings['epochs']} epochs of {settings['train_clips']} new clips{replicas}")
        start = time.perf_counter()
        history = train_model(model, settings, task, out, name, verbose, tensorboard=tensorboard)
    save_trained_model(model, out, name, history, start)
    return history


def save_trained_model(model, out, name, history, start):
    """Saves `model` as `out/model.keras` and logs its epochs, last metrics and the time since `start`.

    Args:
        model: the trained Keras model.
        out: the run folder.
        name: the model's name in the log line.
        history: the run's epoch records (`train_model`'s), all epochs of the run folder.
        start: `time.perf_counter()` when this invocation started training.

    Example:
    >>> save_trained_model(model, "runs/train", "conv2d", history, start)  # doctest: +SKIP
    """
    path = os.path.join(out, "model.keras")
    save_model_atomically(model, path)
    last = history[-1] if history else {}
    summary = ", ".join(f"{k} {v:.4g}" for k, v in last.items() if k not in ("epoch", "clips_seen"))
    log(f"{name}: {len(history)} epoch(s) trained in all ({time.perf_counter() - start:.0f} s this run); "
        f"{summary}; saved {path}")
