"""`stkeras explain --data`: Grad-CAM maps of trained classifiers on a user's videos, as GIFs and frame strips.

The same files as on synthetic clips: one animated GIF per clip and a
frame-strip PNG of all clips (rows titled `true->predicted` class), from
each video's centre clip. Real videos have no ground-truth box, so no
localization score is computed.
"""

import os

import numpy as np

from stkeras.experiments.evaluate import model_clip_shape
from stkeras.experiments.explain import model_label
from stkeras.experiments.report import log
from stkeras.experiments.report import write_results
from stkeras.experiments.video_data import evaluation_videos
from stkeras.explain import feature_layer
from stkeras.explain import gradcam
from stkeras.training.session import fresh_session
from stkeras.validation import check_positive_int
from stkeras.viz.overlay import plot_overlay_strip
from stkeras.viz.overlay import write_gif


def video_explanation_clips(model, *, data, layout=None, split=None, num_clips=8, frame_step=2):
    """`(clips, labels, class_names, files)`: the centre clips of `num_clips` videos spread over `data`'s order."""
    check_positive_int("num_clips", num_clips)
    frames, size, _, _ = model_clip_shape(model)
    dataset = evaluation_videos(data, layout=layout, split=split, clip_length=frames, frame_step=frame_step,
                                image_size=size, batch_size=None, num_clips=1, spatial_crops=1)
    total = len(dataset.file_paths)
    picked = sorted({int(i) for i in np.linspace(0, total - 1, min(num_clips, total))})
    clips, labels = [], []
    for index, (views, label) in enumerate(dataset.take(picked[-1] + 1)):
        if index in picked:
            clips.append(np.asarray(views)[0])
            labels.append(int(label))
    return np.stack(clips), np.asarray(labels), list(dataset.class_names), [dataset.file_paths[i] for i in picked]


def explain_video_model(model, out, *, data, layout=None, split=None, num_clips=8, frame_step=2, method="gradcam",
                        layer=None, weighting="per_frame", batch_size=8, label=None):
    """Explains one classifier on `num_clips` of a user's videos; writes `clip_<i>.gif` and `maps.png` to `out`.

    Args:
        model: a trained Keras classifier over RGB clips.
        out: the model's output folder.
        data, layout, split: the videos (see `stkeras.experiments.evaluate.run_evaluate`).
        num_clips: videos explained, spread evenly over the data's order.
        frame_step: the step between a clip's frames, as in training.
        method, layer, weighting, batch_size: see `stkeras.explain.gradcam`.
        label: the model's name in lines and files.

    Returns:
        a dict: `model`, `layer`, `method`, `weighting`, `correct`,
        `videos` and `files`.
    """
    clips, labels, class_names, files = video_explanation_clips(model, data=data, layout=layout, split=split,
                                                                num_clips=num_clips, frame_step=frame_step)
    label = label or model.name
    layer_name = None if method == "saliency" else feature_layer(model, layer)[1].name
    maps = gradcam(model, clips, layer=layer, method=method, weighting=weighting, batch_size=batch_size)
    predicted = np.argmax(model.predict(clips, verbose=0), axis=-1)
    names = [class_names[i] if i < len(class_names) else str(i) for i in predicted]
    titles = [f"{class_names[t]}->{p}" for t, p in zip(labels, names)]
    os.makedirs(out, exist_ok=True)
    written = [write_gif(clips[i], maps[i], os.path.join(out, f"clip_{i}.gif"), scale=1) for i in range(len(maps))]
    written.append(plot_overlay_strip(clips, maps, os.path.join(out, "maps.png"), titles=titles))
    log(f"    {label}: {method} ({weighting}) on {layer_name or 'the input'}, {len(maps)} videos, "
        f"{int(np.sum(predicted == labels))} right; wrote {out}/maps.png and {len(maps)} GIFs")
    return {"model": label, "layer": layer_name, "method": method, "weighting": weighting,
            "correct": float(np.mean(predicted == labels)), "videos": files,
            "files": [os.path.basename(f) for f in written]}


def run_explain_videos(models, out, *, data, layout=None, split=None, num_clips=8, frame_step=2, method="gradcam",
                       layer=None, weighting="per_frame", batch_size=8):
    """Explains each model on a user's videos; writes `explain.md`/`explain.json` and a folder per model.

    Args:
        models: `{label: model}` or paths of saved models.
        out: the output folder.
        data, layout, split, num_clips, frame_step, method, layer,
            weighting, batch_size: see `explain_video_model`.

    Returns:
        the results dict also written to `explain.json`.

    Example:
    >>> run_explain_videos(["runs/ft/model.keras"], "runs/ft/explain", data="videos/test")  # doctest: +SKIP
    """
    import keras

    if not isinstance(models, dict):
        models = {model_label(path): path for path in models}
    log(f"stkeras explain: {len(models)} model(s) on {num_clips} videos of {data}, {method} ({weighting})")
    results = {"data": os.fspath(data), "layout": layout, "clips": num_clips, "models": []}
    for label, model in models.items():
        if isinstance(model, (str, os.PathLike)):
            model = keras.saving.load_model(model, safe_mode=True)
        results["models"].append(explain_video_model(
            model, os.path.join(out, label), data=data, layout=layout, split=split, num_clips=num_clips,
            frame_step=frame_step, method=method, layer=layer, weighting=weighting, batch_size=batch_size,
            label=label))
        fresh_session()
    lines = [f"# stkeras explain: {num_clips} videos of {data}", "",
             "| model | method | layer | videos right |", "|---|---|---|---|"]
    lines += [f"| {r['model']} | {r['method']} ({r['weighting']}) | {r['layer'] or 'input'} | {r['correct']:.2f} |"
              for r in results["models"]]
    lines += ["", "Files: `<model>/maps.png` (rows: videos, `true->predicted` class), `<model>/clip_<i>.gif`."]
    write_results(out, "explain", results, "\n".join(lines) + "\n")
    log(f"wrote {out}/explain.md, explain.json and each model's maps.png and GIFs")
    return results
