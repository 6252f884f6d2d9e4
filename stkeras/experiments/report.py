"""Reporting of a run: the terminal lines, `results.md` of a compare run, and results files."""

import json
import os

from stkeras.experiments.controls import format_controls
from stkeras.experiments.paper import paper_parameters
from stkeras.experiments.paper import paper_ranking
from stkeras.experiments.paper import paper_result
from stkeras.tasks import get_task
from stkeras.training.atomic_files import write_text_atomically


# Columns of the learning-curve table; longer runs show every few epochs (`results.json` has them all).
MAX_CURVE_COLUMNS = 12


def log(message):
    """One progress line on the terminal, flushed at once."""
    print(message, flush=True)


def _metric_columns(results):
    """The score columns of the results table: the task's metrics, primary first, then top-5 where it was scored."""
    columns = [k for k in results["baseline"] if k != "predictor"]
    return columns + (["top5"] if any("top5" in r for r in results["models"].values()) else [])


def format_results(results):
    """The markdown report of a compare run (on quadrant-blink clips or on videos)."""
    task, baseline = results["task"], results["baseline"]
    synthetic = results.get("data", {}).get("kind", "quadrant_blink") == "quadrant_blink"
    lines = [f"# stkeras compare: {task} task, recipe {results['recipe']}", ""]
    lines += _clip_lines(results) if synthetic else _video_lines(results)
    lines += ["", "## Results (test clips)", ""]
    columns = _metric_columns(results)
    titles = {"accuracy": "accuracy", "mae": "MAE", "rounded_accuracy": "rounded accuracy", "top5": "top-5"}
    paper = synthetic and any(paper_result(name, task) is not None for name in results["models"])
    header = ["model"] + [titles.get(c, c) for c in columns] + [f"{titles.get(columns[0], columns[0])} / baseline"]
    if paper:
        header += [f"paper {titles.get(columns[0], columns[0])} (Table 5)"]
    header += ["parameters"] + (["paper parameters"] if paper else []) + ["MACs per clip", "training (s)"]
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    blanks = len(header) - len(columns) - 2
    lines.append(f"| baseline ({baseline['predictor']}) | " + " | ".join(_cell(baseline.get(c), "{:.3f}")
                                                                     for c in columns)
                 + " | 1.00x" + " | -" * blanks + " |")
    for name, r in results["models"].items():
        ratio = r[columns[0]] / baseline[columns[0]] if baseline[columns[0]] else float("nan")
        cells = [_score(r, c) for c in columns] + [f"{ratio:.2f}x"]
        if paper:
            cells.append(_cell(paper_result(name, task), "{:.3f}"))
        cells.append(f"{r['parameters']:,}")
        if paper:
            cells.append(_cell(paper_parameters(name), "{:,}"))
        cells += [f"{r['macs_per_clip'] / 1e6:.1f}M", f"{r['training_seconds']:.0f}"]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    if paper:
        lines += [
            "",
            "The paper's numbers are at its full scale (48 frames of 64x64, 28x28 digits, S 1-6, V 1-12; "
            "8-28 hours of training per model); \"-\" where it did not train that model at this width.",
        ]
    lines += _per_speed(results, columns[0], titles)
    lines += _seeds(results, columns[0], titles)
    lines += format_controls(results.get("controls"), titles.get(columns[0], columns[0]))
    lines += _ranking(results, columns[0], titles) if paper else []
    lines += _learning_curve(results, columns[0], titles)
    lines += ["", "## Plots", ""]
    for name in results["models"]:
        if synthetic:
            lines.append(f"- `grid_{name}.png`: {name} over (V, S), its bottom row per S over all V; `rf_{name}.md`: "
                         "receptive fields")
    for pair, rel in results.get("relative", {}).items():
        lines.append(f"- `{rel['plot']}`: {pair.replace('_vs_', ' vs ')}, overall {100 * rel['overall']:+.1f}%")
    lines.append("- `training_curves.png`: loss and metric against training clips seen, training and held-out")
    if results.get("controls"):
        lines.append("- `controls.png`: each model's score under the temporal controls (and of the models trained "
                     "on controlled clips), seed spread as error bars, the baseline dashed")
    if any("explanation" in r for r in results["models"].values()):
        lines.append("- `explain/explain.md`: Grad-CAM localization per model; `explain/<model>/maps.png` and GIFs")
    lines.append("- `models/<model>/`: each trained model's preset folder (`from_preset(DIR)`, "
                 "`stkeras evaluate --model DIR`) with its `model.keras`")
    return "\n".join(lines) + "\n"


def _clip_lines(results):
    settings = results["settings"]
    frames = settings["frames"]
    segments = results.get("data", {}).get("segments")
    lines = [
        "## Clips",
        "",
        f"- {settings['epochs'] * settings['train_clips']:,} training clips streamed ({settings['epochs']} epochs of "
        f"{settings['train_clips']:,} new clips, train digit pool), {settings['test_clips']} test clips "
        f"(disjoint test digit pool), seed {settings['seed']}",
        f"- {frames} frames of {settings['frame_size']}x{settings['frame_size']}, digits {settings['digit_size']}x"
        f"{settings['digit_size']}, S in {settings['speeds']}, V in {settings['visible_every']}, S*V <= "
        f"{settings['max_step']}" + (f"; {segments} frames sampled per clip, one per segment" if segments else ""),
    ]
    if settings["frames"] != 48 or settings["frame_size"] != 64:
        lines.append(
            "- scaled down from Courtney & Sreenivas' clips (48 frames of 64x64, 28x28 digits, S 1-6, V 1-12, "
            "S*V <= 49), keeping their construction: quadrants in one of six orders, blink period V, speed S"
        )
    lines.append(
        f"- {settings['epochs']} epochs of {settings['train_clips']} new clips each, batch {settings['batch_size']}, "
        f"peak learning rate {settings['learning_rate']} after a {settings['warmup_fraction']:.0%} warm-up; "
        f"{settings['validation_clips']} held-out clips scored after each epoch (the learning curve)")
    return lines


def _video_lines(results):
    settings, data = results["settings"], results["data"]
    layout = f" ({data['layout']} layout)" if data.get("layout") else ""
    return [
        "## Videos",
        "",
        f"- {data['path']}{layout}: "
        f"{len(results['class_names'])} classes, {settings['train_clips']} training and {settings['test_clips']} "
        "held-out videos, scored on their centre clips",
        f"- clips of {settings['frames']} frames (step {settings['frame_step']}) at {settings['frame_size']}x"
        f"{settings['frame_size']}; {settings['epochs']} epoch(s), batch {settings['batch_size']}, seed "
        f"{settings['seed']}",
    ]


def _per_speed(results, metric, titles):
    """The grids' bottom row as a table: each model's metric per S over every V, then each pair's relative
    difference per S (Courtney & Sreenivas 2022, Figures 6-9). Nothing for runs recorded without it."""
    models = {name: r["per_speed"] for name, r in results["models"].items() if "per_speed" in r}
    if not models:
        return []
    speeds = sorted({s for row in models.values() for s in row}, key=int)
    name = titles.get(metric, metric)
    lines = ["", f"## {name} per speed S over all V (the grids' bottom row)", "",
             "| model | " + " | ".join(f"S={s}" for s in speeds) + " | all |", "|" + "---|" * (len(speeds) + 2)]
    for model, row in models.items():
        lines.append(f"| {model} | " + " | ".join(_cell(row.get(s), "{:.3f}") for s in speeds)
                     + f" | {results['models'][model][metric]:.3f} |")
    pairs = {pair: rel["per_speed"] for pair, rel in results.get("relative", {}).items() if "per_speed" in rel}
    for pair, row in pairs.items():
        lines.append(f"| {pair.replace('_vs_', ' vs ')} (relative) | "
                     + " | ".join(_cell(None if row.get(s) is None else 100 * row[s], "{:+.1f}%") for s in speeds)
                     + f" | {100 * results['relative'][pair]['overall']:+.1f}% |")
    if pairs:
        lines += ["", "Relative rows: positive where the first model has the smaller error at that S."]
    return lines


def _cell(value, form):
    return "-" if value is None or value != value else form.format(value)


def _score(result, metric):
    """A model's score in the results table: the seed mean ± standard deviation where it has several seeds."""
    if "seeds" in result:
        return f"{result[metric]:.3f} ± {result['std'][metric]:.3f}"
    return f"{result[metric]:.3f}"


def _p_value(test):
    """A Welch test's p-value for a table: "-" where it is undefined (two identical, spread-free models)."""
    return "-" if test["p_value"] != test["p_value"] else f"{test['p_value']:.3f}"


def _seeds(results, metric, titles):
    """Every seed's score, and which differences between models exceed the seed-to-seed spread."""
    if "seeds" not in results:
        return []
    seeds, name = results["seeds"], titles.get(metric, metric)
    lines = ["", f"## Seeds ({name} on each seed's test clips)", "",
             "| model | " + " | ".join(f"seed {s}" for s in seeds) + " | mean ± std |",
             "|" + "---|" * (len(seeds) + 2)]
    for model, r in results["models"].items():
        lines.append(f"| {model} | " + " | ".join(f"{run[metric]:.3f}" for run in r["seeds"]) + f" | {_score(r, metric)} |")
    lines += ["", f"A difference counts when Welch's t-test on the {len(seeds)} per-seed scores gives p < 0.05 "
              "(two-sided); otherwise the seed-to-seed spread can explain it.", "",
              f"| pair | difference in {name} | p | verdict |", "|---|---|---|---|"]
    for pair, test in results["differences"].items():
        a, b = pair.split("_vs_")
        verdict = "within the seed spread" if not test["significant"] else f"{a if test['better'] == 'a' else b} better"
        lines.append(f"| {a} vs {b} | {test['difference']:+.3f} | {_p_value(test)} | {verdict} |")
    return lines


def _ranking(results, metric, titles):
    """Table 5's order of the models beside this run's, and whether the paper's best is best here too."""
    task = results["task"]
    better = get_task(task).better
    paper = paper_ranking(list(results["models"]), task, better)
    if len(paper) < 2:
        return []
    ours = sorted(paper, key=lambda m: results["models"][m][metric], reverse=better == "higher")
    name = titles.get(metric, metric)

    def listing(order, score):
        return " < ".join(f"{m} {score(m):.3f}" for m in order) if better == "lower" else " > ".join(
            f"{m} {score(m):.3f}" for m in order)

    best = [m for m in paper if paper_result(m, task) == paper_result(paper[0], task)]
    holds = ours[0] in best
    lines = ["", f"## Courtney & Sreenivas' ranking on this task ({name})", "",
             f"- paper (Table 5): {listing(paper, lambda m: paper_result(m, task))}",
             f"- this run: {listing(ours, lambda m: results['models'][m][metric])}",
             f"- the paper's best ({' and '.join(best)}) is {'also' if holds else 'not'} the best of this run."]
    if "differences" in results:
        pairs = results["differences"]
        test = pairs.get(f"{ours[0]}_vs_{ours[1]}") or pairs[f"{ours[1]}_vs_{ours[0]}"]
        lines.append(f"- {ours[0]}'s lead over {ours[1]} is {'beyond' if test['significant'] else 'within'} the "
                     f"seed-to-seed spread (Welch's t-test, p = {_p_value(test)}).")
    else:
        lines.append("- one seed: whether a gap exceeds the seed-to-seed spread needs `--seeds`.")
    return lines


def _learning_curve(results, metric, titles):
    """A table of the held-out metric after each epoch (every few epochs in long runs), per model."""
    histories = {name: r["history"] for name, r in results["models"].items()}
    points = sorted({row["clips_seen"] for h in histories.values() for row in h if "clips_seen" in row})
    if not points:
        return []
    step = -(-len(points) // MAX_CURVE_COLUMNS)
    points = points[::-1][::step][::-1]  # at most MAX_CURVE_COLUMNS, always the last
    lines = ["", f"## Learning curve (held-out {titles.get(metric, metric)} against training clips seen)", "",
             "| model | " + " | ".join(f"{p:,}" for p in points) + " |", "|" + "---|" * (len(points) + 1)]
    for name, history in histories.items():
        by_clips = {row.get("clips_seen"): row.get(f"val_{metric}") for row in history}
        lines.append(f"| {name} | " + " | ".join("-" if by_clips.get(p) is None else f"{by_clips[p]:.3f}"
                                               for p in points) + " |")
    return lines


def write_results(out, stem, results, markdown):
    """Writes a run's results as `<stem>.json` and its report as `<stem>.md` in `out`."""
    write_text_atomically(os.path.join(out, f"{stem}.json"), json.dumps(results, indent=2))
    write_text_atomically(os.path.join(out, f"{stem}.md"), markdown)
