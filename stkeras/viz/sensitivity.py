"""Figure 5 of Courtney & Sreenivas 2019: relative performance when one scale's ConvLSTMs are reset every T frames."""


def plot_state_reset_sensitivity(result, path, title=None):
    """Writes a PNG with one line per spatial scale over the reset period T.

    Args:
        result: a `stkeras.analysis.StateResetSensitivity`.
        path: where to write the PNG.
        title: the figure's title (default: the metric and clip count).

    Returns:
        `path`.

    Example:
    >>> from stkeras.analysis import ConvLSTMScale, StateResetSensitivity
    >>> result = StateResetSensitivity("accuracy", 0.8, (ConvLSTMScale("s/2", (16, 16), ("res1_1/op",)),),
    ...                                (1, 4, None), {("s/2", 1): 0.4, ("s/2", 4): 0.7, ("s/2", None): 0.8}, 64)
    >>> plot_state_reset_sensitivity(result, "/tmp/sensitivity.png")
    '/tmp/sensitivity.png'
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    periods = [p for p in result.periods if p is not None]
    figure, axis = plt.subplots(figsize=(5, 3.4))
    for scale in result.scales:
        axis.plot(range(len(periods)), [result.relative(scale.label, p) for p in periods], marker="o",
                  label=f"{scale.label} ({scale.size[0]}x{scale.size[1]}, {len(scale.layers)} ConvLSTMs)")
    axis.axhline(1.0, color="grey", linestyle="--", linewidth=1, label="never reset")
    axis.set_xticks(range(len(periods)), [str(p) for p in periods])
    axis.set_xlabel("states reset every T frames")
    axis.set_ylabel("unreset MAE / MAE" if result.metric == "mae" else "accuracy / unreset accuracy")
    axis.set_title(title or f"{result.metric} relative to the unreset model ({result.clips} clips; below 1: worse)",
                   fontsize=9)
    axis.grid(alpha=0.3)
    axis.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)
    return path
