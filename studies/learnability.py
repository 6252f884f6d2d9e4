"""The learnability map: held-out score against training clips for Courtney & Sreenivas' four networks.

For each clip setting, task and network, trains one model on a fresh clip
stream (Adam, warm-up then cosine decay over the whole curve, batch 32) and
scores held-out clips after every 1,024 clips. Each curve is written to
`docs/results/learnability/raw/<setting>__<task>__<model>__<clips>__lr<rate>.json` as soon as it
finishes, so a stopped study resumes at the next curve. `report` draws the
curves and writes the table of clips and CPU minutes to 0.5, 0.8 and 0.9 of
each curve's best.

    python studies/learnability.py run --settings small16 --tasks digit,speed --clips 20480
    python studies/learnability.py report
"""

import argparse
import json
import os
import pathlib
import tempfile
import time

import keras

from stkeras.recipes import RECIPES

OUT = pathlib.Path(__file__).resolve().parents[1] / "docs" / "results" / "learnability"
MODELS = ("conv2d", "conv3d", "ts_conv3d", "convlstm")
CLIPS_PER_POINT = 1024

# Clip settings of the map, each a variation of Courtney & Sreenivas'
# construction (quadrants, blink period V, speed S, S*V bound scaled to the
# frame: 49 at 64 pixels).
CLIP_KEYS = ("frames", "frame_size", "digit_size", "speeds", "visible_every", "max_step")
SETTINGS = {
    # 16 frames of 16x16, 12-pixel digits: the clips of the blink16 recipes.
    "small16": {k: RECIPES.get("blink16_12k")[k] for k in CLIP_KEYS},
    # 16 frames of 24x24, 12-pixel digits: the blink16 digits with room to move (12 pixels, not 4).
    "move24": {k: RECIPES.get("blink24_20k")[k] for k in CLIP_KEYS},
    # 16 frames of 32x32, 18-pixel digits: four times the pixels.
    "quick32": {k: RECIPES.get("blink32_3k")[k] for k in CLIP_KEYS},
}
# Compare runs whose learning curves join the map (the recipes' own runs, by their folders in docs/results).
COMPARE_RUNS = ("quick32", "quick", "learned", "quick_speed", "finding", "learned_speed")
LEVELS = (0.5, 0.8, 0.9)
DEFAULT_RATE = 3e-3
# A curve whose best is within this share of the baseline has not learned (its "way" is noise).
NOT_LEARNED = 0.05


def curve_path(setting, task, model, clips, learning_rate):
    return OUT / "raw" / f"{setting}__{task}__{model}__{clips}__lr{learning_rate:g}.json"


def run_curve(setting, task_name, model_name, total_clips, learning_rate, seed=0):
    """Trains one model for `total_clips` and returns its curve: clips, held-out scores and seconds."""
    from stkeras.experiments import SyntheticData
    from stkeras.experiments import train_model
    from stkeras.experiments.run_models import build_run_model
    from stkeras.recipes import recipe_settings

    settings = recipe_settings("blink16_12k", seed=seed)
    settings.update(SETTINGS[setting], train_clips=CLIPS_PER_POINT, epochs=total_clips // CLIPS_PER_POINT,
                    validation_clips=512, test_clips=512, learning_rate=learning_rate)
    data = SyntheticData(task=task_name, recipe="blink16_12k", settings=settings)
    task = data.task
    with tempfile.TemporaryDirectory() as folder:
        model = build_run_model(model_name, data, seed=seed, folder=folder).model
        baseline = data.baseline(seed)
        clock = EpochClock()
        history = train_model(model, data, seed=seed, folder=folder, label=f"{setting}/{task_name}/{model_name}",
                              callbacks=[clock])
    metric = task.metric
    return {
        "setting": setting, "task": task_name, "model": model_name, "settings": data.record()["settings"],
        "metric": metric, "better": task.better, "baseline": baseline[metric], "learning_rate": learning_rate,
        "parameters": int(model.count_params()),
        "clips": [row["clips_seen"] for row in history],
        "score": [row[f"val_{metric}"] for row in history],
        "seconds": clock.seconds,
    }


class EpochClock(keras.callbacks.Callback):
    """Seconds since the start of training at the end of each epoch (held-out scoring included)."""

    def __init__(self):
        super().__init__()
        self.seconds, self.start = [], None

    def on_train_begin(self, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(round(time.perf_counter() - self.start, 1))


def run(args):
    for setting in args.settings:
        for task in args.tasks:
            for model in args.models:
                path = curve_path(setting, task, model, args.clips, args.learning_rate)
                if path.exists():
                    continue
                curve = run_curve(setting, task, model, args.clips, args.learning_rate)
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(json.dumps(curve, indent=1))
                print(f"wrote {path}: best {max(curve['score']) if curve['better'] == 'higher' else min(curve['score']):.3f}"
                      f" (baseline {curve['baseline']:.3f}) after {curve['seconds'][-1]:.0f} s", flush=True)


def quality(curve):
    """Each point's share of the way from the baseline to the curve's best (1 at the best)."""
    scores, baseline = curve["score"], curve["baseline"]
    best = max(scores) if curve["better"] == "higher" else min(scores)
    span = best - baseline
    return [0.0 if span == 0 else (s - baseline) / span for s in scores], best


def reach(curve, level):
    """(clips, seconds) at the first point that gets `level` of the way from the baseline to the best."""
    shares, _ = quality(curve)
    for clips, seconds, share in zip(curve["clips"], curve["seconds"], shares):
        if share >= level:
            return clips, seconds
    return None


def _label(settings, total, source):
    return (f"{settings['frames']}x{settings['frame_size']}x{settings['frame_size']}, digits {settings['digit_size']}, "
            f"{total:,}-clip schedule ({source})")


def load_curves():
    """The study's curves, then those of the presets' compare runs in `docs/results/<run>/results.json`."""
    curves = [json.loads(p.read_text()) for p in sorted((OUT / "raw").glob("*.json"))]
    for curve in curves:
        rate = "" if curve["learning_rate"] == DEFAULT_RATE else f", peak rate {curve['learning_rate']:g}"
        curve["setting"] = _label(curve["settings"], curve["clips"][-1],
                                  f"studies/learnability.py {curve['setting']}{rate}")
    for run in COMPARE_RUNS:
        path = OUT.parent / run / "results.json"
        if path.exists():
            curves += compare_curves(json.loads(path.read_text()), f"docs/results/{run}")
    return curves


def compare_curves(results, label):
    """A compare run's held-out curves, one per model and seed, with seconds spread over its clips in proportion."""
    metric = [k for k in results["baseline"] if k != "predictor"][0]
    curves = []
    for name, summary in results["models"].items():
        runs = summary.get("seeds") or [summary]
        for run in runs:
            clips = [row["clips_seen"] for row in run["history"]]
            seed = f", seed {run['seed']}" if len(runs) > 1 else ""
            curves.append({
                "setting": _label(results["settings"], clips[-1], label), "task": results["task"], "model": name,
                "seed": seed, "metric": metric, "better": "lower" if metric == "mae" else "higher",
                "baseline": results["baseline"][metric], "clips": clips,
                "score": [row[f"val_{metric}"] for row in run["history"]],
                "seconds": [run["training_seconds"] * c / clips[-1] for c in clips],
            })
    return curves


def report(args):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    curves = load_curves()
    lines = ["| setting | task | model | baseline | best | clips (CPU min) to 0.5 / 0.8 / 0.9 of the way |",
             "|---|---|---|---|---|---|"]
    for curve in curves:
        _, best = quality(curve)
        cells = []
        for level in LEVELS:
            hit = reach(curve, level)
            cells.append("-" if hit is None else f"{hit[0]:,} ({hit[1] / 60:.1f})")
        if abs(best - curve["baseline"]) < NOT_LEARNED * abs(curve["baseline"]):
            cells = ["not learned"]
        lines.append(f"| {curve['setting']} | {curve['task']} | {curve['model']}{curve.get('seed', '')} | {curve['baseline']:.3f} | "
                     f"{best:.3f} | {' / '.join(cells)} |")
    (OUT / "table.md").write_text("\n".join(lines) + "\n")
    plotted = [c for c in curves if c.get("learning_rate", DEFAULT_RATE) == DEFAULT_RATE]
    groups = sorted({(c["setting"], c["task"]) for c in plotted}, key=lambda g: (g[1], g[0]))
    columns = 4
    rows = -(-len(groups) // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(4.2 * columns, 3.4 * rows), squeeze=False)
    for axis in axes.flat[len(groups):]:
        axis.set_visible(False)
    for axis, (setting, task) in zip(axes.flat, groups):
        panel = [c for c in plotted if (c["setting"], c["task"]) == (setting, task)]
        labelled = set()
        for curve in panel:
            label = None if curve["model"] in labelled else curve["model"]
            labelled.add(curve["model"])
            axis.plot(curve["clips"], curve["score"], marker=".", markersize=3, label=label,
                      color=f"C{MODELS.index(curve['model'])}")
        axis.axhline(panel[0]["baseline"], color="grey", linestyle="--", label="baseline")
        axis.set_title(f"{task}: {setting.replace(' (', chr(10) + '(')}", fontsize=8)
        axis.set_xlabel("training clips")
        axis.set_ylabel(f"held-out {'MAE' if panel[0]['metric'] == 'mae' else panel[0]['metric']}")
        axis.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(OUT / "curves.png", dpi=110)
    print(f"wrote {OUT / 'table.md'} and {OUT / 'curves.png'}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="train the missing curves")
    run_parser.add_argument("--settings", type=lambda s: s.split(","), default=list(SETTINGS))
    run_parser.add_argument("--tasks", type=lambda s: s.split(","), default=["digit", "order", "speed"])
    run_parser.add_argument("--models", type=lambda s: s.split(","), default=list(MODELS))
    run_parser.add_argument("--clips", type=int, default=20 * CLIPS_PER_POINT)
    run_parser.add_argument("--learning-rate", type=float, default=DEFAULT_RATE)
    commands.add_parser("report", help="write table.md and curves.png from the raw curves")
    args = parser.parse_args()
    (run if args.command == "run" else report)(args)


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    main()
