"""`stkeras compare --data`: train several networks on a user's videos and compare them on the held-out videos.

Each model is trained as `stkeras train --data` trains it, into
`out/<model>/` (a rerun resumes), and scored on the held-out videos' centre
clips. Writes `results.json` and `results.md` (top-1, top-5, parameters,
multiply-accumulates, training time, the majority-class baseline) and
`training_curves.png`.
"""

import json
import os
import time

import keras
import numpy as np

from stkeras.analysis import count_flops
from stkeras.data.views import top_k_accuracies
from stkeras.experiments.report import log
from stkeras.experiments.report import write_results
from stkeras.experiments.train_videos import run_train_videos
from stkeras.experiments.train_videos import video_run
from stkeras.training.data_parallel import without_distribution
from stkeras.training.data_parallel import written_path
from stkeras.training.session import fresh_session
from stkeras.viz.curves import plot_training_curves


def run_compare_videos(out, *, models, data, layout=None, recipe="quick32", image_size=112, frame_step=2,
                       validation_split=0.2, head=None, strategy=None, verbose=False, tensorboard=False,
                       **overrides):
    """Trains each of `models` on a user's videos and compares them on the held-out videos.

    Args:
        out: run folder (created; a rerun resumes unfinished training).
        models: preset names, e.g. Courtney & Sreenivas 2022's `conv2d`,
            `conv3d`, `ts_conv3d`, `convlstm`.
        data, layout, recipe, image_size, frame_step, validation_split,
            head, strategy, verbose, tensorboard, **overrides: as
            `stkeras.experiments.train_videos.run_train_videos`.

    Returns:
        the results dict also written to `results.json`.

    Example:
    >>> run_compare_videos("runs/mine", models=["conv2d", "conv3d"], data="videos", epochs=5)  # doctest: +SKIP
    """
    settings, _, _, validation = video_run(data, layout=layout, recipe=recipe, image_size=image_size,
                                           frame_step=frame_step, validation_split=validation_split, **overrides)
    labels = np.concatenate([np.asarray(batch[1]) for batch in validation])
    majority = float(np.max(np.bincount(labels)) / len(labels))
    log(f"stkeras compare: {len(models)} model(s) on {data}, {len(validation.class_names)} classes, "
        f"{settings['train_clips']} training and {len(labels)} held-out videos")
    results = {"data": os.fspath(data), "layout": layout, "recipe": recipe, "class_names": validation.class_names,
               "settings": {k: list(v) if isinstance(v, tuple) else v for k, v in settings.items()},
               "baseline": {"top1": majority}, "models": {}}
    histories = {}
    for index, name in enumerate(models, start=1):
        log(f"[{index}/{len(models)}] {name}")
        folder = os.path.join(out, name)
        start = time.perf_counter()
        history = run_train_videos(folder, model=name, data=data, layout=layout, recipe=recipe,
                                   image_size=image_size, frame_step=frame_step, validation_split=validation_split,
                                   head=head, strategy=strategy, verbose=verbose, tensorboard=tensorboard,
                                   **overrides)
        with without_distribution():  # `predict` cannot run across processes: each scores on its own device
            model = keras.saving.load_model(os.path.join(folder, "model.keras"), safe_mode=True)
            scores = model.predict(validation, verbose=0)
        results["models"][name] = {**top_k_accuracies(scores, labels), "parameters": int(model.count_params()),
                                   "macs_per_clip": int(count_flops(model)),
                                   "seconds_this_run": round(time.perf_counter() - start, 1),
                                   "epochs_trained": len(history), "history": history}
        histories[name] = history
        fresh_session()
    reports = written_path(out)  # in a multi-process run, process 0 writes the reports
    os.makedirs(reports, exist_ok=True)
    plot_training_curves(histories, os.path.join(reports, "training_curves.png"))
    lines = [f"# stkeras compare on {data}", "",
             f"{len(results['class_names'])} classes; {settings['train_clips']} training videos, {len(labels)} "
             f"held-out videos scored on their centre clip; clips of {settings['frames']} frames (step "
             f"{frame_step}) at {image_size}x{image_size}; recipe {recipe}, {settings['epochs']} epoch(s).", "",
             "| model | top-1 | top-5 | parameters | MACs per clip | epochs |", "|---|---|---|---|---|---|",
             f"| baseline (majority class) | {majority:.3f} | - | - | - | - |"]
    for name, r in results["models"].items():
        lines.append(f"| {name} | {r['top1']:.3f} | {r['top5']:.3f} | {r['parameters']:,} | "
                     f"{r['macs_per_clip']:,} | {r['epochs_trained']} |")
    lines += ["", "![training curves](training_curves.png)"]
    write_results(out, "results", json.loads(json.dumps(results, default=float)), "\n".join(lines) + "\n")
    log(f"wrote {out}/results.md, results.json and training_curves.png")
    return results
