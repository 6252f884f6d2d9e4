"""`stkeras explain`: Grad-CAM maps of trained models on held-out quadrant-blink clips, and where they point.

For each model: one animated GIF per clip and a frame-strip PNG of all
clips with the map blended over the frames, and the localization score (the
share of the map's mass inside the visible quadrant's box, on the frames
where the digit is visible) beside its chance level.
"""

import os

import keras
import numpy as np

from stkeras.data import evidence_masks
from stkeras.experiments.data import clips
from stkeras.experiments.report import log
from stkeras.experiments.report import write_results
from stkeras.experiments.settings import recipe_for_model
from stkeras.experiments.settings import settings_for_model
from stkeras.explain import feature_layer
from stkeras.explain import gradcam
from stkeras.explain import localization_score
from stkeras.tasks import get_task
from stkeras.validation import check_positive_int
from stkeras.viz.overlay import plot_overlay_strip
from stkeras.viz.overlay import write_gif
from stkeras.training.session import fresh_session


def explanation_clips(settings, task, num_clips):
    """`num_clips` held-out clips of a run's settings: `(clips, targets, info)` as NumPy arrays."""
    batches = list(clips(settings, task, "test", with_info=True, num_clips=num_clips))
    stacked = [np.concatenate([np.asarray(b[i]) for b in batches]) for i in range(2)]
    info = {k: np.concatenate([np.asarray(b[2][k]) for b in batches]) for k in batches[0][2]}
    return stacked[0], stacked[1], info


def explain_model(model, out, *, task="digit", recipe=None, num_clips=8, method="gradcam", layer=None,
                  weighting="per_frame", seed=0, batch_size=8, progress=False, label=None):
    """Explains one model on held-out clips and writes its GIFs and frame strip to `out`.

    Args:
        model: a trained Keras model over quadrant-blink clips, or the path
            of one saved by `stkeras train` or `compare` (loaded with
            `safe_mode=True`).
        out: folder for `clip_<i>.gif` and `maps.png`.
        task: the task the model was trained for (its target class is explained).
        recipe: the clip settings the model was trained with (`None`: the
            first recipe with the model's frame size).
        num_clips: held-out clips to explain.
        method, layer, weighting, batch_size: see `stkeras.explain.gradcam`.
        seed: seed of the held-out clips.
        progress: a progress bar over the clips.
        label: the model's name in lines and files (default: its name).

    Returns:
        a dict: `model`, `layer`, `method`, `weighting`, `localization`,
        `chance`, `recipe` (the clips'), `correct` (share of these clips the model gets right,
        classification only) and `files`.
    """
    if isinstance(model, (str, os.PathLike)):
        model = keras.saving.load_model(model, safe_mode=True)
    task = get_task(task)
    check_positive_int("num_clips", num_clips)
    recipe = recipe_for_model(model, recipe)
    settings = settings_for_model(model, recipe, seed)
    label = label or model.name
    clip_array, target, info = explanation_clips(settings, task, num_clips)
    layer_name = None if method == "saliency" else feature_layer(model, layer)[1].name
    maps = gradcam(model, clip_array, layer=layer, method=method, weighting=weighting, batch_size=batch_size,
                   verbose=progress)
    score = localization_score(maps, evidence_masks(info, settings["size"], settings["digit_size"]))
    os.makedirs(out, exist_ok=True)
    predictions = model.predict(clip_array, verbose=0)
    titles = []
    if task.kind == "classification":
        predicted = np.argmax(predictions, axis=-1)
        titles = [f"{t}->{p}" for t, p in zip(target, predicted)]
        correct = float(np.mean(predicted == target))
    else:
        titles = [f"{t:.0f}->{p:.1f}" for t, p in zip(target, predictions[:, 0])]
        correct = None
    files = [write_gif(clip_array[i], maps[i], os.path.join(out, f"clip_{i}.gif")) for i in range(len(maps))]
    files.append(plot_overlay_strip(clip_array, maps, os.path.join(out, "maps.png"), titles=titles))
    result = {"model": label, "recipe": recipe, "layer": layer_name, "method": method, "weighting": weighting,
              "localization": score["score"], "chance": score["chance"], "frames_localization": score["frames_score"],
              "frames_chance": score["frames_chance"], "correct": correct,
              "scores": [None if np.isnan(s) else float(s) for s in score["scores"]],
              "files": [os.path.basename(f) for f in files]}
    log(f"    {label}: {method} ({weighting}) on {layer_name or 'the input'}: localization {score['score']:.3f} "
        f"(chance {score['chance']:.3f}), on visible frames {score['frames_score']:.3f} (chance "
        f"{score['frames_chance']:.3f}) over {len(maps)} clips; wrote {out}/maps.png and {len(maps)} GIFs")
    return result


def format_explanations(results):
    """The markdown table of `run_explain`'s results."""
    lines = [f"# stkeras explain: {results['task']} task, recipe {results['recipe']}, {results['clips']} held-out "
             "clips", "",
             "Localization (where in space): share of the map's mass inside the visible quadrant's box, on the "
             "frames where the digit is visible; chance: the share of the frame that box covers (what an evenly "
             "spread map scores). On visible frames (where in time): share of the map's mass on the frames where "
             "the digit is visible; chance: the share of such frames.",
             "", "| model | method | layer | localization | chance | on visible frames | chance | clips right |",
             "|---|---|---|---|---|---|---|---|"]
    for r in results["models"]:
        right = "-" if r["correct"] is None else f"{r['correct']:.2f}"
        lines.append(f"| {r['model']} | {r['method']} ({r['weighting']}) | {r['layer'] or 'input'} | "
                     f"{r['localization']:.3f} | {r['chance']:.3f} | {r['frames_localization']:.3f} | "
                     f"{r['frames_chance']:.3f} | {right} |")
    lines += ["", "Files: `<model>/maps.png` (rows: clips, `target->prediction`), `<model>/clip_<i>.gif`."]
    return "\n".join(lines) + "\n"


def model_label(path):
    """A saved model's name in tables: its file's stem, or its run folder's name for `RUN/model.keras`."""
    stem = os.path.splitext(os.path.basename(str(path)))[0]
    return os.path.basename(os.path.dirname(os.path.abspath(str(path)))) if stem == "model" else stem


def run_explain(models, out, *, task="digit", recipe=None, num_clips=8, method="gradcam", layer=None,
                weighting="per_frame", seed=0, batch_size=8, progress=True):
    """Explains each saved model and writes `explain.md`/`explain.json` and one folder per model to `out`.

    Args:
        models: paths of saved models (`.keras`), or `{label: path or model}`.
        out: the output folder.
        task, recipe, num_clips, method, layer, weighting, seed, batch_size,
            progress: see `explain_model`.

    Returns:
        the results dict also written to `explain.json`.
    """
    if not isinstance(models, dict):
        models = {model_label(path): path for path in models}
    if not models:
        raise ValueError("`models` must name at least one model.")
    log(f"stkeras explain: {len(models)} model(s), {num_clips} held-out clips each, {method} ({weighting})")
    results = {"task": get_task(task).name, "recipe": recipe, "clips": num_clips, "models": []}
    for label, model in models.items():
        results["models"].append(explain_model(
            model, os.path.join(out, label), task=task, recipe=recipe, num_clips=num_clips, method=method,
            layer=layer, weighting=weighting, seed=seed, batch_size=batch_size, progress=progress, label=label))
        fresh_session()
    results["recipe"] = recipe or ", ".join(sorted({entry["recipe"] for entry in results["models"]}))
    write_results(out, "explain", results, format_explanations(results))
    log(f"wrote {out}/explain.md, explain.json and each model's maps.png and GIFs")
    return results
