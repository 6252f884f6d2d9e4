"""Whether two scores differ: paired tests over the same clips, and Welch's t-test over seeds.

- Over clips, paired (two scores of the same clips: one model on two versions
  of each clip, or two models on the same clips): McNemar's exact test for
  per-clip correctness (a two-sided binomial test on the clips that one side
  gets right and the other wrong), and the Wilcoxon signed-rank test for
  per-clip errors (regression).
- Against chance (does a model's output still say anything about the
  target?): a permutation test, the score of the predictions against the
  targets of other clips (the targets permuted), for accuracy or MAE alike.
- Over seeds (each seed another training): Welch's t-test on the per-seed
  scores.

Every test is two-sided at `ALPHA`. `verdict` turns a difference and its p
into a word by the metric's direction.

Example:
>>> mcnemar_test([1, 1, 1, 1, 1, 1, 1, 1], [0, 0, 0, 0, 0, 0, 0, 0])["p_value"] < ALPHA
True
"""

import numpy as np
from scipy import stats

# The significance level of every test here (two-sided).
ALPHA = 0.05
# What each kind of per-clip value is compared with, by the task's kind.
CLIP_TESTS = {"classification": "McNemar's exact test", "regression": "Wilcoxon signed-rank test"}
SEED_TEST = "Welch's t-test"
CHANCE_TEST = "permutation test"
# Permutations of the targets in `chance_test`.
PERMUTATIONS = 2000


def _paired(values_a, values_b):
    a, b = np.asarray(values_a, np.float64).reshape(-1), np.asarray(values_b, np.float64).reshape(-1)
    if len(a) != len(b) or len(a) == 0:
        raise ValueError(f"A paired test needs the same clips on both sides: received {len(a)} and {len(b)} values.")
    return a, b


def mcnemar_test(correct_a, correct_b):
    """McNemar's exact test: do two sides get different shares of the same clips right?

    Args:
        correct_a, correct_b: per-clip correctness (0/1) of the same clips.

    Returns:
        a dict: `test`, `difference` (accuracy a - accuracy b), `p_value`
        (two-sided exact binomial test on the discordant clips; 1 where there
        are none), `discordant` (`[a right b wrong, a wrong b right]`).

    Example:
    >>> result = mcnemar_test([1, 1, 1, 0], [0, 0, 1, 0])
    >>> result["difference"], result["discordant"], round(result["p_value"], 3)
    (0.5, [2, 0], 0.5)
    """
    a, b = _paired(correct_a, correct_b)
    a_only, b_only = int(np.sum((a > 0.5) & (b < 0.5))), int(np.sum((a < 0.5) & (b > 0.5)))
    n = a_only + b_only
    p_value = 1.0 if n == 0 else float(stats.binomtest(a_only, n, 0.5).pvalue)
    return {"test": CLIP_TESTS["classification"], "difference": float(a.mean() - b.mean()), "p_value": p_value,
            "discordant": [a_only, b_only]}


def wilcoxon_test(errors_a, errors_b):
    """The Wilcoxon signed-rank test: do two sides make different errors on the same clips?

    Args:
        errors_a, errors_b: per-clip errors (e.g. absolute errors) of the same clips.

    Returns:
        a dict: `test`, `difference` (mean error a - mean error b) and
        `p_value` (two-sided; 1 where every clip's errors are equal).

    Example:
    >>> result = wilcoxon_test([0.5, 0.6, 0.7, 0.8, 0.9, 1.0], [0.1, 0.1, 0.2, 0.2, 0.1, 0.3])
    >>> round(result["difference"], 3), round(result["p_value"], 4)
    (0.583, 0.0312)
    """
    a, b = _paired(errors_a, errors_b)
    differences = a - b
    if not np.any(differences != 0):
        p_value = 1.0
    else:
        p_value = float(stats.wilcoxon(differences, zero_method="wilcox").pvalue)
    return {"test": CLIP_TESTS["regression"], "difference": float(a.mean() - b.mean()), "p_value": p_value}


def paired_clip_test(values_a, values_b, kind):
    """The paired test over clips for a task's kind: McNemar's (classification) or Wilcoxon's (regression)."""
    if kind == "classification":
        return mcnemar_test(values_a, values_b)
    if kind == "regression":
        return wilcoxon_test(values_a, values_b)
    raise ValueError(f"Unknown `kind`: {kind!r}. Allowed values: {', '.join(map(repr, CLIP_TESTS))}.")


def chance_test(predicted, targets, kind, *, permutations=PERMUTATIONS, seed=0):
    """Whether predictions score differently from chance: the same predictions against permuted targets.

    Chance is what the predictions score when they say nothing about the
    clip they were made for: their own distribution (a constant class, or
    values spread anyhow) scored against the targets of other clips. It does
    not depend on which class a blind model happens to favour, as the
    accuracy of a fixed majority class does.

    Args:
        predicted: per-clip predicted classes (classification) or values
            (regression).
        targets: the clips' targets.
        kind: `"classification"` (accuracy) or `"regression"` (mean
            absolute error).
        permutations: random permutations of the targets.
        seed: the seed of the permutations.

    Returns:
        a dict: `test`, `chance` (the mean score over the permutations),
        `difference` (score - chance) and `p_value` (two-sided, with the
        observed score counted among the permutations).

    Example:
    >>> targets = np.arange(200) % 4
    >>> chance_test(targets, targets, "classification")["p_value"] < ALPHA
    True
    >>> round(chance_test(np.zeros(200), targets, "classification")["chance"], 2)
    0.25
    """
    predicted = np.asarray(predicted, np.float64).reshape(-1)
    targets = np.asarray(targets, np.float64).reshape(-1)
    if len(predicted) != len(targets) or len(targets) == 0:
        raise ValueError(f"`predicted` and `targets` must hold one value per clip: received {len(predicted)} and "
                         f"{len(targets)}.")
    if kind not in CLIP_TESTS:
        raise ValueError(f"Unknown `kind`: {kind!r}. Allowed values: {', '.join(map(repr, CLIP_TESTS))}.")
    rng = np.random.default_rng(seed)
    shuffled = np.stack([rng.permutation(targets) for _ in range(permutations)])

    def score(against):
        return np.mean(predicted == against, axis=-1) if kind == "classification" else \
            np.mean(np.abs(predicted - against), axis=-1)

    observed, permuted = float(score(targets)), score(shuffled)
    low = (1 + np.sum(permuted <= observed)) / (permutations + 1)
    high = (1 + np.sum(permuted >= observed)) / (permutations + 1)
    return {"test": CHANCE_TEST, "chance": float(permuted.mean()), "difference": observed - float(permuted.mean()),
            "p_value": float(min(1.0, 2 * min(low, high)))}


def welch_test(scores_a, scores_b, better="higher"):
    """Whether model a's per-seed scores differ from model b's: Welch's t-test, two-sided, at `ALPHA`.

    Args:
        scores_a, scores_b: per-seed scores (at least two each).
        better: `"higher"` or `"lower"`: which direction of the metric is better.

    Returns:
        a dict: `difference` (mean a - mean b), `p_value` (NaN where both
        spreads are 0 and the means are equal), `significant`, and
        `better` (`"a"`, `"b"` or `None` where not significant).

    Example:
    >>> result = welch_test([0.90, 0.91, 0.92], [0.50, 0.52, 0.49])
    >>> result["significant"], result["better"]
    (True, 'a')
    """
    a, b = np.asarray(scores_a, dtype=np.float64), np.asarray(scores_b, dtype=np.float64)
    if len(a) < 2 or len(b) < 2:
        raise ValueError(f"Welch's t-test needs at least two seeds per model. Received: {len(a)} and {len(b)} scores.")
    difference = float(a.mean() - b.mean())
    if a.std() == 0 and b.std() == 0:
        p_value = 0.0 if difference != 0 else float("nan")
    else:
        p_value = float(stats.ttest_ind(a, b, equal_var=False).pvalue)
    significant = bool(p_value < ALPHA)
    winner = None
    if significant:
        a_better = difference > 0 if better == "higher" else difference < 0
        winner = "a" if a_better else "b"
    return {"difference": difference, "p_value": p_value, "significant": significant, "better": winner}


def verdict(difference, p_value, better, *, same="no significant change"):
    """`"worse"`, `"better"` or `same` for side a against side b, by the metric's direction.

    Example:
    >>> verdict(-0.3, 0.001, "higher"), verdict(-0.3, 0.001, "lower"), verdict(-0.3, 0.2, "higher")
    ('worse', 'better', 'no significant change')
    """
    if not p_value < ALPHA or difference == 0:  # NaN: no test possible, nothing shown
        return same
    return "better" if (difference > 0) == (better == "higher") else "worse"
