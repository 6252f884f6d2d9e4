"""Courtney & Sreenivas 2022's published results as data, printed beside a run's own (`results.md`).

Courtney & Sreenivas 2022, Table 5: test accuracy on the digit and order
tasks, mean absolute error of the speed, parameters and training time, per
model and width, by the name of the preset that builds it (`conv2d`,
`conv2d_xl`, ...). The paper trained TS-Conv3D at the XL width only.
"""

# preset -> {task: score, "parameters": ..., "training_hours": ...}
TABLE_5 = {
    "conv2d": {"digit": 0.979, "order": 0.985, "speed": 0.166, "parameters": 385_000, "training_hours": 11.1},
    "conv3d": {"digit": 0.979, "order": 0.985, "speed": 0.187, "parameters": 473_000, "training_hours": 11.7},
    "convlstm": {"digit": 0.972, "order": 0.981, "speed": 0.129, "parameters": 437_000, "training_hours": 15.2},
    "conv2d_xl": {"digit": 0.985, "order": 0.989, "speed": 0.164, "parameters": 702_000, "training_hours": 12.5},
    "conv3d_xl": {"digit": 0.983, "order": 0.989, "speed": 0.147, "parameters": 1_145_000, "training_hours": 17.8},
    "ts_conv3d_xl": {"digit": 0.965, "order": 0.920, "speed": 0.146, "parameters": 1_145_000,
                     "training_hours": 8.1},
    "convlstm_xl": {"digit": 0.978, "order": 0.988, "speed": 0.059, "parameters": 1_967_000,
                    "training_hours": 28.3},
}


def paper_result(preset, task):
    """Table 5's score of a preset on a task (`None` where the paper has none).

    Example:
    >>> paper_result("convlstm_xl", "speed")
    0.059
    >>> paper_result("ts_conv3d", "digit") is None
    True
    """
    return TABLE_5.get(preset, {}).get(task)


def paper_parameters(preset):
    """Table 5's parameter count of a preset (`None` where the paper has none)."""
    return TABLE_5.get(preset, {}).get("parameters")


def paper_ranking(presets, task, better):
    """The presets Table 5 scores on this task, best first (`better`: `"higher"` or `"lower"`).

    Example:
    >>> paper_ranking(["conv2d", "conv3d", "ts_conv3d", "convlstm"], "speed", "lower")
    ['convlstm', 'conv2d', 'conv3d']
    """
    scored = [m for m in presets if paper_result(m, task) is not None]
    return sorted(scored, key=lambda m: paper_result(m, task), reverse=better == "higher")
