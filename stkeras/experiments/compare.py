"""`stkeras compare`: train several presets on the same data and compare them on the same held-out clips.

One implementation over the run's data (`RunData`): quadrant-blink clips of
a recipe for a task (the main job: Courtney & Sreenivas 2022's networks, or
Köpüklü et al.'s frame models on sampled frames with `segments`), or a
user's videos (`data`). Writes to the run folder: `results.json` and
`results.md` (task metric, parameters, multiply-accumulates, training time,
the baseline of a predictor that ignores the clips, the paper's numbers
where it has them), training curves, one preset folder per model
(`models/<preset>/`, with `model.keras`), and on quadrant-blink clips an
error grid over (V, S) per model, relative grids between models (Courtney &
Sreenivas 2022, Figures 7-9) and receptive-field tables. With several
seeds, each score's mean and spread and which differences exceed it. With
`controls`, temporal controls of every model (`stkeras.experiments.controls`):
its scores on test clips shuffled, reversed, static, ... (`"test"`), and
the same preset trained on shuffled and on static clips (`"train"`), in a
controls table and `controls.png`.

Example:
>>> plan = plan_compare(out="runs/two", models=["conv2d", "convlstm"], recipe="blink16_12k")  # doctest: +SKIP
>>> results = run_compare(plan)  # doctest: +SKIP
"""

import dataclasses
import os
import time

import numpy as np

from stkeras.analysis import TRAIN_CONTROLS
from stkeras.analysis import collect_predictions
from stkeras.analysis import count_flops
from stkeras.analysis import format_receptive_field
from stkeras.analysis import grid_from_values
from stkeras.analysis import receptive_field
from stkeras.analysis import relative_grid
from stkeras.backend_support import require_tensorflow
from stkeras.data.views import top_k_accuracies
from stkeras.experiments.controls import ControlledData
from stkeras.experiments.controls import check_control_mode
from stkeras.experiments.controls import combine as combine_controls
from stkeras.experiments.controls import controlled_folder
from stkeras.experiments.controls import score_test_controls
from stkeras.experiments.controls import score_train_controls
from stkeras.experiments.controls import test_controls_in
from stkeras.experiments.controls import train_controls_in
from stkeras.experiments.explanations import explain_model
from stkeras.experiments.explanations import write_explanations
from stkeras.experiments.fitting import train_model
from stkeras.experiments.report import format_results
from stkeras.experiments.report import log
from stkeras.experiments.report import write_results
from stkeras.experiments.run_data import SyntheticData
from stkeras.experiments.run_data import synthetic_data
from stkeras.experiments.run_data import video_data
from stkeras.experiments.run_folder import check_run_folder
from stkeras.experiments.run_folder import claim_run_folder
from stkeras.experiments.run_models import build_run_model
from stkeras.experiments.run_models import check_memory
from stkeras.experiments.run_models import save_run_model
from stkeras.experiments.run_setup import run_record
from stkeras.experiments.run_setup import set_precision
from stkeras.experiments.run_setup import start_distribution
from stkeras.experiments.seeds import summarize_seeds
from stkeras.experiments.seeds import welch_test
from stkeras.recipes import recipe_settings
from stkeras.training.data_parallel import local_copy
from stkeras.training.data_parallel import process_count
from stkeras.training.data_parallel import written_path
from stkeras.training.distribute import strategy_scope
from stkeras.training.session import fresh_session
from stkeras.validation import check_positive_int
from stkeras.viz import plot_error_grid
from stkeras.viz import plot_relative_grid
from stkeras.viz.controls import plot_controls
from stkeras.viz.curves import plot_training_curves

# Courtney & Sreenivas 2022's four networks: what `stkeras compare` trains by default.
DEFAULT_MODELS = ("conv2d", "conv3d", "ts_conv3d", "convlstm")
# Courtney & Sreenivas 2022's relative comparisons (Figures 7-9): (better-if-positive, reference), base and XL.
PAPER_PAIRS = tuple((f"{a}{w}", f"{b}{w}") for w in ("", "_xl")
                    for a, b in (("conv3d", "conv2d"), ("ts_conv3d", "conv3d"), ("convlstm", "conv3d")))


@dataclasses.dataclass
class ComparePlan:
    """What `run_compare` does, resolved and checked: nothing in it has trained.

    Attributes:
        out: the run folder.
        data: the `RunData` every model trains and is scored on.
        presets: the presets compared, in order.
        seeds: the seeds each preset trains with.
        models: `{(preset, seed): RunModel}`, each built once.
        explain: held-out clips explained per model (0: none).
        strategy: the `tf.distribute` strategy, or `None`.
        record: the run's settings (`settings.json`).
        overwrite, verbose, tensorboard: how the run goes.
        controls: `None`, `"test"`, `"train"` or `"both"`: the temporal controls run.
        control_models: `{(preset, seed, control): RunModel}`: the presets
            trained on controlled clips (train-time controls), each built once.
    """

    out: str
    data: object
    presets: list
    seeds: list
    models: dict
    explain: int
    strategy: object
    record: dict
    overwrite: bool = False
    verbose: bool = False
    tensorboard: bool = False
    controls: object = None
    control_models: dict = dataclasses.field(default_factory=dict)


def make_data(*, task=None, recipe, segments=None, data=None, layout=None, validation_split=0.2, frame_size=None,
              frame_step=2, **overrides):
    """The `RunData` of a training command's options: quadrant-blink clips, or videos with `data`."""
    if data is None:
        for option, value in (("layout", layout), ("frame_size", frame_size)):
            if value is not None:
                raise ValueError(f"--{option.replace('_', '-')} is for videos: give --data DIR too.")
        return synthetic_data(task=task or "digit", recipe=recipe, segments=segments, **overrides)
    if task is not None:
        raise ValueError(f"--task {task} is a synthetic task; with --data the classes are the data's.")
    if segments is not None:
        overrides["frames"] = segments
    return video_data(data, layout=layout, recipe=recipe, frame_size=frame_size, frame_step=frame_step,
                      validation_split=validation_split, segments=segments is not None, **overrides)


def plan_compare(*, out, models=DEFAULT_MODELS, task=None, recipe="blink16_12k", head=None, segments=None, seeds=1,
                 explain=0, controls=None, data=None, layout=None, validation_split=0.2, frame_size=None,
                 frame_step=2, distribute="none", coordinator=None, num_processes=None, process_id=None,
                 tensorboard=False, mixed_precision=False, skip_memory_check=False, overwrite=False, verbose=False,
                 **overrides):
    """Resolves the data once and builds every model once; checks everything a run could refuse. Nothing trains.

    Args:
        out: run folder (a rerun with the same settings resumes; with other
            settings it is refused unless `overwrite`).
        models: preset names (`stkeras.list_presets()`).
        task: a registered task for quadrant-blink clips (default `"digit"`);
            with `data` the task is the videos' classes.
        recipe: the recipe's name (`stkeras.list_recipes()`).
        head: a registered head for every model instead of its own.
        segments: sample that many frames per clip, one per segment (TSN,
            Köpüklü et al.): random in training, centres in evaluation.
        seeds: train every model with seeds `seed`, `seed + 1`, ... (other
            clips and initial weights) and report means, spreads and which
            differences exceed them.
        explain: held-out clips explained per model with Grad-CAM (0: none;
            quadrant-blink clips).
        controls: `None`, or the temporal controls of every model:
            `"test"` (its scores on the test clips shuffled, reversed, static,
            at a half and a quarter of the frame rate and as their mean frame,
            each tested against the clips as they are), `"train"` (the same
            preset, seed and budget trained on shuffled and on static clips,
            against ordered training) or `"both"`.
        data, layout, validation_split, frame_size, frame_step: a user's
            videos instead of quadrant-blink clips (`stkeras.experiments.run_data.VideoData`).
        distribute: `"none"`, `"mirrored"` (`tf.distribute`) or
            `"data_parallel"` (Keras' `DataParallel` on JAX: run the same
            command in every process; the run folder is process 0's; on
            quadrant-blink clips the clip counts must be multiples of the
            batch size; on videos each split's partial batch is dropped).
        coordinator, num_processes, process_id: the processes of a
            data_parallel run (`stkeras.experiments.run_setup.start_distribution`).
        tensorboard: also log every epoch for TensorBoard, in each model's folder.
        mixed_precision: train under this machine's mixed precision policy.
        skip_memory_check: do not refuse a run that would not fit in memory.
        overwrite: delete a run with other settings in `out`.
        verbose: also Keras' progress bars.
        **overrides: the recipe's `epochs`, `train_clips`, `test_clips`,
            `validation_clips`, `frames`, `batch_size`, `seed`.

    Returns:
        a `ComparePlan` for `run_compare`.
    """
    presets = list(models)
    if not presets:
        raise ValueError("`models` must name at least one preset.")
    if len(set(presets)) != len(presets):
        raise ValueError(f"`models` names a preset twice. Received: models={presets}")
    check_positive_int("seeds", seeds)
    check_positive_int("explain", explain, minimum=0)
    controls = check_control_mode(controls)
    features = ((("Grad-CAM",) if explain else ()) + (("sampled segments",) if segments is not None else ())
                + (("temporal controls",) if controls is not None else ()))
    strategy = start_distribution(distribute, recipe_settings(recipe, **overrides), features=features,
                                  clip_counts=("train_clips", "validation_clips", "test_clips") if data is None else (),
                                  coordinator=coordinator, num_processes=num_processes, process_id=process_id)
    if explain:
        require_tensorflow("Grad-CAM")
    set_precision(mixed_precision)
    run_data = make_data(task=task, recipe=recipe, segments=segments, data=data, layout=layout,
                         validation_split=validation_split, frame_size=frame_size, frame_step=frame_step, **overrides)
    if explain and (not isinstance(run_data, SyntheticData) or run_data.segments):
        raise ValueError("--explain scores where the maps point on quadrant-blink clips of consecutive frames: "
                         "explain models trained on videos with `stkeras explain --model DIR --data DIR`.")
    options = dict(models=presets, task=task, recipe=recipe, head=head, segments=segments, seeds=seeds,
                   explain=explain, data=None if data is None else os.fspath(data), layout=layout,
                   validation_split=validation_split, frame_size=frame_size, frame_step=frame_step,
                   mixed_precision=mixed_precision)
    if controls is not None:  # only then: a run folder made without controls resumes as it was
        options["controls"] = controls
    record = run_record("compare", options, run_data.settings)
    check_run_folder(out, record, overwrite=overwrite)
    first = run_data.seed
    seed_list = [first + k for k in range(seeds)]
    built, control_models = {}, {}
    for preset in presets:
        for seed in seed_list:
            seed_folder = [] if seeds == 1 else [f"seed{seed}"]
            folder = os.path.join(out, "models", *seed_folder, preset)
            label = preset if seeds == 1 else f"{preset} seed {seed}"
            built[(preset, seed)] = build_run_model(preset, run_data, seed=seed, folder=folder, label=label,
                                                    strategy=strategy, head=head)
            for control in TRAIN_CONTROLS if train_controls_in(controls) else ():
                control_models[(preset, seed, control)] = build_run_model(
                    preset, run_data, seed=seed, folder=controlled_folder(out, control, seed_folder, preset),
                    label=f"{label} trained on {control} clips", strategy=strategy, head=head)
    if not skip_memory_check:
        check_memory([*built.values(), *control_models.values()], run_data.settings["batch_size"])
    return ComparePlan(os.fspath(out), run_data, presets, seed_list, built, explain, strategy, record,
                       overwrite=overwrite, verbose=verbose, tensorboard=tensorboard, controls=controls,
                       control_models=control_models)


def run_compare(plan):
    """Trains every planned model, scores it on the held-out clips and writes the run folder.

    Returns:
        the results dict also written to `results.json`.
    """
    data, out, seeds = plan.data, plan.out, plan.seeds
    claim_run_folder(out, plan.record, overwrite=plan.overwrite)
    task, synthetic = data.task, isinstance(data, SyntheticData)
    tests = {seed: data.test(seed, with_info=synthetic) for seed in seeds}
    baseline = _mean_baseline([data.baseline(seed) for seed in seeds])
    metric = task.metric
    log(f"stkeras compare: {','.join(plan.presets)} on {data.describe()}"
        f"{f', seeds {seeds[0]}-{seeds[-1]}' if len(seeds) > 1 else ''}; "
        f"baseline {metric} {baseline[metric]:.3f} ({baseline['predictor']})")
    results = {"task": task.name, "recipe": data.recipe, "settings": _jsonable(data.settings), "data": data.source(),
               "class_names": data.class_names, "baseline": baseline, "models": {}}
    if len(seeds) > 1:
        results["seeds"] = seeds
    reports = written_path(out)  # in a multi-process run, process 0 writes the reports
    os.makedirs(reports, exist_ok=True)
    grids, test_controls, train_controls = {}, {}, {}
    metrics = [k for k in baseline if k != "predictor"]
    for index, preset in enumerate(plan.presets, start=1):
        prefix = f"[{index}/{len(plan.presets)}]"
        seed_runs, values, infos = [], [], []
        for seed in seeds:
            run_model = plan.models[(preset, seed)]
            scored = _train_and_score(run_model, data, tests[seed], plan, prefix)
            seed_runs.append(scored["run"])
            values.append(scored["values"])
            infos.append(scored["info"])
            if plan.controls:
                test_row, train_row = _controls(run_model, data, tests[seed], plan, prefix)
                test_controls.setdefault(preset, []).extend(test_row)
                train_controls.setdefault(preset, []).extend(train_row)
        model = run_model.model
        summary = seed_runs[0] if len(seeds) == 1 else summarize_seeds(seed_runs, metrics)
        row = results["models"][preset] = {
            **summary,
            "parameters": int(model.count_params()),
            "macs_per_clip": int(count_flops(model)),
            **_head_costs(model),
            "epochs_trained": len(summary["history"]),
        }
        row.pop("seed", None)
        if synthetic:
            grids[preset] = grid_from_values(np.concatenate(values), _concatenate(infos), metric=metric)
            plot_error_grid(grids[preset], os.path.join(reports, f"grid_{preset}.png"), title=f"{preset} {metric}")
            row["per_speed"] = _summary_row(grids[preset])
            with open(os.path.join(reports, f"rf_{preset}.md"), "w") as handle:
                handle.write(f"# Receptive fields of {model.name}\n\n{format_receptive_field(receptive_field(model))}\n")
        if plan.explain:
            row["explanation"] = explain_model(model, os.path.join(out, "explain", preset), data=data,
                                               seed=seeds[0], num_clips=plan.explain, label=preset)
        score = row[metric]
        verdict = "beats" if task.is_better(score, baseline[metric]) else "does NOT beat"
        spread = f" ± {summary['std'][metric]:.3f} over {len(seeds)} seeds" if len(seeds) > 1 else ""
        log(f"{prefix} {preset}: {metric} {score:.3f}{spread} ({verdict} the baseline {baseline[metric]:.3f}), "
            f"{summary['training_seconds']:.0f} s")
    results["relative"] = {}
    for a, b in _pairs(plan.presets) if synthetic else ():
        rel = relative_grid(grids[a], grids[b])
        path = f"relative_{a}_vs_{b}.png"
        plot_relative_grid(rel, os.path.join(reports, path), title=f"{a} vs {b} (positive: {a} better)")
        results["relative"][f"{a}_vs_{b}"] = {"overall": rel.overall, "plot": path, "per_speed": _summary_row(rel)}
    if len(seeds) > 1:
        results["differences"] = {
            f"{a}_vs_{b}": welch_test([r[metric] for r in results["models"][a]["seeds"]],
                                      [r[metric] for r in results["models"][b]["seeds"]], task.better)
            for i, a in enumerate(plan.presets) for b in plan.presets[i + 1:]
        }
    if plan.controls:
        results["controls"] = combine_controls(plan.controls, {k: v for k, v in test_controls.items() if v},
                                               {k: v for k, v in train_controls.items() if v})
        plot_controls(results["controls"], os.path.join(reports, "controls.png"), metric=metric,
                      baseline=baseline[metric], title=f"temporal controls, {task.name} task")
    plot_training_curves({name: r["history"] for name, r in results["models"].items()},
                         os.path.join(reports, "training_curves.png"))
    if plan.explain:
        write_explanations(os.path.join(out, "explain"), {
            "task": task.name, "recipe": data.recipe, "clips": plan.explain,
            "models": [r["explanation"] for r in results["models"].values()]})
    write_results(out, "results", results, format_results(results))
    log(f"wrote {out}/results.md, results.json, the models' preset folders and curves"
        + (", grids, relative grids and receptive fields" if synthetic else "")
        + (", controls.png" if plan.controls else ""))
    return results


def _train_and_score(run_model, data, test, plan, prefix):
    """Trains one planned model, saves its preset folder and scores it on `test`.

    Returns:
        a dict: `run` (the seed, scores, training seconds and history),
        `values` (the per-clip metric) and `info` (per-clip fields, or `None`).
    """
    model, task = run_model.model, data.task
    with strategy_scope(plan.strategy):
        log(f"{prefix} {run_model.label}: {model.count_params():,} parameters, training ...")
        start = time.perf_counter()
        history = train_model(model, data, seed=run_model.seed, folder=run_model.folder, label=run_model.label,
                              preprocessing=run_model.preprocessing, verbose=plan.verbose,
                              tensorboard=plan.tensorboard)
    seconds = time.perf_counter() - start
    save_run_model(run_model, data)
    test = run_model.preprocessing.normalized(test)
    # `predict` cannot run across processes: each scores the held-out clips with a copy on its own device.
    scorer = local_copy(model) if process_count() > 1 else model
    if isinstance(data, SyntheticData):
        predictions, targets, info = collect_predictions(scorer, test)
    else:
        predictions = np.concatenate([np.asarray(scorer.predict_on_batch(np.asarray(clips))) for clips, _ in test])
        targets, info = np.concatenate([np.asarray(labels) for _, labels in test]), None
    scores = task.scores(predictions, targets)
    if task.kind == "classification" and task.units > 5:
        scores["top5"] = top_k_accuracies(predictions, targets, ks=(5,))["top5"]
    fresh_session()
    run = {"seed": run_model.seed, **scores, "training_seconds": round(seconds, 1), "history": history}
    return {"run": run, "values": task.per_clip(predictions, targets), "info": info}


def _controls(run_model, data, test, plan, prefix):
    """One trained model's temporal controls (`plan.controls`), training the presets of its train-time controls.

    Returns:
        `([test-time summary], [train-time summary])`, each list empty where
        that analysis is not run.
    """
    task, seed = data.task, run_model.seed
    test = run_model.preprocessing.normalized(test)
    tested, trained_rows = [], []
    if test_controls_in(plan.controls):
        summary = score_test_controls(run_model.model, test, task=task, seed=seed)
        shown = ", ".join(f"{name} {row['score']:.3f} ({row['verdict']})" for name, row in summary["controls"].items())
        log(f"{prefix} {run_model.label} test-time controls: {task.metric} {summary['unperturbed']:.3f} as they are; "
            f"{shown}")
        tested.append(summary)
    if train_controls_in(plan.controls):
        trained = {}
        for control in TRAIN_CONTROLS:
            controlled = plan.control_models[(run_model.preset, seed, control)]
            controlled_data = ControlledData(data, control)
            with strategy_scope(plan.strategy):
                log(f"{prefix} {controlled.label}: training ...")
                train_model(controlled.model, controlled_data, seed=seed, folder=controlled.folder,
                            label=controlled.label, preprocessing=controlled.preprocessing, verbose=plan.verbose,
                            tensorboard=plan.tensorboard)
            save_run_model(controlled, controlled_data)
            fresh_session()
            trained[control] = controlled.model
        summary = score_train_controls(run_model.model, trained, test, task=task, seed=seed)
        shown = ", ".join(f"trained {name} {row['score']:.3f} ({row['verdict']})"
                          for name, row in summary["controls"].items())
        log(f"{prefix} {run_model.label} train-time controls: ordered {summary['ordered']:.3f}; {shown}")
        trained_rows.append(summary)
    return tested, trained_rows


def _head_costs(model):
    """The head's own parameters and multiply-accumulates: the model's minus its backbone's (`VideoModel.get_backbone`)."""
    backbone = model.get_backbone()
    return {"head_parameters": int(model.count_params() - backbone.count_params()),
            "head_macs_per_clip": int(count_flops(model) - count_flops(backbone))}


def _jsonable(settings):
    return {k: list(v) if isinstance(v, (tuple, range)) else v for k, v in settings.items()}


def _summary_row(grid):
    """A grid's per-S row over all V for `results.json`: `{S: metric}`, `None` where no clip fell."""
    return {str(s): (None if v != v else v) for s, v in grid.summary_row().items()}


def _mean_baseline(baselines):
    """The baselines of several seeds' clips as one: each number's mean."""
    first = baselines[0]
    return {k: v if k == "predictor" else float(np.mean([b[k] for b in baselines])) for k, v in first.items()}


def _concatenate(infos):
    return {k: np.concatenate([info[k] for info in infos]) for k in infos[0]}


def _pairs(presets):
    pairs = [p for p in PAPER_PAIRS if p[0] in presets and p[1] in presets]
    if not pairs:
        pairs = [(name, presets[0]) for name in presets[1:]]
    return pairs
