"""`stkeras sensitivity`: Courtney & Sreenivas 2019's Figure 5 for a saved model, on held-out quadrant-blink clips.

Each spatial scale's ConvLSTMs (skip-path ConvLSTMs included) are reset every
T frames while the rest of the network runs normally; the table and plot give
the performance relative to the unreset model.
"""

import os

import keras
import numpy as np

from stkeras.analysis import state_reset_sensitivity
from stkeras.experiments.data import clips
from stkeras.experiments.report import log
from stkeras.experiments.report import write_results
from stkeras.experiments.settings import recipe_for_model
from stkeras.experiments.settings import settings_for_model
from stkeras.tasks import get_task
from stkeras.validation import check_positive_int
from stkeras.viz.sensitivity import plot_state_reset_sensitivity


def run_sensitivity(model, out, *, task="digit", recipe=None, num_clips=256, periods=(1, 2, 4, 8, None),
                    scales=None, seed=0, batch_size=16, label=None):
    """Writes `sensitivity.json`, `sensitivity.md` and `sensitivity.png` for one saved model.

    Args:
        model: path of a model saved by `stkeras train` or `compare` (loaded
            with `safe_mode=True`), or a Keras model.
        out: the output folder.
        task: the task the model was trained for (classification: accuracy;
            regression: MAE).
        recipe: the clip settings it was trained with (`None`: the first
            recipe with the model's frame size).
        num_clips: held-out clips scored per measurement.
        periods, scales, batch_size: see `stkeras.analysis.state_reset_sensitivity`.
        seed: seed of the held-out clips.
        label: the model's name in lines and files (default: the path, or
            the model's name).

    Returns:
        the results dict written to `sensitivity.json`.
    """
    label = label or (str(model) if isinstance(model, (str, os.PathLike)) else model.name)
    if isinstance(model, (str, os.PathLike)):
        model = keras.saving.load_model(model, safe_mode=True)
    task = get_task(task)
    check_positive_int("num_clips", num_clips)
    recipe = recipe_for_model(model, recipe)
    settings = settings_for_model(model, recipe, seed)
    batches = list(clips(settings, task, "test", num_clips=num_clips))
    clip_array = np.concatenate([np.asarray(b[0]) for b in batches])
    targets = np.concatenate([np.asarray(b[1]) for b in batches])
    metric = "accuracy" if task.kind == "classification" else "mae"
    log(f"stkeras sensitivity: {label}, {len(clip_array)} held-out {task.name} clips, periods "
        f"{', '.join('never' if p is None else str(p) for p in periods)}")
    result = state_reset_sensitivity(model, (clip_array, targets), periods=periods, scales=scales, metric=metric,
                                     batch_size=batch_size, progress=True)
    os.makedirs(out, exist_ok=True)
    results = {"model": label, "task": task.name, "recipe": recipe, **result.to_dict()}
    markdown = (f"# State-reset sensitivity of {label}\n\n{task.name} task, recipe {recipe}, {result.clips} held-out "
                f"clips; unreset {metric} {result.baseline:.3f}. Each cell: {metric} with that scale's ConvLSTMs "
                "reset every T frames, relative to the unreset model (Courtney & Sreenivas 2019, Figure 5)"
                + (" (MAE: unreset MAE over this MAE)" if metric == "mae" else "") + ".\n\n" + result.format())
    write_results(out, "sensitivity", results, markdown)
    plot_state_reset_sensitivity(result, os.path.join(out, "sensitivity.png"),
                                 title=f"{os.path.basename(os.path.dirname(os.path.abspath(label))) or label}: "
                                       f"{metric} relative to unreset ({result.clips} clips; below 1: worse)")
    log(result.format().rstrip())
    log(f"wrote {out}/sensitivity.md, sensitivity.json and sensitivity.png")
    return results
