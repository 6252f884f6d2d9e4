"""`stkeras compare`: train seed 000's networks on a synthetic task and compare them.

Writes to a run folder: `results.json` and `results.md` (task metric,
parameters, multiply-accumulates, training time, trivial baseline), an error
grid over (V, S) per model, relative grids between models (seed 000, Figures
7-9), receptive-field tables and training curves.
"""

import json
import os
import time

import keras
import numpy as np

from stkeras.analysis import collect_predictions
from stkeras.analysis import count_flops
from stkeras.analysis import format_receptive_field
from stkeras.analysis import grid_from_values
from stkeras.analysis import receptive_field
from stkeras.analysis import relative_grid
from stkeras.analysis.error_grid import per_clip_metric
from stkeras.data import quadrant_blink
from stkeras.models import COURTNEY_MODELS
from stkeras.models import build_courtney_resnet
from stkeras.training import compile_for_task
from stkeras.training import fit_resumable
from stkeras.training import task_scores
from stkeras.training import trivial_baseline
from stkeras.training.tasks import TASKS
from stkeras.validation import check_choice
from stkeras.validation import check_positive_int
from stkeras.viz import plot_error_grid
from stkeras.viz import plot_relative_grid
from stkeras.viz.curves import plot_training_curves

# Run settings as data. `quick` scales seed 000's task down by two in space
# and three in time so that four models train in minutes on a 2-core CPU.
PRESETS = {
    "quick": {
        "frames": 16,
        "size": 32,
        "digit_size": 14,
        "speeds": (1, 2, 3),
        "visible_every": (1, 2, 3, 4),
        "max_step": 24,
        "train_clips": 2048,
        "test_clips": 512,
        "epochs": 4,
        "batch_size": 32,
        "learning_rate": 1e-3,
        "model_size": "base",
    },
    # Seed 000's clips and XL models. The paper does not give its number of
    # clips or epochs; these are settings for a machine with a GPU.
    "paper": {
        "frames": 48,
        "size": 64,
        "digit_size": 28,
        "speeds": (1, 2, 3, 4, 5, 6),
        "visible_every": tuple(range(1, 13)),
        "max_step": 49,
        "train_clips": 100_000,
        "test_clips": 10_000,
        "epochs": 30,
        "batch_size": 32,
        "learning_rate": 1e-3,
        "model_size": "xl",
    },
}
MODEL_NAMES = tuple(COURTNEY_MODELS)
# Seed 000's relative comparisons (Figures 7-9): (better-if-positive, reference).
PAPER_PAIRS = (("conv3d", "conv2d"), ("ts_conv3d", "conv3d"), ("convlstm", "conv3d"))
OVERRIDES = ("epochs", "train_clips", "test_clips", "frames", "batch_size", "seed")


def resolve_settings(preset="quick", size=None, **overrides):
    """The preset's settings with `size` and any non-None overrides applied."""
    check_choice("preset", preset, tuple(PRESETS))
    settings = dict(PRESETS[preset], seed=0)
    if size is not None:
        settings["model_size"] = check_choice("size", size, ("base", "xl"))
    for name, value in overrides.items():
        if name not in OVERRIDES:
            raise ValueError(f"Unknown override {name!r}. Allowed: {', '.join(OVERRIDES)}.")
        if value is not None:
            settings[name] = check_positive_int(name, value, minimum=0 if name == "seed" else 1)
    return settings


def clips(settings, task, split, with_info=False):
    """The quadrant-blink dataset of a run's settings."""
    return quadrant_blink(
        split=split,
        seed=settings["seed"],
        num_clips=settings["train_clips" if split == "train" else "test_clips"],
        frames=settings["frames"],
        size=settings["size"],
        digit_size=settings["digit_size"],
        speeds=settings["speeds"],
        visible_every=settings["visible_every"],
        max_step=settings["max_step"],
        task=task,
        batch_size=settings["batch_size"],
        with_info=with_info,
    )


def build_model(name, settings, task):
    """One of seed 000's networks at the run's clip shape."""
    check_choice("model", name, MODEL_NAMES)
    shape = (settings["frames"], settings["size"], settings["size"], 1)
    return build_courtney_resnet(
        **COURTNEY_MODELS[name], size=settings["model_size"], input_shape=shape, task=task,
        name=f"{name}_{settings['model_size']}",
    )


def _targets(dataset):
    return np.concatenate([np.asarray(batch[1]) for batch in dataset])


def _log(message):
    print(message, flush=True)


def run_compare(out, task="digit", models=MODEL_NAMES, preset="quick", size=None, verbose="auto", **overrides):
    """Trains `models` on the task, evaluates them and writes the run folder.

    Args:
        out: run folder (created; a rerun resumes unfinished training).
        task: `"digit"`, `"order"` or `"speed"`.
        models: names among `conv2d`, `conv3d`, `ts_conv3d`, `convlstm`.
        preset: `"quick"` or `"paper"` (see `PRESETS`).
        size: `"base"` or `"xl"` (default: the preset's).
        verbose: Keras' progress setting for `fit`.
        **overrides: `epochs`, `train_clips`, `test_clips`, `frames`,
            `batch_size`, `seed`.

    Returns:
        the results dict also written to `results.json`.
    """
    check_choice("task", task, TASKS)
    models = list(models)
    for name in models:
        check_choice("model", name, MODEL_NAMES)
    if not models:
        raise ValueError("`models` must name at least one model.")
    settings = resolve_settings(preset, size, **overrides)
    for name in models:  # fail on impossible strides before any training
        build_model(name, settings, task)
        keras.utils.clear_session()
    os.makedirs(out, exist_ok=True)
    train, test = clips(settings, task, "train"), clips(settings, task, "test", with_info=True)
    baseline = trivial_baseline(task, _targets(train), _targets(test))
    metric = "mae" if task == "speed" else "accuracy"
    _log(
        f"stkeras compare: task={task}, preset={preset}, models={','.join(models)}, "
        f"{settings['train_clips']} training clips of {settings['frames']}x{settings['size']}x{settings['size']}, "
        f"{settings['epochs']} epochs; baseline {metric} {baseline[metric]:.3f} ({baseline['predictor']})"
    )
    results = {"task": task, "preset": preset, "settings": _jsonable(settings), "baseline": baseline, "models": {}}
    grids = {}
    for index, name in enumerate(models, start=1):
        keras.utils.clear_session()
        keras.utils.set_random_seed(settings["seed"])
        model = compile_for_task(build_model(name, settings, task), task, settings["learning_rate"])
        _log(f"[{index}/{len(models)}] {name}: {model.count_params():,} parameters, training ...")
        folder = os.path.join(out, "models", name)
        start = time.perf_counter()
        history = fit_resumable(model, train, settings["epochs"], folder, verbose=verbose)
        seconds = time.perf_counter() - start
        model.save(os.path.join(out, "models", f"{name}.keras"))
        predictions, targets, info = collect_predictions(model, test)
        scores = task_scores(task, predictions, targets)
        grids[name] = grid_from_values(per_clip_metric(predictions, targets, metric), info, metric=metric)
        plot_error_grid(grids[name], os.path.join(out, f"grid_{name}.png"), title=f"{name} {metric}")
        rows = receptive_field(model)
        with open(os.path.join(out, f"rf_{name}.md"), "w") as handle:
            handle.write(f"# Receptive fields of {model.name}\n\n{format_receptive_field(rows)}\n")
        results["models"][name] = {
            **scores,
            "parameters": int(model.count_params()),
            "macs_per_clip": int(count_flops(model)),
            "training_seconds": round(seconds, 1),
            "epochs_trained": len(history),
            "history": history,
        }
        verdict = "beats" if _better(task, scores[metric], baseline[metric]) else "does NOT beat"
        _log(f"[{index}/{len(models)}] {name}: {metric} {scores[metric]:.3f} ({verdict} the baseline "
             f"{baseline[metric]:.3f}), {seconds:.0f} s")
    results["relative"] = {}
    for a, b in _pairs(models):
        rel = relative_grid(grids[a], grids[b])
        path = f"relative_{a}_vs_{b}.png"
        plot_relative_grid(rel, os.path.join(out, path), title=f"{a} vs {b} (positive: {a} better)")
        results["relative"][f"{a}_vs_{b}"] = {"overall": rel.overall, "plot": path}
    plot_training_curves(
        {name: r["history"] for name, r in results["models"].items()}, os.path.join(out, "training_curves.png")
    )
    with open(os.path.join(out, "results.json"), "w") as handle:
        json.dump(results, handle, indent=2)
    with open(os.path.join(out, "results.md"), "w") as handle:
        handle.write(format_results(results))
    _log(f"wrote {out}/results.md, results.json, grids, relative grids, receptive fields and curves")
    return results


def _better(task, value, baseline):
    return value < baseline if task == "speed" else value > baseline


def _pairs(models):
    pairs = [p for p in PAPER_PAIRS if p[0] in models and p[1] in models]
    if not pairs:
        pairs = [(name, models[0]) for name in models[1:]]
    return pairs


def _jsonable(settings):
    return {k: list(v) if isinstance(v, (tuple, range)) else v for k, v in settings.items()}


def format_results(results):
    """The markdown report of a compare run."""
    task, settings, baseline = results["task"], results["settings"], results["baseline"]
    quick = results["preset"] == "quick"
    lines = [
        f"# stkeras compare: {task} task, preset {results['preset']}",
        "",
        "## Clips",
        "",
        f"- {settings['train_clips']} training clips (train digit pool), {settings['test_clips']} test clips "
        f"(disjoint test digit pool), seed {settings['seed']}",
        f"- {settings['frames']} frames of {settings['size']}x{settings['size']}, digits {settings['digit_size']}x"
        f"{settings['digit_size']}, S in {settings['speeds']}, V in {settings['visible_every']}, S*V <= {settings['max_step']}",
    ]
    if quick:
        lines.append(
            "- scaled down from seed 000 (48 frames of 64x64, 28x28 digits, S 1-6, V 1-12, S*V <= 49): "
            "frames /3, space and digits /2, speeds /2, V up to 4 so that each clip shows every quadrant"
        )
    lines += [
        f"- {settings['epochs']} epochs, batch {settings['batch_size']}, Adam {settings['learning_rate']}, "
        f"{settings['model_size']} models",
        "",
        "## Results (test clips)",
        "",
    ]
    if task == "speed":
        lines += ["| model | MAE | rounded accuracy | parameters | MACs per clip | training (s) |", "|---|---|---|---|---|---|"]
        lines.append(f"| baseline ({baseline['predictor']}) | {baseline['mae']:.3f} | {baseline['rounded_accuracy']:.3f} | - | - | - |")
        for name, r in results["models"].items():
            lines.append(f"| {name} | {r['mae']:.3f} | {r['rounded_accuracy']:.3f} | {r['parameters']:,} | "
                         f"{r['macs_per_clip'] / 1e6:.1f}M | {r['training_seconds']:.0f} |")
    else:
        lines += ["| model | accuracy | parameters | MACs per clip | training (s) |", "|---|---|---|---|---|"]
        lines.append(f"| baseline ({baseline['predictor']}) | {baseline['accuracy']:.3f} | - | - | - |")
        for name, r in results["models"].items():
            lines.append(f"| {name} | {r['accuracy']:.3f} | {r['parameters']:,} | "
                         f"{r['macs_per_clip'] / 1e6:.1f}M | {r['training_seconds']:.0f} |")
    lines += ["", "## Plots", ""]
    for name in results["models"]:
        lines.append(f"- `grid_{name}.png`: {name} over (V, S); `rf_{name}.md`: receptive fields")
    for pair, rel in results["relative"].items():
        lines.append(f"- `{rel['plot']}`: {pair.replace('_vs_', ' vs ')}, overall {100 * rel['overall']:+.1f}%")
    lines.append("- `training_curves.png`: loss and metric per epoch")
    return "\n".join(lines) + "\n"
