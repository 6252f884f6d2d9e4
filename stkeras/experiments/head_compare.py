"""`stkeras compare --heads`: Köpüklü et al.'s spatiotemporal heads on one backbone and the same sampled frames.

Every head is trained in a frame model (`stkeras.models.build_frame_model`)
on `num_segments` frames sampled per clip (a random frame per segment in
training, segment centres in evaluation): quadrant-blink clips of the run's
recipe, or a video folder with label CSVs (`stkeras.data.video_folder`).
Writes `heads.md` and `heads.json` (metric, parameters and multiply-
accumulates of the head alone and of the model, training time) and a plot of
the held-out learning curves.
"""

import os
import time


from stkeras.analysis import count_flops
from stkeras.data import video_folder
from stkeras.experiments.data import segmented_clips
from stkeras.experiments.report import log
from stkeras.experiments.report import write_results
from stkeras.experiments.settings import jsonable
from stkeras.experiments.settings import resolve_settings
from stkeras.experiments.training import seed_everything
from stkeras.experiments.training import train_model
from stkeras.heads import available_heads
from stkeras.heads import build_head
from stkeras.models import build_frame_model
from stkeras.tasks import Task
from stkeras.tasks import get_task
from stkeras.atomic_files import save_model_atomically
from stkeras.training.distribute import strategy_scope
from stkeras.validation import check_choice
from stkeras.validation import check_positive_int
from stkeras.viz.curves import plot_training_curves
from stkeras.training.session import fresh_session


def _folder_data(settings, video_root, train_labels, test_labels, num_segments, image_size):
    common = dict(num_segments=num_segments, image_size=image_size, seed=settings["seed"])
    train = video_folder(video_root, train_labels, training=True, **common)
    test = video_folder(video_root, test_labels, training=False, classes=train.class_names, **common)
    settings["train_clips"] = train.num_videos
    settings["validation_clips"] = settings["test_clips"] = test.num_videos
    task = Task.classification("classes", max(len(train.class_names), 2))
    batch = settings["batch_size"]
    test = test.batch(batch).cache()
    return task, train.repeat(settings["epochs"]).batch(batch), test, test, (*image_size, 3)


def run_head_compare(out, *, heads, task="digit", recipe="quick", backbone="small_cnn", num_segments=8,
                     feature_dim=256, video_root=None, train_labels=None, test_labels=None, image_size=(64, 64),
                     verbose=False, strategy=None, tensorboard=False, **overrides):
    """Trains a frame model per head on the same backbone and sampled frames; writes `heads.md`.

    Args:
        out: run folder (a rerun resumes unfinished training).
        heads: registered head names (e.g. `stkeras.heads.FRAME_HEADS`).
        task: a registered task for quadrant-blink clips (ignored with
            `video_root`, whose labels make the task).
        recipe: clip and training settings (`stkeras.experiments.settings`).
        backbone: `"small_cnn"` or a `keras.applications` name.
        num_segments: frames sampled per clip.
        feature_dim: `D`, features per frame before the head.
        video_root, train_labels, test_labels: a video folder and its label
            CSVs instead of synthetic clips.
        image_size: frame size for a video folder.
        verbose: also show Keras' progress bars.
        strategy: a `tf.distribute.Strategy` to build and train every model
            in, or `None` (as `run_compare`).
        tensorboard: also log every epoch's scores for TensorBoard, in
            each head's folder (`heads/<head>/tensorboard`).
        **overrides: as for `stkeras compare` (`epochs`, `train_clips`, ...).

    Returns:
        the results dict also written to `heads.json`.
    """
    heads = list(heads)
    if not heads:
        raise ValueError("`heads` must name at least one head.")
    for head in heads:
        check_choice("head", head, available_heads())
    check_positive_int("num_segments", num_segments)
    settings = resolve_settings(recipe, None, **overrides)
    if video_root is not None:
        if not (train_labels and test_labels):
            raise ValueError(f"A video folder needs `train_labels` and `test_labels` CSVs. Received: "
                             f"train_labels={train_labels!r}, test_labels={test_labels!r}")
        task, train, validation, test, frame_shape = _folder_data(settings, video_root, train_labels, test_labels,
                                                                  num_segments, tuple(image_size))
        source = f"video folder {video_root} ({settings['train_clips']} training, {settings['test_clips']} test videos)"
    else:
        task = get_task(task)
        train, validation, test, frame_shape = segmented_clips(settings, task, num_segments)
        source = (f"quadrant-blink {task.name}, {settings['epochs']} epochs of {settings['train_clips']} new clips of "
                  f"{settings['frames']} frames")
    os.makedirs(out, exist_ok=True)
    log(f"stkeras compare --heads: {','.join(heads)} on {backbone}, {num_segments} segments, D={feature_dim}; "
        f"{source}")
    results = {"task": task.name, "metric": task.metric, "recipe": recipe, "backbone": backbone, "num_segments": num_segments,
               "feature_dim": feature_dim, "source": source, "settings": jsonable(settings), "heads": {}}
    for index, head in enumerate(heads, start=1):
        fresh_session()
        seed_everything(settings["seed"])
        with strategy_scope(strategy):
            model = build_frame_model(backbone=backbone, head=head, num_segments=num_segments,
                                      feature_dim=feature_dim, task=task, input_shape=frame_shape)
            features = model.get_layer("projection").output
            alone = build_head(head, input_shape=features.shape[1:], task=task)
            log(f"[{index}/{len(heads)}] {head}: {alone.count_params():,} head parameters, training ...")
            start = time.perf_counter()
            history = train_model(model, settings, task, os.path.join(out, "heads", head), head, verbose,
                                  train_data=train, validation_data=validation, tensorboard=tensorboard)
        seconds = time.perf_counter() - start
        scores = model.evaluate(test, verbose=0, return_dict=True)
        save_model_atomically(model, os.path.join(out, "heads", f"{head}.keras"))
        results["heads"][head] = {
            task.metric: float(scores[task.metric]),
            "head_parameters": int(alone.count_params()),
            "parameters": int(model.count_params()),
            "head_macs": int(count_flops(alone)),
            "training_seconds": round(seconds, 1),
            "history": history,
        }
        log(f"[{index}/{len(heads)}] {head}: {task.metric} {scores[task.metric]:.3f}, {seconds:.0f} s")
    plot_training_curves({h: r["history"] for h, r in results["heads"].items()}, os.path.join(out, "heads_curves.png"))
    write_results(out, "heads", results, format_head_results(results))
    log(f"wrote {out}/heads.md, heads.json and heads_curves.png")
    return results


def format_head_results(results):
    """The heads comparison as markdown."""
    metric = results["metric"]
    lines = [
        f"# Heads on {results['backbone']}: {results['source']}",
        "",
        f"{results['num_segments']} segments, D = {results['feature_dim']}, recipe `{results['recipe']}`.",
        "",
        f"| head | test {metric} | head parameters | model parameters | head MMACs per clip | training time (s) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for head, row in results["heads"].items():
        lines.append(f"| `{head}` | {row[metric]:.3f} | {row['head_parameters']:,} | {row['parameters']:,} | "
                     f"{row['head_macs'] / 1e6:.3f} | {row['training_seconds']:.0f} |")
    return "\n".join(lines) + "\n"
