"""`stkeras sensitivity`: Courtney & Sreenivas 2019's Figure 5 for a saved model, on its held-out clips.

Each spatial scale's ConvLSTMs (skip-path ConvLSTMs included) are reset every
T frames while the rest of the network runs normally; the table and plot give
the performance relative to the unreset model. The model is a preset folder:
its clips are the test clips of the quadrant-blink recipe it was trained
with, or a user's videos (`data`), made as its clips are.

Example:
>>> run_sensitivity(plan_sensitivity(model="runs/convlstm", out="runs/convlstm/sensitivity"))  # doctest: +SKIP
"""

import dataclasses
import os

import numpy as np

from stkeras.analysis import convlstm_scales
from stkeras.analysis import state_reset_sensitivity
from stkeras.experiments.report import log
from stkeras.experiments.report import write_results
from stkeras.experiments.run_data import SyntheticData
from stkeras.experiments.saved_models import load_saved_model
from stkeras.experiments.saved_models import saved_model_data
from stkeras.validation import check_positive_int
from stkeras.viz.sensitivity import plot_state_reset_sensitivity


@dataclasses.dataclass
class SensitivityPlan:
    """What `run_sensitivity` does: the model loaded once, its data, the periods and scales."""

    out: str
    saved: object
    model: object
    data: object
    clips: int
    periods: tuple
    scales: list
    seed: int
    batch_size: int


def plan_sensitivity(*, model, out, data=None, layout=None, split=None, clips=256, periods=(1, 2, 4, 8, None),
                     scales=None, seed=0, batch_size=16, verbose=False):
    """Loads the saved model once, resolves its clips and checks the scales; measures nothing.

    Args:
        model: a preset folder with ConvLSTMs (or a `.keras` file inside one).
        out: the output folder.
        data, layout, split: a user's videos instead of the model's
            quadrant-blink test clips.
        clips: held-out clips scored per measurement.
        periods: reset periods T (`None`: never reset, the reference).
        scales: scales to reset (e.g. `["s/2", "s/8"]`; default: all), or
            their comma-separated names.
        seed: the seed of the quadrant-blink clips.
        batch_size: clips per prediction batch.
        verbose: unused (the command line's).
    """
    check_positive_int("clips", clips)
    check_positive_int("batch_size", batch_size)
    if isinstance(scales, str):
        scales = [s.strip() for s in scales.split(",") if s.strip()]
    saved, loaded = load_saved_model(model)
    run_data = saved_model_data(saved, data=data, layout=layout, split=split, seed=seed, batch_size=batch_size)
    known = [scale.label for scale in convlstm_scales(loaded)]
    for scale in scales or ():
        if scale not in known:
            raise ValueError(f"Unknown scale {scale!r} in --scales. Model {loaded.name!r} has ConvLSTMs at: "
                             f"{', '.join(known) or 'none'}.")
    return SensitivityPlan(os.fspath(out), saved, loaded, run_data, clips, tuple(periods), scales, seed, batch_size)


def run_sensitivity(plan):
    """Writes `sensitivity.json`, `sensitivity.md` and `sensitivity.png` to `plan.out`.

    Returns:
        the results dict written to `sensitivity.json`.
    """
    data, model, label = plan.data, plan.model, plan.saved.name
    clips, targets, _ = data.sample(plan.clips, plan.seed)
    clips = np.asarray(plan.saved.preprocessing.normalize(clips))
    task = data.task
    metric = "accuracy" if task.kind == "classification" else "mae"
    source = f"recipe {data.recipe}" if isinstance(data, SyntheticData) else f"videos of {data.path}"
    log(f"stkeras sensitivity: {label}, {len(clips)} held-out {task.name} clips ({source}), periods "
        f"{', '.join('never' if p is None else str(p) for p in plan.periods)}")
    result = state_reset_sensitivity(model, (clips, targets), periods=plan.periods, scales=plan.scales, metric=metric,
                                     batch_size=plan.batch_size, progress=True)
    os.makedirs(plan.out, exist_ok=True)
    results = {"model": label, "task": task.name, "recipe": data.recipe, **result.to_dict()}
    markdown = (f"# State-reset sensitivity of {label}\n\n{task.name} task, {source}, {result.clips} held-out "
                f"clips; unreset {metric} {result.baseline:.3f}. Each cell: {metric} with that scale's ConvLSTMs "
                "reset every T frames, relative to the unreset model (Courtney & Sreenivas 2019, Figure 5)"
                + (" (MAE: unreset MAE over this MAE)" if metric == "mae" else "") + ".\n\n" + result.format())
    write_results(plan.out, "sensitivity", results, markdown)
    plot_state_reset_sensitivity(result, os.path.join(plan.out, "sensitivity.png"),
                                 title=f"{label}: {metric} relative to unreset ({result.clips} clips; below 1: worse)")
    log(result.format().rstrip())
    log(f"wrote {plan.out}/sensitivity.md, sensitivity.json and sensitivity.png")
    return results
