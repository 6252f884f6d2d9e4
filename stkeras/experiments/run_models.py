"""The models of a run: presets built once each, at the data's clip shape for its task, and saved as preset folders.

A run's plan builds every model it will train (`build_run_model`), so that
an argument that cannot make a model fails before anything trains, and the
run trains those same models: nothing is built twice. Before it trains, a
plan may check that the run fits in the memory available
(`check_memory`, the command line's pre-flight check). A trained model is
saved as a preset folder (`save_run_model`): `config.json` and the weights,
the preprocessing of its clips, the recipe and data it was trained on, and
`model.keras` for `keras.saving.load_model`.
"""

import dataclasses
import os
import time

import psutil

from stkeras.analysis.memory_estimate import training_memory_estimate
from stkeras.data.preprocessing import Preprocessing
from stkeras.experiments.fitting import seed_everything
from stkeras.experiments.report import log
from stkeras.models.preset_folder import save_preset
from stkeras.models.presets import from_preset
from stkeras.models.presets import get_preset
from stkeras.training.distribute import strategy_scope
from stkeras.training.session import fresh_session


@dataclasses.dataclass
class RunModel:
    """One model a run trains.

    Attributes:
        preset: its preset's name.
        seed: the seed of its initial weights and of its training clips.
        label: its name in progress lines and result tables.
        folder: its preset folder (the run folder of `train`).
        model: the model, built once by the plan.
        preprocessing: the `Preprocessing` of its clips: the data's, with
            the mean and std of the weights it starts from.
    """

    preset: str
    seed: int
    label: str
    folder: str
    model: object
    preprocessing: Preprocessing


def build_run_model(preset, data, *, seed, folder, label=None, strategy=None, head=None, weights=None,
                    frozen_stages=None):
    """`preset` at the data's clip shape for its task, built in a fresh session under `seed` (and `strategy`).

    Args:
        preset: a preset name.
        data: the run's `RunData`.
        seed: seeds the initial weights (`seed_everything`).
        folder: where the model is saved once trained.
        label: its name in lines and tables (default: the preset).
        strategy: a `tf.distribute.Strategy` to build it in, or `None`.
        head: a registered head instead of the preset's (presets whose
            builder takes `head`).
        weights: a checkpoint to start from (`from_preset`'s `weights`).
        frozen_stages: stages kept frozen (video ResNets).

    Returns:
        a `RunModel`.
    """
    get_preset(preset)  # an unknown name is refused before anything is built
    extra = {key: value for key, value in dict(head=head, frozen_stages=frozen_stages).items() if value is not None}
    fresh_session()
    seed_everything(seed)
    with strategy_scope(strategy):
        model = from_preset(preset, input_shape=data.input_shape, task=data.task, weights=weights, **extra)
    weights_preprocessing = getattr(model, "preprocessing", None)
    preprocessing = data.preprocessing
    if weights_preprocessing is not None and weights_preprocessing.mean is not None:
        preprocessing = preprocessing.replace(mean=weights_preprocessing.mean, std=weights_preprocessing.std)
    return RunModel(preset, seed, label or preset, folder, model, preprocessing)


def check_memory(run_models, batch_size, available=None):
    """Raises `ValueError` if training the run's models one after the other would not fit in the memory available.

    The models are held together (the plan built them); one at a time
    trains, with its gradients, Adam's moments and a batch's activations
    (`stkeras.analysis.training_memory_estimate`, a lower bound).

    Args:
        run_models: the run's `RunModel`s.
        batch_size: clips per training step.
        available: bytes available (default: this machine's, from psutil).
    """
    if not run_models:
        return
    available = psutil.virtual_memory().available if available is None else available
    estimates = {m.label: training_memory_estimate(m.model, batch_size) for m in run_models}
    held = sum(int(m.model.count_params()) * 4 for m in run_models)  # every model's weights, once
    label, largest = max(estimates.items(), key=lambda item: item[1]["total"])
    needed = held + largest["total"]
    if needed > available:
        raise ValueError(f"The run would need at least {needed / 2**30:.1f} GiB to train ({label}: "
                         f"{largest['weights'] / 2**30:.1f} GiB of weights, gradients and optimizer state and "
                         f"{largest['activations'] / 2**30:.1f} GiB of activations for a batch of {batch_size}; "
                         f"{held / 2**30:.1f} GiB for the weights of the {len(run_models)} model(s) held), more "
                         f"than the {available / 2**30:.1f} GiB of memory available. Use smaller clips, batches or "
                         "models, or pass --skip-memory-check to train anyway.")


def save_run_model(run_model, data, *, history=None, start=None, class_names=None):
    """Saves a trained `RunModel` as a preset folder with `model.keras`, and logs its epochs and last scores.

    Args:
        run_model: the trained `RunModel`.
        data: the run's `RunData` (its recipe, settings and classes go in the folder).
        history: the run's epoch records, to log the last one.
        start: `time.perf_counter()` when this invocation started training.
        class_names: the classes (default: the data's).
    """
    recipe = data.record()
    recipe["settings"]["seed"] = run_model.seed
    save_preset(run_model.model, run_model.folder, class_names=data.class_names if class_names is None else class_names,
                preprocessing=run_model.preprocessing, recipe=recipe, keras_file=True)
    if history is not None:
        last = history[-1] if history else {}
        summary = ", ".join(f"{k} {v:.4g}" for k, v in last.items() if k not in ("epoch", "clips_seen"))
        seconds = "" if start is None else f" ({time.perf_counter() - start:.0f} s this run)"
        log(f"{run_model.label}: {len(history)} epoch(s) trained in all{seconds}; {summary}; saved "
            f"{os.path.join(run_model.folder, 'model.keras')} and its preset folder")
