"""Training curves of several models side by side."""


def plot_training_curves(histories, path):
    """Writes a PNG with one panel per metric and one line per model.

    The x axis is the number of training clips seen where the histories
    have `clips_seen` (learning curves), else the epoch.

    Args:
        histories: `{model name: [epoch dicts]}` as returned by
            `stkeras.training.read_history` (keys like `loss`, `accuracy`,
            `val_accuracy`; optional `clips_seen`).
        path: where to write the PNG.

    Example:
    >>> plot_training_curves({"a": [{"epoch": 0, "loss": 1.0}]}, "/tmp/curves.png")
    '/tmp/curves.png'
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metrics = sorted({k for h in histories.values() for row in h for k in row if k not in ("epoch", "clips_seen")})
    by_clips = all("clips_seen" in row for h in histories.values() for row in h)
    metrics = metrics or ["loss"]
    figure, axes = plt.subplots(1, len(metrics), figsize=(4 * len(metrics), 3), squeeze=False)
    for axis, metric in zip(axes[0], metrics):
        for i, (name, history) in enumerate(histories.items()):
            points = [(row["clips_seen"] if by_clips else row["epoch"] + 1, row[metric])
                      for row in history if metric in row]
            if points:
                epochs, values = zip(*points)
                # Ten colours, then the same colours with another marker: every line stays tellable apart.
                axis.plot(epochs, values, marker="os^D"[i // 10 % 4], color=f"C{i % 10}", label=name)
        axis.set_xlabel("training clips seen" if by_clips else "epoch")
        axis.set_title(metric.replace("val_", "held-out "))
        axis.grid(alpha=0.3)
    axes[0][0].legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)
    return path
