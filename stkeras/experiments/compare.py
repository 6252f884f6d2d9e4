"""`stkeras compare`: train Courtney & Sreenivas 2022's networks on a synthetic task and compare them.

Writes to a run folder: `results.json` and `results.md` (task metric,
parameters, multiply-accumulates, training time, trivial baseline), an error
grid over (V, S) per model, relative grids between models (Courtney & Sreenivas 2022, Figures
7-9), receptive-field tables and training curves.
"""

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
from stkeras.experiments.data import clips
from stkeras.experiments.data import targets
from stkeras.experiments.explain import explain_model
from stkeras.experiments.explain import format_explanations
from stkeras.experiments.models import MODEL_NAMES
from stkeras.experiments.models import build_model
from stkeras.experiments.report import format_results
from stkeras.experiments.report import log
from stkeras.experiments.report import write_results
from stkeras.experiments.seeds import summarize_seeds
from stkeras.experiments.seeds import welch_test
from stkeras.experiments.settings import jsonable
from stkeras.experiments.settings import resolve_settings
from stkeras.experiments.training import seed_everything
from stkeras.experiments.training import train_model
from stkeras.tasks import get_task
from stkeras.training.atomic import save_model_atomically
from stkeras.training.data_parallel import local_copy
from stkeras.training.data_parallel import process_count
from stkeras.training.data_parallel import refuse_under_data_parallel
from stkeras.training.data_parallel import written_path
from stkeras.training.distribute import strategy_scope
from stkeras.validation import check_choice
from stkeras.validation import check_positive_int
from stkeras.viz import plot_error_grid
from stkeras.viz import plot_relative_grid
from stkeras.viz.curves import plot_training_curves
from stkeras.training.session import fresh_session

# Courtney & Sreenivas 2022's relative comparisons (Figures 7-9): (better-if-positive, reference).
PAPER_PAIRS = (("conv3d", "conv2d"), ("ts_conv3d", "conv3d"), ("convlstm", "conv3d"))


def run_compare(out, task="digit", models=MODEL_NAMES, recipe="quick", size=None, verbose=False, head=None,
                explain=0, strategy=None, seeds=1, tensorboard=False, **overrides):
    """Trains `models` on the task, evaluates them and writes the run folder.

    Args:
        out: run folder (created; a rerun resumes unfinished training).
        task: a registered task name (`"digit"`, `"order"`, `"speed"`) or a
            `stkeras.tasks.Task` whose target quadrant-blink clips have.
        models: names among `conv2d`, `conv3d`, `ts_conv3d`, `convlstm`.
        recipe: a name of `stkeras.experiments.settings.RECIPES`.
        size: `"base"` or `"xl"` (default: the recipe's).
        verbose: also show Keras' progress bars (stkeras prints one line
            per epoch either way).
        head: a registered head for every model instead of the paper's.
        explain: held-out clips to explain per model with Grad-CAM (0:
            none): GIFs and frame strips in `explain/<model>/` and the
            localization scores in the results (see `stkeras explain`).
        strategy: a `tf.distribute.Strategy` to build and train every model
            in (`stkeras.training.make_strategy("mirrored")`), or `None`.
            The batch size stays the global batch, split across replicas.
            Under Keras' data-parallel distribution on JAX
            (`stkeras.training.start_data_parallel`) give `None`: it is
            global; the clip counts must be multiples of the batch size,
            `explain` is refused, and in a multi-process run process 0
            writes the run folder.
        seeds: train every model this many times, with seeds `seed`,
            `seed + 1`, ... (other clips and initial weights); the results
            give each seed's score, the mean and standard deviation, and
            which pairs of models differ (`stkeras.experiments.seeds`).
        tensorboard: also log every epoch's scores for TensorBoard, in
            each model's folder (`models/<model>/tensorboard`).
        **overrides: `epochs`, `train_clips`, `test_clips`,
            `validation_clips`, `frames`, `batch_size`, `seed`.

    Returns:
        the results dict also written to `results.json`.
    """
    task = get_task(task)
    models = list(models)
    for name in models:
        check_choice("model", name, MODEL_NAMES)
    if not models:
        raise ValueError("`models` must name at least one model.")
    settings = resolve_settings(recipe, size, **overrides)
    check_positive_int("explain", explain, minimum=0)
    check_positive_int("seeds", seeds)
    for name in models:  # fail on impossible strides or heads before any training
        build_model(name, settings, task, head)
        fresh_session()
    if explain and keras.distribution.distribution() is not None:
        refuse_under_data_parallel("Grad-CAM")
    reports = written_path(out)  # in a multi-process run, process 0 writes the reports
    os.makedirs(reports, exist_ok=True)
    seed_list = [settings["seed"] + k for k in range(seeds)]
    runs = [dict(settings, seed=seed) for seed in seed_list]
    tests = [clips(run, task, "test", with_info=True) for run in runs]
    baseline = _mean_baseline([
        task.baseline(targets(clips(run, task, "train", num_clips=run["train_clips"])), targets(test))
        for run, test in zip(runs, tests)])
    metric = task.metric
    log(
        f"stkeras compare: task={task.name}, recipe={recipe}, models={','.join(models)}, "
        f"{settings['epochs']} epochs of {settings['train_clips']} new clips of {settings['frames']}x{settings['size']}"
        f"x{settings['size']}{f', seeds {seed_list[0]}-{seed_list[-1]}' if seeds > 1 else ''}; "
        f"baseline {metric} {baseline[metric]:.3f} ({baseline['predictor']})"
    )
    results = {"task": task.name, "recipe": recipe, "settings": jsonable(settings), "baseline": baseline,
               "models": {}}
    if seeds > 1:
        results["seeds"] = seed_list
    grids = {}
    metrics = [k for k in baseline if k != "predictor"]
    for index, name in enumerate(models, start=1):
        seed_runs, values, infos = [], [], []
        for run, test in zip(runs, tests):
            label = name if seeds == 1 else f"{name} seed {run['seed']}"
            folder = os.path.join(out, "models", *([] if seeds == 1 else [f"seed{run['seed']}"]), name)
            model, scored = _train_and_score(name, run, task, head, strategy, folder, label, verbose, test,
                                             f"[{index}/{len(models)}]", tensorboard)
            seed_runs.append(scored.pop("run"))
            values.append(scored["values"])
            infos.append(scored["info"])
        grids[name] = grid_from_values(np.concatenate(values), _concatenate(infos), metric=metric)
        plot_error_grid(grids[name], os.path.join(reports, f"grid_{name}.png"), title=f"{name} {metric}")
        rows = receptive_field(model)
        with open(os.path.join(reports, f"rf_{name}.md"), "w") as handle:
            handle.write(f"# Receptive fields of {model.name}\n\n{format_receptive_field(rows)}\n")
        summary = seed_runs[0] if seeds == 1 else summarize_seeds(seed_runs, metrics)
        results["models"][name] = {
            **summary,
            "parameters": int(model.count_params()),
            "macs_per_clip": int(count_flops(model)),
            "epochs_trained": len(summary["history"]),
            "per_speed": _summary_row(grids[name]),
        }
        results["models"][name].pop("seed", None)
        if explain:
            explanation = explain_model(model, os.path.join(out, "explain", name), task=task, recipe=recipe,
                                        num_clips=explain, seed=settings["seed"], label=name)
            results["models"][name]["explanation"] = explanation
        score = results["models"][name][metric]
        verdict = "beats" if task.is_better(score, baseline[metric]) else "does NOT beat"
        spread = f" ± {summary['std'][metric]:.3f} over {seeds} seeds" if seeds > 1 else ""
        log(f"[{index}/{len(models)}] {name}: {metric} {score:.3f}{spread} ({verdict} the baseline "
            f"{baseline[metric]:.3f}), {summary['training_seconds']:.0f} s")
    results["relative"] = {}
    for a, b in _pairs(models):
        rel = relative_grid(grids[a], grids[b])
        path = f"relative_{a}_vs_{b}.png"
        plot_relative_grid(rel, os.path.join(reports, path), title=f"{a} vs {b} (positive: {a} better)")
        results["relative"][f"{a}_vs_{b}"] = {"overall": rel.overall, "plot": path, "per_speed": _summary_row(rel)}
    if seeds > 1:
        results["differences"] = {
            f"{a}_vs_{b}": welch_test([r[metric] for r in results["models"][a]["seeds"]],
                                      [r[metric] for r in results["models"][b]["seeds"]], task.better)
            for i, a in enumerate(models) for b in models[i + 1:]
        }
    plot_training_curves(
        {name: r["history"] for name, r in results["models"].items()}, os.path.join(reports, "training_curves.png")
    )
    if explain:
        explained = {"task": task.name, "recipe": recipe, "clips": explain,
                     "models": [r["explanation"] for r in results["models"].values()]}
        write_results(os.path.join(out, "explain"), "explain", explained, format_explanations(explained))
    write_results(out, "results", results, format_results(results))
    log(f"wrote {out}/results.md, results.json, grids, relative grids, receptive fields and curves")
    return results


def _summary_row(grid):
    """A grid's per-S row over all V for `results.json`: `{S: metric}`, `None` where no clip fell."""
    return {str(s): (None if v != v else v) for s, v in grid.summary_row().items()}


def _train_and_score(name, settings, task, head, strategy, folder, label, verbose, test, prefix, tensorboard):
    """Trains one model with the settings' seed and scores it on `test`.

    Returns:
        the model and a dict: `run` (the seed, scores, training seconds and
        history), `values` (the per-clip metric) and `info` (per-clip fields).
    """
    fresh_session()
    seed_everything(settings["seed"])
    with strategy_scope(strategy):
        model = build_model(name, settings, task, head)
        log(f"{prefix} {label}: {model.count_params():,} parameters, training ...")
        start = time.perf_counter()
        history = train_model(model, settings, task, folder, label, verbose, tensorboard=tensorboard)
    seconds = time.perf_counter() - start
    save_model_atomically(model, f"{folder}.keras")
    # `predict` cannot run across processes: each scores the test clips with a copy on its own device.
    scorer = local_copy(model) if process_count() > 1 else model
    predictions, clip_targets, info = collect_predictions(scorer, test)
    run = {"seed": settings["seed"], **task.scores(predictions, clip_targets), "training_seconds": round(seconds, 1),
           "history": history}
    return model, {"run": run, "values": task.per_clip(predictions, clip_targets), "info": info}


def _mean_baseline(baselines):
    """The baselines of several seeds' clips as one: each number's mean."""
    first = baselines[0]
    return {k: v if k == "predictor" else float(np.mean([b[k] for b in baselines])) for k, v in first.items()}


def _concatenate(infos):
    return {k: np.concatenate([info[k] for info in infos]) for k in infos[0]}


def _pairs(models):
    pairs = [p for p in PAPER_PAIRS if p[0] in models and p[1] in models]
    if not pairs:
        pairs = [(name, models[0]) for name in models[1:]]
    return pairs
