"""A search's trials as records, and the Pareto front of score against cost."""

from stkeras.tuning.hypermodel import COST_METRICS
from stkeras.tuning.tuners import active_values


def trial_records(oracle):
    """One dict per trial of a keras-tuner oracle, in the order trials started.

    Each record: `trial_id`, `status`, `score` (the objective, `None` if the
    trial has none), `hyperparameters` (active ones), the costs `parameters`,
    `macs`, `training_seconds`, `resident_mb` where recorded, and `message`
    (the error's last line) for trials that did not complete.
    """
    records = []
    order = list(oracle.start_order) + [i for i in oracle.trials if i not in oracle.start_order]
    for trial_id in order:
        trial = oracle.trials[trial_id]
        record = {
            "trial_id": trial_id,
            "status": str(trial.status),
            "score": None if trial.score is None else float(trial.score),
            "hyperparameters": active_values(trial.hyperparameters),
        }
        for name in COST_METRICS:
            if trial.metrics.exists(name):
                value = trial.metrics.get_last_value(name)
                record[name] = int(value) if name in ("parameters", "macs") else float(value)
        if trial.message:
            record["message"] = trial.message.strip().splitlines()[-1]
        records.append(record)
    return records


def pareto_front(points, better="higher"):
    """Indices of the points no other point beats on both cost and score.

    Args:
        points: `(cost, score)` pairs; lower cost is better.
        better: `"higher"` or `"lower"` score is better.

    Returns:
        the indices of the front, by increasing cost.

    Example:
    >>> pareto_front([(1, 0.5), (2, 0.4), (3, 0.9), (3, 0.8)])
    [0, 2]
    """
    sign = 1 if better == "higher" else -1
    order = sorted(range(len(points)), key=lambda i: (points[i][0], -sign * points[i][1]))
    front, best = [], None
    for i in order:
        score = sign * points[i][1]
        if best is None or score > best:
            front.append(i)
            best = score
    return front
