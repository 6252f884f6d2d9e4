"""Temporal controls in the applications: `compare --controls` and `evaluate --controls`.

Test-time controls score each trained model on its held-out clips as they
are and under every control of `stkeras.analysis.TEST_CONTROLS` (frames
shuffled, reversed, static, at a half and a quarter of the frame rate, the
mean frame). Train-time controls train the same preset with the same seed
and budget on clips under each control of `stkeras.analysis.TRAIN_CONTROLS`
(`ControlledData`: the run's data with the control on its training and
held-out clips) and score it on the held-out clips under that control,
against the model trained on ordered clips. Over several seeds each score's
mean, spread and verdict come from `stkeras.analysis.combine_control_seeds`.

A results file gains `"controls"`: `{"mode", "rule", "seed_rule", "test":
{model: ...}, "train": {model: ...}}`; `format_controls` writes its tables
and `stkeras.viz.plot_controls` its bars.
"""

import os

from stkeras.analysis import TEST_CONTROLS
from stkeras.analysis import TRAIN_CONTROLS
from stkeras.analysis import apply_control
from stkeras.analysis import combine_control_seeds
from stkeras.analysis import temporal_controls
from stkeras.analysis import training_controls
from stkeras.analysis.control_seeds import SEED_RULE
from stkeras.analysis.temporal_controls import RULE
from stkeras.choices import CONTROL_MODES
from stkeras.validation import check_choice


def check_control_mode(controls):
    """`None` or one of `CONTROL_MODES` (a `ValueError` naming the choices otherwise); returns it."""
    if controls is None:
        return None
    return check_choice("controls", controls, CONTROL_MODES)


def test_controls_in(mode):
    """Whether a run with `controls=mode` scores its models under the test-time controls."""
    return mode in ("test", "both")


def train_controls_in(mode):
    """Whether a run with `controls=mode` trains its presets on controlled clips too."""
    return mode in ("train", "both")


class ControlledData:
    """A run's data with a temporal control on its training and held-out clips (train-time controls).

    Everything else (task, settings, test clips, baseline, classes) is the
    run's data's, read through to it; its recipe record names the control.

    Args:
        data: the run's `RunData`.
        control: a registered control's name.
    """

    def __init__(self, data, control):
        self.data, self.control = data, control

    def __getattr__(self, name):
        return getattr(self.data, name)

    def train(self, seed):
        """The run's training stream with the control on every clip (batch `i` drawing from `(seed, i)`)."""
        return apply_control(self.data.train(seed), self.control, seed)

    def validation(self, seed):
        """The held-out clips scored after each epoch, under the control."""
        return apply_control(self.data.validation(seed), self.control, seed)

    def record(self):
        """The run's recipe record, with the control its clips were trained under."""
        return {**self.data.record(), "training_control": self.control}

    def describe(self):
        return f"{self.data.describe()}, trained under the {self.control} control"


def controlled_folder(out, control, seed_folder, preset):
    """Where a preset trained under `control` keeps its preset folder in a run folder."""
    return os.path.join(out, "controls", f"trained_{control}", *seed_folder, preset)


def score_test_controls(model, test, *, task, seed, controls=TEST_CONTROLS):
    """One seed's test-time controls of a trained model on its (normalized) test clips: a summary dict."""
    return temporal_controls(model, test, task=task, controls=controls, seed=seed).summary()


def score_train_controls(ordered, controlled_models, test, *, task, seed):
    """One seed's train-time controls: the models trained on controlled clips against the ordered one."""
    return training_controls(ordered, controlled_models, test, task=task, seed=seed)


def combine(mode, test_summaries, train_summaries):
    """The results file's `"controls"`: per model, each analysis combined over its seeds.

    Args:
        mode: `"test"`, `"train"` or `"both"`.
        test_summaries, train_summaries: `{model: [one summary per seed]}`.
    """
    result = {"mode": mode, "rule": RULE, "seed_rule": SEED_RULE}
    if test_summaries:
        result["test"] = {name: combine_control_seeds(rows) for name, rows in test_summaries.items()}
    if train_summaries:
        result["train"] = {name: combine_control_seeds(rows, reference="ordered")
                           for name, rows in train_summaries.items()}
    return result


def _pm(mean, std, seeds):
    return f"{mean:.3f} ± {std:.3f}" if seeds > 1 else f"{mean:.3f}"


def _agreement(row, key, combined, seeds):
    """`", 2/2 seeds"`: how many seeds' own tests over clips agree with the combined verdict."""
    if seeds < 2:
        return ""
    return f", {sum(v == combined for v in row[key])}/{seeds} seeds"


def _cell(row, seeds):
    word = {"no significant change": "same"}.get(row["verdict"], row["verdict"])
    return (f"{_pm(row['score'], row['std'], seeds)} ({row['change']:+.3f}; {word}, p {row['p_value']:.2g}"
            f"{_agreement(row, 'seed_verdicts', row['verdict'], seeds)}; {row['vs_chance']}"
            f"{_agreement(row, 'seed_vs_chance', row['vs_chance'], seeds)})")


def format_controls(controls, metric):
    """The markdown section of a results file's `"controls"` (test-time and train-time tables)."""
    if not controls:
        return []
    lines = ["", "## Temporal controls", "",
             "Each cell: the score, its change from the reference column, the verdict against it (worse, better or "
             "same: no significant change) and against chance (the same predictions scored against the targets of "
             f"other clips). Rule: {controls['rule']}; {controls['seed_rule']}. Where there are several seeds, "
             "\"k/n seeds\" counts the seeds whose own test over clips agrees."]
    for kind, reference, title in (("test", "unperturbed", "Test-time controls: the models trained on ordered "
                                                           f"clips, {metric} on the test clips under each control"),
                                   ("train", "ordered", f"Train-time controls: {metric} of models trained under each "
                                                        "control, on test clips under the same control, against "
                                                        "the model trained on ordered clips")):
        models = controls.get(kind)
        if not models:
            continue
        first = next(iter(models.values()))
        names, seeds = list(first["controls"]), len(first["seeds"])
        header = ["model", reference if kind == "test" else "ordered-trained"] + \
                 [name.replace("_", " ") + ("" if kind == "test" else "-trained") for name in names]
        lines += ["", f"### {title}", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        for model, row in models.items():
            ref = row[reference]
            cells = [f"{_pm(ref['mean'], ref['std'], seeds)} ({ref['vs_chance']}"
                     f"{_agreement(ref, 'seed_vs_chance', ref['vs_chance'], seeds)})"]
            cells += [_cell(row["controls"][name], seeds) for name in names]
            lines.append(f"| {model} | " + " | ".join(cells) + " |")
        lines += ["", f"Seeds {', '.join(map(str, first['seeds']))}; {first.get('num_clips', '?')} test clips per "
                      f"seed; {'lower' if first['better'] == 'lower' else 'higher'} {metric} is better."]
    return lines
