"""Temporal controls clip by clip: each control's score by the clips' blink period V (and phase), per model.

The quadrant-blink construction says what a control leaves of a clip, and
that depends on V and on the phase of the first visible frame: at half the
frame rate (frames 0, 0, 2, 2, ...) a clip with V = 2 keeps every visible
frame when its phase is even and none when it is odd; with V = 1 or 3 it
keeps every other visible frame, so two of the four quadrants. This study
reads the models a `stkeras compare --controls` run trained on ordered
clips, scores them again on each seed's test clips under every control, and
writes the score per V, per phase parity where V = 2, and by whether the
middle frame (the one `static_middle` repeats) shows the digit or is blank,
to `<run>/controls_by_v.md` and `.json`.

    python studies/controls_by_v.py runs/controls/order runs/controls/digit
"""

import argparse
import json
import os
import pathlib

import numpy as np

from stkeras.analysis import TEST_CONTROLS
from stkeras.analysis import control_clips
from stkeras.experiments.saved_models import load_saved_model
from stkeras.experiments.saved_models import saved_model_data


def _scores(model, data, seed):
    """`{control or "unperturbed": (per-clip values, info)}` on a seed's test clips."""
    task = data.task
    values, infos = {name: [] for name in ("unperturbed", *TEST_CONTROLS)}, []
    for index, (clips, targets, info) in enumerate(data.test(seed, with_info=True)):
        clips = np.asarray(clips)
        infos.append({k: np.asarray(info[k]) for k in ("visible_every", "phase")})
        for name in values:
            changed = clips if name == "unperturbed" else control_clips(clips, name, seed=(seed, index)).numpy()
            values[name].append(task.per_clip(np.asarray(model.predict_on_batch(changed)), np.asarray(targets)))
    info = {k: np.concatenate([i[k] for i in infos]) for k in infos[0]}
    return {name: np.concatenate(v) for name, v in values.items()}, info


def study(run):
    """Writes `controls_by_v.md` and `.json` for the compare run folder `run`; returns the table's dict."""
    results = json.loads((pathlib.Path(run) / "results.json").read_text())
    seeds, task = results.get("seeds", [results["settings"]["seed"]]), results["task"]
    table = {}
    for preset in results["models"]:
        pooled = {}
        for seed in seeds:
            folder = os.path.join(run, "models", *([] if len(seeds) == 1 else [f"seed{seed}"]), preset)
            saved, model = load_saved_model(folder)
            values, info = _scores(model, saved_model_data(saved, seed=seed), seed)
            for name, v in values.items():
                for key, mask in _groups(info, results["settings"]["frames"]).items():
                    pooled.setdefault(name, {}).setdefault(key, []).append(v[mask])
        table[preset] = {name: {key: {"score": float(np.mean(np.concatenate(parts))),
                                      "clips": int(sum(len(p) for p in parts))}
                                for key, parts in groups.items()} for name, groups in pooled.items()}
    out = pathlib.Path(run)
    (out / "controls_by_v.json").write_text(json.dumps(table, indent=1))
    (out / "controls_by_v.md").write_text(_markdown(table, task, seeds))
    return table


def _groups(info, frames):
    """Clips by V, V = 2 by its phase's parity, and by whether the middle frame (static_middle's) shows the digit."""
    v, phase = info["visible_every"], info["phase"]
    groups = {"all": np.ones(len(v), bool)}
    for period in sorted(set(v.tolist())):
        groups[f"V={period}"] = v == period
        if period == 2:
            even = phase % 2 == 0
            groups["V=2, even phase"], groups["V=2, odd phase"] = (v == 2) & even, (v == 2) & ~even
    since = frames // 2 - phase
    middle_visible = (since >= 0) & (since % v == 0)
    groups["middle frame visible"], groups["middle frame blank"] = middle_visible, ~middle_visible
    return groups


def _markdown(table, task, seeds):
    metric = "accuracy" if task in ("digit", "order") else "MAE"
    lines = [f"# Temporal controls by blink period V: {task} task", "",
             f"{metric} on the test clips of seeds {', '.join(map(str, seeds))} pooled, models trained on ordered "
             "clips (written by `studies/controls_by_v.py`).", ""]
    for preset, rows in table.items():
        keys = list(next(iter(rows.values())))
        lines += [f"## {preset}", "", "| control | " + " | ".join(
            f"{k} ({rows['unperturbed'][k]['clips']} clips)" for k in keys) + " |", "|" + "---|" * (len(keys) + 1)]
        for name, groups in rows.items():
            lines.append(f"| {name.replace('_', ' ')} | " + " | ".join(f"{groups[k]['score']:.3f}" for k in keys) + " |")
        lines.append("")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", help="run folders of `stkeras compare --controls`")
    for run in parser.parse_args().runs:
        study(run)
        print(f"wrote {run}/controls_by_v.md")


if __name__ == "__main__":
    main()
