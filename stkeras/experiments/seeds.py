"""Rankings with their uncertainty: a compare run's scores over several seeds, and which differences hold.

Each seed draws other clips and other initial weights. A model's score is the
mean over its seeds with the sample standard deviation; two models differ when
Welch's t-test on their per-seed scores gives p < 0.05 (two-sided).
"""

import numpy as np
from scipy import stats

# The significance level of Welch's t-test between two models' per-seed scores.
ALPHA = 0.05


def summarize_seeds(runs, metrics):
    """One model's results over its seeds: the metrics' mean and standard deviation, and every seed's.

    Args:
        runs: one results dict per seed, each with `"seed"`, the `metrics`,
            `"training_seconds"` and `"history"`.
        metrics: the score names to average, e.g. `["mae", "rounded_accuracy"]`.

    Returns:
        a dict with each metric's seed mean, `"std"` (per metric, 0 for one
        seed), `"seeds"` (the runs), `"training_seconds"` (summed) and
        `"history"` (per epoch, the mean of every number over the seeds).

    Example:
    >>> runs = [{"seed": 0, "mae": 0.2, "training_seconds": 1.0, "history": [{"epoch": 0, "val_mae": 0.3}]},
    ...         {"seed": 1, "mae": 0.4, "training_seconds": 2.0, "history": [{"epoch": 0, "val_mae": 0.5}]}]
    >>> summary = summarize_seeds(runs, ["mae"])
    >>> round(summary["mae"], 3), round(summary["std"]["mae"], 3), summary["history"][0]["val_mae"]
    (0.3, 0.141, 0.4)
    """
    summary = {}
    for metric in metrics:
        values = np.array([run[metric] for run in runs], dtype=np.float64)
        summary[metric] = float(values.mean())
        summary.setdefault("std", {})[metric] = float(values.std(ddof=1)) if len(values) > 1 else 0.0
    epochs = min(len(run["history"]) for run in runs)
    history = []
    for epoch in range(epochs):
        rows = [run["history"][epoch] for run in runs]
        keys = [k for k in rows[0] if all(k in row for row in rows)]
        # The epoch and clips seen are the same for every seed: kept as they are, the rest averaged.
        history.append({k: rows[0][k] if k in ("epoch", "clips_seen") else float(np.mean([row[k] for row in rows]))
                        for k in keys})
    summary.update(seeds=list(runs), training_seconds=round(sum(r["training_seconds"] for r in runs), 1),
                   history=history)
    return summary


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
