"""Temporal controls as grouped bars: each model's score on controlled clips, and of models trained on them."""


def plot_controls(controls, path, *, metric, baseline=None, title=None):
    """Writes a PNG of grouped bars: per model, the score unperturbed and under each control, seed spread as error bars.

    One panel per analysis present: test-time controls (the model trained on
    ordered clips, scored on the clips as they are and under each control)
    and train-time controls (models trained on ordered and on controlled
    clips, each scored on clips made like its training clips). A dashed line
    marks `baseline`, the score of a predictor that ignores the clips.

    Args:
        controls: `{"test": {model: combined}, "train": {model: combined}}`,
            each `combined` from `stkeras.analysis.combine_control_seeds`
            (either key may be missing).
        path: where to write the PNG.
        metric: the metric's name for the axis, e.g. `"accuracy"`.
        baseline: the baseline's score, or `None`.
        title: the figure's title.

    Example:
    >>> row = {"unperturbed": {"mean": 0.9, "std": 0.0}, "controls": {"shuffled": {"score": 0.2, "std": 0.05}}}
    >>> plot_controls({"test": {"conv3d": row}}, "/tmp/controls.png", metric="accuracy", baseline=0.1)
    '/tmp/controls.png'
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    panels = [(kind, controls[kind]) for kind in ("test", "train") if controls.get(kind)]
    if not panels:
        raise ValueError("`controls` has no test-time or train-time results to plot.")
    widths = [len(models) * (len(next(iter(models.values()))["controls"]) + 1) for _, models in panels]
    figure, axes = plt.subplots(1, len(panels), figsize=(max(7.0, 2.5 + 0.32 * sum(widths)), 4.6), squeeze=False,
                                sharey=True, gridspec_kw={"width_ratios": [max(w, 4) for w in widths]})
    for axis, (kind, models) in zip(axes[0], panels):
        reference = "unperturbed" if kind == "test" else "ordered"
        names = list(models)
        bars = [reference] + list(next(iter(models.values()))["controls"])
        step = 0.8 / len(bars)
        for j, bar in enumerate(bars):
            means, stds = [], []
            for name in names:
                row = models[name][reference] if bar == reference else models[name]["controls"][bar]
                means.append(row["mean"] if bar == reference else row["score"])
                stds.append(row["std"])
            label = bar if kind == "test" else f"trained {bar}"
            axis.bar(np.arange(len(names)) + (j - (len(bars) - 1) / 2) * step, means, step, yerr=stds, capsize=2,
                     label=label.replace("_", " "), color=f"C{j % 10}", hatch="//" if kind == "train" and j else None)
        if baseline is not None:
            axis.axhline(baseline, color="black", linestyle="--", linewidth=1, label="baseline")
        axis.set_xticks(np.arange(len(names)), names)
        axis.set_ylabel(metric)
        axis.set_title("test-time controls" if kind == "test" else "trained on controlled clips")
        axis.grid(axis="y", alpha=0.3)
        axis.legend(fontsize=7, ncol=3 if kind == "test" else 1, loc="upper center", bbox_to_anchor=(0.5, -0.1))
    if title:
        figure.suptitle(title)
    figure.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(figure)
    return path
