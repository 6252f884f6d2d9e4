"""Score against cost of a search's trials, with the Pareto front marked."""


def plot_pareto(points, front, path, *, cost_label="multiply-accumulates per clip", score_label="score",
                labels=None, title=None):
    """Writes a PNG scatter of `(cost, score)` points on a log cost axis, the front joined and highlighted.

    Args:
        points: `(cost, score)` pairs, one per trial.
        front: indices of the Pareto-front points (`stkeras.tuning.pareto_front`).
        path: where to write the PNG.
        cost_label, score_label: axis labels.
        labels: optional text per point (trial ids), written beside the
            front's points.
        title: the plot's title.

    Returns:
        `path`.

    Example:
    >>> plot_pareto([(1e6, 0.2), (2e6, 0.5), (3e6, 0.4)], [0, 1], "/tmp/pareto.png")
    '/tmp/pareto.png'
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(6, 4))
    if points:
        costs, scores = zip(*points)
        axis.scatter(costs, scores, color="0.6", label="trial", zorder=2)
        ordered = sorted(front, key=lambda i: points[i][0])
        axis.plot([costs[i] for i in ordered], [scores[i] for i in ordered], "o-", color="tab:red",
                  label="Pareto front", zorder=3)
        for i in ordered if labels else ():
            axis.annotate(str(labels[i]), (costs[i], scores[i]), textcoords="offset points", xytext=(4, 4),
                          fontsize=8)
        if min(costs) > 0:
            axis.set_xscale("log")
    axis.set_xlabel(cost_label)
    axis.set_ylabel(score_label)
    axis.grid(True, alpha=0.3)
    axis.legend(loc="best")
    if title:
        axis.set_title(title)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return path
