"""`stkeras train`: train one preset, resumably, on quadrant-blink clips or on a user's videos.

One implementation over the run's data (`RunData`). The run folder is the
trained model's preset folder: `config.json`, `model.weights.h5`,
`preprocessing.json`, `recipe.json` (so that `stkeras evaluate --model RUN`,
`explain` and `sensitivity` need nothing else) and `model.keras`; beside
them the training's backup, checkpoint and `history.csv` (a rerun of the
same command resumes the training, and trains nothing more once it is
finished).

Example:
>>> import tempfile
>>> history = run_train(plan_train(out=tempfile.mkdtemp(), model="small_3d_cnn_regular", epochs=1, train_clips=32,
...                                validation_clips=32, frames=4))  # doctest: +ELLIPSIS
stkeras train: small_3d_cnn_regular (... parameters) on quadrant-blink digit, recipe blink32_3k: 1 epochs of 32 new clips...
>>> [row["clips_seen"] for row in history]
[32]
"""

import dataclasses
import os
import time

from stkeras.experiments.compare import make_data
from stkeras.experiments.fitting import train_model
from stkeras.experiments.report import log
from stkeras.experiments.run_folder import check_run_folder
from stkeras.experiments.run_folder import claim_run_folder
from stkeras.experiments.run_models import build_run_model
from stkeras.experiments.run_models import check_memory
from stkeras.experiments.run_models import save_run_model
from stkeras.experiments.run_setup import run_record
from stkeras.experiments.run_setup import run_strategy
from stkeras.experiments.run_setup import set_precision
from stkeras.models.presets import get_preset
from stkeras.training.distribute import strategy_scope


@dataclasses.dataclass
class TrainPlan:
    """What `run_train` does, resolved and checked: the data, the model built once, how the run goes."""

    out: str
    data: object
    model: object
    strategy: object
    record: dict
    weights: str = None
    overwrite: bool = False
    verbose: bool = False
    tensorboard: bool = False


def plan_train(*, out, model, task=None, recipe="blink32_3k", head=None, segments=None, data=None, layout=None,
               validation_split=0.2, frame_size=None, frame_step=2, weights=None, frozen_stages=None,
               distribute="none", tensorboard=False, mixed_precision=False, skip_memory_check=False, overwrite=False,
               verbose=False, **overrides):
    """Resolves the data once and builds the model once; checks everything the run could refuse. Nothing trains.

    Args:
        out: the run folder, which becomes the model's preset folder.
        model: a preset name (`stkeras.list_presets()`).
        task, recipe, head, segments, data, layout, validation_split,
            frame_size, frame_step, distribute, tensorboard,
            mixed_precision, skip_memory_check, overwrite, verbose,
            **overrides: as `plan_compare`'s.
        weights: a checkpoint to start from (a torchvision `.pth` of a
            preset that declares one, whose preprocessing the clips then
            get, or a `.weights.h5` of the same model); with other classes
            than the checkpoint's, the classifier starts fresh.
        frozen_stages: stages kept frozen (video ResNets).

    Returns:
        a `TrainPlan` for `run_train`.
    """
    preset = get_preset(model)
    if weights is not None:
        if data is None:
            raise ValueError("--weights starts a model on your videos: give --data DIR too.")
        if not os.path.isfile(weights):
            raise ValueError(f"--weights {weights!r} is not a file.")
        if frame_size is None and preset.loads_checkpoint(weights) and preset.weights_preprocessing is not None:
            checkpoint = preset.weights_preprocessing  # the clips the checkpoint was trained on
            frame_size = checkpoint.crop[0] if checkpoint.crop else None
    if frozen_stages is not None and data is None:
        raise ValueError("--frozen-stages is for fine-tuning on your videos: give --data DIR too.")
    set_precision(mixed_precision)
    run_data = make_data(task=task, recipe=recipe, segments=segments, data=data, layout=layout,
                         validation_split=validation_split, frame_size=frame_size, frame_step=frame_step, **overrides)
    if weights is not None and preset.loads_checkpoint(weights) and preset.weights_preprocessing is not None:
        resize = preset.weights_preprocessing.resize
        if resize and run_data.preprocessing.crop == preset.weights_preprocessing.crop:
            run_data.preprocessing = run_data.preprocessing.replace(resize=resize)
    options = dict(model=model, task=task, recipe=recipe, head=head, segments=segments,
                   data=None if data is None else os.fspath(data), layout=layout, validation_split=validation_split,
                   frame_size=frame_size, frame_step=frame_step, weights=None if weights is None else os.fspath(weights),
                   frozen_stages=frozen_stages, mixed_precision=mixed_precision)
    record = run_record("train", options, run_data.settings)
    check_run_folder(out, record, overwrite=overwrite)
    strategy = run_strategy(distribute)
    built = build_run_model(model, run_data, seed=run_data.seed, folder=os.fspath(out), strategy=strategy, head=head,
                            weights=weights, frozen_stages=frozen_stages)
    if not skip_memory_check:
        check_memory([built], run_data.settings["batch_size"])
    return TrainPlan(os.fspath(out), run_data, built, strategy, record, weights=weights, overwrite=overwrite,
                     verbose=verbose, tensorboard=tensorboard)


def run_train(plan):
    """Trains the planned model and saves the run folder as its preset folder (with `model.keras`).

    Returns:
        the training history: one dict per epoch, with `clips_seen` and the
        held-out scores as `val_*`.
    """
    run_model, data = plan.model, plan.data
    claim_run_folder(plan.out, plan.record, overwrite=plan.overwrite)
    model = run_model.model
    replicas = f", {plan.strategy.num_replicas_in_sync} replica(s)" if plan.strategy else ""
    log(f"stkeras train: {run_model.preset} ({model.count_params():,} parameters) on {data.describe()}{replicas}"
        + (f", from {plan.weights}" if plan.weights else ""))
    with strategy_scope(plan.strategy):
        start = time.perf_counter()
        history = train_model(model, data, seed=run_model.seed, folder=plan.out, label=run_model.preset,
                              preprocessing=run_model.preprocessing, verbose=plan.verbose,
                              tensorboard=plan.tensorboard)
    save_run_model(run_model, data, history=history, start=start)
    return history
