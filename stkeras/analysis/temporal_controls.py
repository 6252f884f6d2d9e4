"""Does a trained model use the order and motion of its clips? Its scores on temporally controlled clips.

`temporal_controls(model, dataset, task=...)` scores a model on held-out
clips as they are and with each control of `stkeras.analysis.clip_controls`
applied (frames shuffled, reversed, static, at a half or a quarter of the
frame rate, the mean frame), on the same clips, and tests each change with a
paired test over the clips (`RULE`). Each score is also tested against
chance (`stkeras.analysis.significance.chance_test`: the same predictions
against the targets of other clips): "at chance" is what a control that
removes everything the model uses gives, "below chance" a control that
turns its answers into systematically wrong ones.

`training_controls(ordered, {control: model}, dataset, task=...)` is the
train-time question: models trained on controlled clips (the same
architecture, budget and seed; `apply_control` on the training stream),
each scored on the same control of the held-out clips, against the model
trained on ordered clips, scored on them as they are. A model trained on
shuffled clips that scores as well says the task, for that design, does not
need the frames' order; one trained on static clips, that it does not need
motion.

Example:
>>> import keras, numpy as np, tensorflow as tf
>>> model = keras.Sequential([keras.Input((4, 2, 2, 1)), keras.layers.Flatten(), keras.layers.Dense(3)])
>>> data = tf.data.Dataset.from_tensor_slices((np.random.rand(8, 4, 2, 2, 1), np.arange(8) % 3)).batch(4)
>>> result = temporal_controls(model, data, task="order", controls=["reversed"]).summary()
>>> sorted(result["controls"]["reversed"])
['chance', 'chance_p_value', 'change', 'p_value', 'score', 'verdict', 'vs_chance']
"""

import dataclasses

import numpy as np

from stkeras.analysis.clip_controls import TEST_CONTROLS
from stkeras.analysis.clip_controls import control_clips
from stkeras.analysis.clip_controls import get_control
from stkeras.analysis.significance import ALPHA
from stkeras.analysis.significance import CLIP_TESTS
from stkeras.analysis.significance import PERMUTATIONS
from stkeras.analysis.significance import chance_test
from stkeras.analysis.significance import paired_clip_test
from stkeras.analysis.significance import verdict
from stkeras.tasks import get_task

RULE = (f"paired test over the same test clips, two-sided, p < {ALPHA}: McNemar's exact test on per-clip "
        "correctness (accuracy) or the Wilcoxon signed-rank test on per-clip absolute errors (MAE); against chance, "
        f"a permutation test ({PERMUTATIONS:,} permutations of the targets, two-sided, p < {ALPHA})")


def chance_words(word):
    """`verdict`'s word against chance as a phrase: above, at or below chance."""
    return {"better": "above chance", "worse": "below chance"}.get(word, "at chance")


@dataclasses.dataclass
class ControlScores:
    """A model's predictions on held-out clips as they are and under each control.

    Attributes:
        task: the `Task` scored.
        seed: the seed of the random controls.
        targets: the clips' targets.
        predicted: `{None: predictions on the clips as they are, control:
            predictions under it}`, each per clip: the class, or the value.
    """

    task: object
    seed: int
    targets: np.ndarray
    predicted: dict

    def values(self, control=None):
        """Per-clip correctness (0/1) or absolute error on the clips as they are (`None`) or under `control`."""
        predicted = self.predicted[control]
        if self.task.kind == "classification":
            return (predicted == self.targets).astype(np.float64)
        return np.abs(predicted - self.targets)

    def score(self, control=None):
        """The task's metric (accuracy or MAE) on the clips as they are (`None`) or under `control`."""
        return float(np.mean(self.values(control)))

    def chance(self, control=None):
        """The permutation test of the predictions (`None`: on the clips as they are) against chance."""
        return chance_test(self.predicted[control], self.targets, self.task.kind, seed=self.seed)

    @property
    def controls(self):
        return [name for name in self.predicted if name is not None]

    def summary(self):
        """Per control: score, change from unperturbed, the paired test and its verdict, and against chance.

        Returns:
            a JSON-able dict: `task`, `metric`, `better`, `seed`,
            `num_clips`, `rule`, `test` (the paired test's name),
            `unperturbed` with `unperturbed_chance`, `unperturbed_vs_chance`
            and `unperturbed_chance_p_value`, and `controls`: per control
            `score`, `change`, `p_value`, `verdict` (`"worse"`, `"better"`,
            `"no significant change"`), `chance`, `chance_p_value` and
            `vs_chance` (`"above chance"`, `"at chance"`, `"below chance"`).
        """
        task = self.task
        result = {"task": task.name, "metric": task.metric, "better": task.better, "seed": int(self.seed),
                  "num_clips": int(len(self.targets)), "rule": RULE, "test": CLIP_TESTS[task.kind],
                  "unperturbed": self.score(), **_against_chance(self.chance(), task.better, "unperturbed_"),
                  "controls": {}}
        for name in self.controls:
            test = paired_clip_test(self.values(name), self.values(), task.kind)
            result["controls"][name] = {
                "score": self.score(name), "change": test["difference"], "p_value": test["p_value"],
                "verdict": verdict(test["difference"], test["p_value"], task.better),
                **_against_chance(self.chance(name), task.better)}
        return result


def _against_chance(test, better, prefix=""):
    word = verdict(test["difference"], test["p_value"], better)
    return {f"{prefix}chance": test["chance"], f"{prefix}chance_p_value": test["p_value"],
            f"{prefix}vs_chance": chance_words(word)}


def _predict(model, clips, task):
    """Per-clip predicted classes or values for clips `(N, T, H, W, C)` or views `(N, V, T, H, W, C)` (averaged)."""
    clips = np.asarray(clips)
    if clips.ndim == 6:
        outputs = np.asarray(model.predict_on_batch(clips.reshape((-1, *clips.shape[2:]))))
        outputs = outputs.reshape((clips.shape[0], clips.shape[1], *outputs.shape[1:])).mean(axis=1)
    else:
        outputs = np.asarray(model.predict_on_batch(clips))  # NumPy: every backend takes it
    flat = outputs.reshape(len(clips), -1)
    return flat.argmax(axis=-1).astype(np.float64) if task.kind == "classification" else flat[:, 0].astype(np.float64)


def _check_controls(controls):
    names = [controls] if isinstance(controls, str) else list(controls)
    for name in names:
        get_control(name)
    if len(set(names)) != len(names):
        raise ValueError(f"`controls` names a control twice. Received: controls={names}")
    return names


def temporal_controls(model, dataset, *, task, controls=TEST_CONTROLS, seed=0):
    """Scores `model` on `dataset`'s clips as they are and under each temporal control, clip by clip.

    Args:
        model: any Keras model over clips `(batch, T, H, W, C)` whose output
            is the task's (class scores, or a scalar).
        dataset: a finite iterable of batches `(clips, targets[, info])`
            (a `tf.data.Dataset` or a list of arrays); clips may carry a views
            axis `(batch, views, T, H, W, C)`, whose outputs are averaged.
        task: a `Task` or a registered task name.
        controls: names of registered controls (`stkeras.analysis.CONTROLS`;
            none: the clips as they are only).
        seed: an int; batch `i`'s random controls draw from `(seed, i)`,
            and the permutations of the chance test from `seed`.

    Returns:
        a `ControlScores`; `.summary()` gives each control's score, change
        and verdicts (`RULE`).
    """
    task = get_task(task)
    names = _check_controls(controls)
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ValueError(f"`seed` must be an int. Received: seed={seed!r}")
    targets, predicted = [], {None: [], **{name: [] for name in names}}
    for index, batch in enumerate(dataset):
        if not isinstance(batch, (tuple, list)) or len(batch) < 2:
            raise ValueError("`dataset` must yield (clips, targets) or (clips, targets, info) batches.")
        clips = np.asarray(batch[0])
        targets.append(np.asarray(batch[1]).reshape(-1))
        predicted[None].append(_predict(model, clips, task))
        for name in names:
            predicted[name].append(_predict(model, control_clips(clips, name, seed=(seed, index)).numpy(), task))
    if not targets:
        raise ValueError("`dataset` yielded no batch.")
    return ControlScores(task, seed, np.concatenate(targets).astype(np.float64),
                         {name: np.concatenate(values) for name, values in predicted.items()})


def training_controls(ordered, controlled_models, dataset, *, task, seed=0):
    """Models trained on controlled clips against the model trained on ordered clips, on the same held-out clips.

    Args:
        ordered: the model trained on the clips as they are.
        controlled_models: `{control: model}`, each trained on clips under
            that control (`apply_control` on the training data), with the
            same architecture, budget and seed as `ordered`.
        dataset: held-out batches `(clips, targets[, info])`.
        task: a `Task` or a registered task name.
        seed: the seed of the random controls on the held-out clips.

    Returns:
        a JSON-able dict: `rule`, `test`, `ordered` (its score on the clips
        as they are), `controls`: per control the controlled model's `score`
        on the clips under that control, `change` from `ordered`, the paired
        test's `p_value`, `verdict`, the test against chance (`chance`,
        `chance_p_value`, `vs_chance`), and `unperturbed_score`, its score on
        the clips as they are.

    Example:
    >>> import keras, numpy as np
    >>> model = keras.Sequential([keras.Input((4, 2, 2, 1)), keras.layers.Flatten(), keras.layers.Dense(3)])
    >>> data = [(np.random.default_rng(0).random((6, 4, 2, 2, 1)), np.arange(6) % 3)]
    >>> training_controls(model, {"shuffled": model}, data, task="order")["controls"]["shuffled"]["verdict"]
    'no significant change'
    """
    task = get_task(task)
    reference = temporal_controls(ordered, dataset, task=task, controls=(), seed=seed)
    result = {"task": task.name, "metric": task.metric, "better": task.better, "seed": int(seed), "rule": RULE,
              "test": CLIP_TESTS[task.kind], "num_clips": int(len(reference.targets)), "ordered": reference.score(),
              **_against_chance(reference.chance(), task.better, "ordered_"), "controls": {}}
    for name, model in controlled_models.items():
        scores = temporal_controls(model, dataset, task=task, controls=[name], seed=seed)
        test = paired_clip_test(scores.values(name), reference.values(), task.kind)
        result["controls"][name] = {
            "score": scores.score(name), "change": test["difference"], "p_value": test["p_value"],
            "verdict": verdict(test["difference"], test["p_value"], task.better),
            **_against_chance(scores.chance(name), task.better), "unperturbed_score": scores.score()}
    return result
