"""`stkeras explain`: Grad-CAM maps of trained models on their held-out clips, and where they point.

One implementation over the run's data (`RunData`): quadrant-blink clips of
the recipe a model was trained with, or a user's videos (`--data`). For each
model: one animated GIF per clip and a frame-strip PNG of all clips with the
map blended over the frames (rows titled `target->prediction`). On
quadrant-blink clips also the localization score: the share of the map's mass
inside the visible quadrant's box, on the frames where the digit is visible,
beside its chance level (videos have no ground-truth box).

The models are preset folders (`stkeras train` and `compare` write one per
model): each says its task, its clips and its recipe, so no other option is
needed.

Example:
>>> plan = plan_explain(model=["runs/convlstm"], out="runs/convlstm/explain")  # doctest: +SKIP
>>> run_explain(plan)  # doctest: +SKIP
"""

import dataclasses
import os

import numpy as np

from stkeras.backend_support import require_tensorflow
from stkeras.data import evidence_masks
from stkeras.experiments.report import log
from stkeras.experiments.report import write_results
from stkeras.experiments.run_data import SyntheticData
from stkeras.experiments.saved_models import load_saved_model
from stkeras.experiments.saved_models import saved_model_data
from stkeras.explain import feature_layer
from stkeras.explain import gradcam
from stkeras.explain import localization_score
from stkeras.choices import METHODS
from stkeras.choices import WEIGHTINGS
from stkeras.training.session import fresh_session
from stkeras.validation import check_choice
from stkeras.validation import check_positive_int
from stkeras.viz.overlay import plot_overlay_strip
from stkeras.viz.overlay import write_gif


def explain_model(model, out, *, data, seed, num_clips=8, method="gradcam", layer=None, weighting="per_frame",
                  batch_size=8, label=None, preprocessing=None, progress=False):
    """Explains one model on `num_clips` held-out clips of `data`; writes `clip_<i>.gif` and `maps.png` to `out`.

    Args:
        model: a trained Keras model over the data's clips.
        out: the model's output folder.
        data: the `RunData` whose held-out clips are explained.
        seed: the seed of the clips (quadrant-blink).
        num_clips: clips (videos: spread evenly over the held-out videos).
        method, layer, weighting, batch_size: see `stkeras.explain.gradcam`.
        label: the model's name in lines and files (default: its name).
        preprocessing: the model's `Preprocessing`: its mean and std
            normalize what the model reads (the maps are drawn on the clips).
        progress: a progress bar over the clips.

    Returns:
        a dict: `model`, `layer`, `method`, `weighting`, `correct` (share
        of these clips the model gets right, classification only), `files`,
        and `localization`, `chance` (quadrant-blink) or `videos` (videos).
    """
    label = label or model.name
    synthetic = isinstance(data, SyntheticData)
    clips, labels, extra = data.sample(num_clips, seed)
    inputs = clips if preprocessing is None else np.asarray(preprocessing.normalize(clips))
    layer_name = None if method == "saliency" else feature_layer(model, layer)[1].name
    maps = gradcam(model, inputs, layer=layer, method=method, weighting=weighting, batch_size=batch_size,
                   verbose=progress)
    predictions = model.predict(inputs, verbose=0)
    correct = None
    if data.task.kind == "classification":
        predicted = np.argmax(predictions, axis=-1)
        names = data.class_names or [str(i) for i in range(data.task.units)]
        titles = [f"{names[t]}->{names[p]}" for t, p in zip(labels, predicted)]
        correct = float(np.mean(predicted == labels))
    else:
        titles = [f"{t:.0f}->{p:.1f}" for t, p in zip(labels, predictions[:, 0])]
    os.makedirs(out, exist_ok=True)
    scale = {} if synthetic else {"scale": 1}
    files = [write_gif(clips[i], maps[i], os.path.join(out, f"clip_{i}.gif"), **scale) for i in range(len(maps))]
    files.append(plot_overlay_strip(clips, maps, os.path.join(out, "maps.png"), titles=titles))
    result = {"model": label, "layer": layer_name, "method": method, "weighting": weighting, "correct": correct,
              "files": [os.path.basename(f) for f in files]}
    where = f"{method} ({weighting}) on {layer_name or 'the input'}"
    if synthetic:
        settings = data.settings
        score = localization_score(maps, evidence_masks(extra, settings["frame_size"], settings["digit_size"]))
        result.update(recipe=data.recipe, localization=score["score"], chance=score["chance"],
                      frames_localization=score["frames_score"], frames_chance=score["frames_chance"],
                      scores=[None if np.isnan(s) else float(s) for s in score["scores"]])
        log(f"    {label}: {where}: localization {score['score']:.3f} (chance {score['chance']:.3f}), on visible "
            f"frames {score['frames_score']:.3f} (chance {score['frames_chance']:.3f}) over {len(maps)} clips; wrote "
            f"{out}/maps.png and {len(maps)} GIFs")
    else:
        result["videos"] = extra
        log(f"    {label}: {where}, {len(maps)} videos, {int(round((correct or 0) * len(maps)))} right; wrote "
            f"{out}/maps.png and {len(maps)} GIFs")
    return result


def format_explanations(results):
    """The markdown table of `run_explain`'s results."""
    entries = results["models"]
    if results.get("data"):
        lines = [f"# stkeras explain: {results['clips']} videos of {results['data']}", "",
                 "| model | method | layer | videos right |", "|---|---|---|---|"]
        lines += [f"| {r['model']} | {r['method']} ({r['weighting']}) | {r['layer'] or 'input'} | "
                  f"{r['correct']:.2f} |" for r in entries]
        lines += ["", "Files: `<model>/maps.png` (rows: videos, `true->predicted` class), `<model>/clip_<i>.gif`."]
        return "\n".join(lines) + "\n"
    lines = [f"# stkeras explain: {results['task']} task, recipe {results['recipe']}, {results['clips']} held-out "
             "clips", "",
             "Localization (where in space): share of the map's mass inside the visible quadrant's box, on the "
             "frames where the digit is visible; chance: the share of the frame that box covers (what an evenly "
             "spread map scores). On visible frames (where in time): share of the map's mass on the frames where "
             "the digit is visible; chance: the share of such frames.",
             "", "| model | method | layer | localization | chance | on visible frames | chance | clips right |",
             "|---|---|---|---|---|---|---|---|"]
    for r in entries:
        right = "-" if r["correct"] is None else f"{r['correct']:.2f}"
        lines.append(f"| {r['model']} | {r['method']} ({r['weighting']}) | {r['layer'] or 'input'} | "
                     f"{r['localization']:.3f} | {r['chance']:.3f} | {r['frames_localization']:.3f} | "
                     f"{r['frames_chance']:.3f} | {right} |")
    lines += ["", "Files: `<model>/maps.png` (rows: clips, `target->prediction`), `<model>/clip_<i>.gif`."]
    return "\n".join(lines) + "\n"


def write_explanations(out, results):
    """Writes `explain.json` and `explain.md` to `out`."""
    write_results(out, "explain", results, format_explanations(results))


@dataclasses.dataclass
class ExplainPlan:
    """What `run_explain` does: every model loaded once, with the data of its clips.

    Attributes:
        out: the output folder.
        models: `[(label, model, data, preprocessing)]`.
        clips, method, layer, weighting, seed, batch_size: the explanation's settings.
        data: the videos' folder (`--data`), or `None`.
    """

    out: str
    models: list
    clips: int
    method: str
    layer: str
    weighting: str
    seed: int
    batch_size: int
    data: str = None


def plan_explain(*, model, out, data=None, layout=None, split=None, clips=8, method="gradcam",
                 weighting="per_frame", layer=None, seed=0, batch_size=8, verbose=False):
    """Loads each saved model once and resolves the clips it is explained on; checks everything, explains nothing.

    Args:
        model: preset folders (a run folder of `stkeras train`, a model
            folder of `compare`), or a `.keras` file inside one.
        out: the output folder.
        data, layout, split: a user's videos instead of the models' own
            quadrant-blink clips (see `stkeras.experiments.run_data.VideoData`).
        clips: held-out clips per model.
        method, weighting, layer, batch_size: see `stkeras.explain.gradcam`.
        seed: the seed of the quadrant-blink clips.
        verbose: unused (the command line's).

    Returns:
        an `ExplainPlan`.
    """
    require_tensorflow("Grad-CAM")
    check_choice("method", method, METHODS)
    check_choice("weighting", weighting, WEIGHTINGS)
    check_positive_int("clips", clips)
    check_positive_int("batch_size", batch_size)
    check_positive_int("seed", seed, minimum=0)
    paths = [model] if isinstance(model, (str, os.PathLike)) else list(model)
    if not paths:
        raise ValueError("`model` must name at least one saved model.")
    planned, shared = [], {}
    for path in paths:
        saved, loaded = load_saved_model(path)
        run_data = saved_model_data(saved, data=data, layout=layout, split=split, seed=seed, batch_size=batch_size,
                                    shared=shared)
        if isinstance(run_data, SyntheticData) and run_data.segments:
            raise ValueError(f"{saved.directory!r} reads {run_data.segments} sampled frames per clip: the "
                             "localization score needs every frame of a clip.")
        if method != "saliency":
            feature_layer(loaded, layer)
        planned.append((saved.name, loaded, run_data, saved.preprocessing))
    labels = [label for label, *_ in planned]
    if len(set(labels)) != len(labels):
        raise ValueError(f"The models' folders must have different names (their outputs go to OUT/<name>). "
                         f"Received: {labels}")
    return ExplainPlan(os.fspath(out), planned, clips, method, layer, weighting, seed, batch_size,
                       None if data is None else os.fspath(data))


def run_explain(plan):
    """Explains each planned model; writes `explain.md`/`explain.json` and a folder per model to `plan.out`.

    Returns:
        the results dict also written to `explain.json`.
    """
    source = f"{plan.clips} videos of {plan.data}" if plan.data else f"{plan.clips} held-out clips each"
    log(f"stkeras explain: {len(plan.models)} model(s), {source}, {plan.method} ({plan.weighting})")
    entries = []
    for label, model, data, preprocessing in plan.models:
        entries.append(explain_model(model, os.path.join(plan.out, label), data=data, seed=plan.seed,
                                     num_clips=plan.clips, method=plan.method, layer=plan.layer,
                                     weighting=plan.weighting, batch_size=plan.batch_size, label=label,
                                     preprocessing=preprocessing, progress=plan.data is None))
        fresh_session()
    tasks = sorted({data.task.name for _, _, data, _ in plan.models})
    results = {"task": ", ".join(tasks), "clips": plan.clips, "models": entries}
    if plan.data:
        results["data"] = plan.data
    else:
        results["recipe"] = ", ".join(sorted({entry["recipe"] for entry in entries}))
    write_explanations(plan.out, results)
    log(f"wrote {plan.out}/explain.md, explain.json and each model's maps.png and GIFs")
    return results
