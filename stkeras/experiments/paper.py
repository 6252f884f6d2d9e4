"""Courtney & Sreenivas 2022's published results as data, printed beside a run's own (`results.md`).

Courtney & Sreenivas 2022, Table 5: test accuracy on the digit and order
tasks, mean absolute error of the speed, parameters and training time, per
model and size. The paper trained TS-Conv3D at the XL size only.
"""

# (model, size) -> {task: score, "parameters": ..., "training_hours": ...}
TABLE_5 = {
    ("conv2d", "base"): {"digit": 0.979, "order": 0.985, "speed": 0.166, "parameters": 385_000, "training_hours": 11.1},
    ("conv3d", "base"): {"digit": 0.979, "order": 0.985, "speed": 0.187, "parameters": 473_000, "training_hours": 11.7},
    ("convlstm", "base"): {"digit": 0.972, "order": 0.981, "speed": 0.129, "parameters": 437_000,
                           "training_hours": 15.2},
    ("conv2d", "xl"): {"digit": 0.985, "order": 0.989, "speed": 0.164, "parameters": 702_000, "training_hours": 12.5},
    ("conv3d", "xl"): {"digit": 0.983, "order": 0.989, "speed": 0.147, "parameters": 1_145_000,
                       "training_hours": 17.8},
    ("ts_conv3d", "xl"): {"digit": 0.965, "order": 0.920, "speed": 0.146, "parameters": 1_145_000,
                          "training_hours": 8.1},
    ("convlstm", "xl"): {"digit": 0.978, "order": 0.988, "speed": 0.059, "parameters": 1_967_000,
                         "training_hours": 28.3},
}


def paper_result(model, size, task):
    """Table 5's score of a model at a size on a task (`None` where the paper has none).

    Example:
    >>> paper_result("convlstm", "xl", "speed")
    0.059
    >>> paper_result("ts_conv3d", "base", "digit") is None
    True
    """
    return TABLE_5.get((model, size), {}).get(task)


def paper_parameters(model, size):
    """Table 5's parameter count of a model at a size (`None` where the paper has none)."""
    return TABLE_5.get((model, size), {}).get("parameters")


def paper_ranking(models, size, task, better):
    """The models Table 5 scores at this size and task, best first (`better`: `"higher"` or `"lower"`).

    Example:
    >>> paper_ranking(["conv2d", "conv3d", "ts_conv3d", "convlstm"], "base", "speed", "lower")
    ['convlstm', 'conv2d', 'conv3d']
    """
    scored = [m for m in models if paper_result(m, size, task) is not None]
    return sorted(scored, key=lambda m: paper_result(m, size, task), reverse=better == "higher")
