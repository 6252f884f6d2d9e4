"""Rankings with their uncertainty: a compare run's scores over several seeds, and which differences hold.

Each seed draws other clips and other initial weights. A model's score is the
mean over its seeds with the sample standard deviation; two models differ when
Welch's t-test on their per-seed scores gives p < 0.05 (two-sided).
"""

import numpy as np

from stkeras.analysis.significance import ALPHA  # noqa: F401 (the level of the tests, for callers)
from stkeras.analysis.significance import welch_test  # noqa: F401 (the test of seeds, for callers)


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
