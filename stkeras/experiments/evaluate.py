"""`stkeras evaluate`: a trained model's scores on held-out clips: its own recipe's, or a user's videos over views.

The model is a preset folder (a run folder of `stkeras train`, a model
folder of `compare`): it says its task, its classes and how its clips are
made. Without `--data` it is scored on the test clips of the quadrant-blink
recipe it was trained with (the task's metrics, error grid over (V, S)).
With `--data` each video gives `K` clips in time x 1 or 3 crops in space
(`--views KxC`, as MMAction2's test pipelines), read as the model's clips
are made; the class scores are averaged over a video's views. Writes
`evaluation.json` (the scores, the mean-class accuracy, the views, the
classes, the confusion matrix, each class's results and each video's
prediction), `per_class.csv` (each class's clips, correct ones, accuracy,
precision and F1) and `confusion_matrix.png`; a classification of synthetic
clips gets the mean-class accuracy and `per_class.csv` too. With `controls`,
the same clips (views) are also scored under temporal controls (frames
shuffled, reversed, static, ...; `stkeras.analysis.temporal_controls`),
each against the clips as they are, over `seeds` draws of the controls:
`evaluation.json` gains `"controls"`, with `controls.md` and `controls.png`.

Example:
>>> run_evaluate(plan_evaluate(model="runs/ft", data="videos/test", views="10x3", out="runs/ft/test"))  # doctest: +SKIP
"""

import dataclasses
import json
import os

import numpy as np

from stkeras.analysis import collect_predictions
from stkeras.analysis import get_control
from stkeras.analysis import grid_from_values
from stkeras.analysis import mean_class_accuracy
from stkeras.analysis import per_class_report
from stkeras.analysis import write_per_class_csv
from stkeras.training.atomic_files import write_text_atomically
from stkeras.data import parse_views
from stkeras.data import predict_views
from stkeras.data.views import top_k_accuracies
from stkeras.experiments.controls import combine
from stkeras.experiments.controls import format_controls
from stkeras.experiments.controls import score_test_controls
from stkeras.experiments.report import log
from stkeras.experiments.run_data import SyntheticData
from stkeras.experiments.saved_models import load_saved_model
from stkeras.experiments.saved_models import saved_model_data
from stkeras.validation import check_positive_int
from stkeras.viz import plot_error_grid
from stkeras.viz.confusion import confusion_matrix
from stkeras.viz.confusion import plot_confusion_matrix
from stkeras.viz.controls import plot_controls


@dataclasses.dataclass
class EvaluatePlan:
    """What `run_evaluate` does: the model loaded once, its data, the views."""

    out: str
    saved: object
    model: object
    data: object
    views: tuple
    batch_size: int
    seed: int
    controls: tuple = ()
    seeds: int = 1


def plan_evaluate(*, model, out, data=None, layout=None, split=None, views="1x1", batch_size=4, seed=0,
                  controls=None, seeds=1, verbose=False):
    """Loads the saved model once and resolves its test clips; checks everything, evaluates nothing.

    Args:
        model: a preset folder (or a `.keras` file inside one).
        out: the output folder.
        data, layout, split: a user's videos (a folder of class subfolders,
            every video evaluated; or a published layout's folder and split,
            default its evaluation split), or `None`: the test clips of the
            model's own quadrant-blink recipe.
        views: `"KxC"`: K clips in time x C (1 or 3) crops per video.
        batch_size: videos per batch.
        seed: the seed of the quadrant-blink test clips.
        controls: `None`, or names of temporal controls
            (`stkeras.analysis.CONTROLS`) to score the same clips (views) under.
        seeds: with `controls`, draws of the random controls (seeds `seed`,
            `seed + 1`, ...; on quadrant-blink clips, other test clips too).
        verbose: unused (the command line's).
    """
    num_clips, crops = parse_views(views)
    check_positive_int("batch_size", batch_size)
    check_positive_int("seeds", seeds)
    controls = tuple(controls or ())
    for name in controls:
        get_control(name)
    if seeds > 1 and not controls:
        raise ValueError(f"--seeds {seeds} draws the temporal controls again: give --controls too.")
    saved, loaded = load_saved_model(model)
    run_data = saved_model_data(saved, data=data, layout=layout, split=split, seed=seed, batch_size=batch_size)
    if isinstance(run_data, SyntheticData) and (num_clips, crops) != (1, 1):
        raise ValueError(f"--views {views} are views of a video: quadrant-blink clips are scored whole (1x1).")
    return EvaluatePlan(os.fspath(out), saved, loaded, run_data, (num_clips, crops), batch_size, seed, controls, seeds)


def run_evaluate(plan):
    """Scores the model on its test clips and writes `evaluation.json` and its plot to `plan.out`.

    Returns:
        the evaluation as a dict: the task's scores (`accuracy`, and
        `top1`, `top5` on videos; or `mae`), `num_clips` (`num_videos`),
        `class_names`, `confusion`, `mean_class_accuracy` and `per_class`
        (classification), `videos` (each one's prediction, on videos) and
        `files`.
    """
    os.makedirs(plan.out, exist_ok=True)
    result = _evaluate_clips(plan) if isinstance(plan.data, SyntheticData) else _evaluate_videos(plan)
    if plan.controls:
        result["controls"] = _evaluate_controls(plan)
        result["files"] += [os.path.join(plan.out, name) for name in ("controls.md", "controls.png")]
        write_text_atomically(os.path.join(plan.out, "evaluation.json"), json.dumps(result, indent=1))
    return result


def _evaluate_controls(plan):
    """The model's test-time controls on its clips (views), over `plan.seeds` draws; writes controls.md and .png."""
    data, label, task = plan.data, plan.saved.name, plan.data.task
    summaries = []
    for seed in range(plan.seed, plan.seed + plan.seeds):
        if isinstance(data, SyntheticData):
            clips = data.test(seed, with_info=True)
        else:
            clips = plan.saved.preprocessing.normalized(data.views(*plan.views, plan.batch_size))
        summary = score_test_controls(plan.model, clips, task=task, seed=seed, controls=plan.controls)
        shown = ", ".join(f"{name} {row['score']:.3f} ({row['verdict']})" for name, row in summary["controls"].items())
        log(f"{label} controls, seed {seed}: {task.metric} {summary['unperturbed']:.3f} as they are; {shown}")
        summaries.append(summary)
    controls = combine("test", {label: summaries}, {})
    metric = {"mae": "MAE"}.get(task.metric, task.metric)
    lines = [f"# Temporal controls of {label}", ""] + format_controls(controls, metric)[2:]
    write_text_atomically(os.path.join(plan.out, "controls.md"), "\n".join(lines) + "\n")
    plot_controls(controls, os.path.join(plan.out, "controls.png"), metric=task.metric,
                  baseline=data.baseline(plan.seed)[task.metric], title=label)
    log(f"wrote {plan.out}/controls.md and controls.png")
    return controls


def _evaluate_clips(plan):
    data, model, label = plan.data, plan.model, plan.saved.name
    log(f"stkeras evaluate: {label} on {data.settings['test_clips']} test clips of recipe {data.recipe} "
        f"({data.task.name} task)")
    predictions, targets, info = collect_predictions(model, data.test(plan.seed, with_info=True))
    scores = data.task.scores(predictions, targets)
    grid = grid_from_values(data.task.per_clip(predictions, targets), info, metric=data.task.metric)
    plot = os.path.join(plan.out, "grid.png")
    plot_error_grid(grid, plot, title=f"{label} {data.task.metric}")
    result = {**scores, "model": label, "task": data.task.name, "recipe": data.recipe, "num_clips": int(len(targets)),
              "seed": plan.seed, "baseline": data.baseline(plan.seed), "files": [plot]}
    if data.task.kind == "classification":
        matrix = confusion_matrix(targets, np.argmax(predictions, axis=1), data.task.units)
        names = [str(i) for i in range(data.task.units)]
        result.update(confusion=matrix.tolist(), **_per_class(matrix, names, plan.out, result["files"]))
    write_text_atomically(os.path.join(plan.out, "evaluation.json"), json.dumps(result, indent=1))
    shown = ", ".join(f"{k} {v:.3f}" for k, v in scores.items())
    if "mean_class_accuracy" in result:
        shown += f", mean-class accuracy {result['mean_class_accuracy']:.3f}"
    log(f"{label}: {shown} on {len(targets)} test clips (baseline {data.task.metric} "
        f"{result['baseline'][data.task.metric]:.3f}); wrote {plot}")
    return result


def _per_class(matrix, names, out, files):
    """The mean-class accuracy and each class's results of a confusion matrix; writes `per_class.csv` to `out`."""
    rows = per_class_report(matrix, names)
    path = os.path.join(out, "per_class.csv")
    write_per_class_csv(rows, path)
    files.append(path)
    return {"mean_class_accuracy": mean_class_accuracy(matrix), "per_class": rows}


def _worst_classes(rows, count=3):
    """The `count` classes with test clips whose accuracy is lowest, as `name 0.250` text."""
    scored = sorted((row for row in rows if row["clips"]), key=lambda row: (row["accuracy"], row["class"]))
    return ", ".join(f"{row['class']} {row['accuracy']:.3f}" for row in scored[:count])


def _evaluate_videos(plan):
    data, model, label = plan.data, plan.model, plan.saved.name
    (num_clips, crops), names = plan.views, list(data.class_names)
    dataset = plan.saved.preprocessing.normalized(data.views(num_clips, crops, plan.batch_size))
    log(f"stkeras evaluate: {label} on {len(data.file_paths)} videos of {data.path}, {len(names)} classes, "
        f"{num_clips}x{crops} views of {data.input_shape[0]} frames")
    scores, labels = [], []
    for batch_views, batch_labels in dataset:
        scores.append(predict_views(model, [(batch_views, batch_labels)]))
        labels.append(np.asarray(batch_labels).reshape(-1))
    scores, labels = np.concatenate(scores), np.concatenate(labels).astype(np.int64)
    top, predicted = top_k_accuracies(scores, labels), np.argmax(scores, axis=1)
    matrix = confusion_matrix(labels, predicted, len(names))
    plot = os.path.join(plan.out, "confusion_matrix.png")
    plot_confusion_matrix(matrix, names, plot, title=f"{label}: top-1 {top['top1']:.3f} ({num_clips}x{crops} views)")
    result = {**top, "accuracy": top["top1"], "num_videos": int(len(labels)), "views": f"{num_clips}x{crops}",
              "model": label, "data": data.path, "layout": data.layout, "class_names": names,
              "confusion": matrix.tolist(),
              "videos": [{"file": path, "label": int(y), "prediction": int(p)}
                         for path, y, p in zip(data.file_paths, labels, predicted)],
              "files": [plot]}
    result.update(_per_class(matrix, names, plan.out, result["files"]))
    write_text_atomically(os.path.join(plan.out, "evaluation.json"), json.dumps(result, indent=1))
    log(f"{label}: top-1 {top['top1']:.3f}, top-5 {top['top5']:.3f}, mean-class accuracy "
        f"{result['mean_class_accuracy']:.3f} on {len(labels)} videos (lowest: {_worst_classes(result['per_class'])}); "
        f"wrote {plot} and {result['files'][-1]}")
    return result
