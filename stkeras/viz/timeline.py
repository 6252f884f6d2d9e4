"""A video's scores over time: the top classes' probabilities (or a regression value) frame by frame."""

import numpy as np


def plot_timeline(scores, path, *, class_names=None, fps=None, top=3, title=None, value_name="value"):
    """Writes a PNG of per-frame scores over the video's time, one line per top class.

    Args:
        scores: `(frames, units)` scores per frame (NaN where none).
        path: where to write the PNG.
        class_names: the units' names (classes); `None`: a regression, or
            classes by index.
        fps: frames per second (the x axis in seconds), else frame numbers.
        top: how many classes to draw, those with the highest mean score.
        title: the figure's title.
        value_name: the y label of a regression (one unit, no class names).

    Returns:
        `path`.

    Example:
    >>> plot_timeline(np.random.rand(50, 4), "/tmp/timeline.png", class_names=list("abcd"), fps=25)
    '/tmp/timeline.png'
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scores = np.asarray(scores, np.float64)
    if scores.ndim != 2 or not len(scores):
        raise ValueError(f"`scores` must be (frames, units) with at least one frame. Received shape {scores.shape}")
    frames, units = scores.shape
    times = np.arange(frames) / fps if fps else np.arange(frames)
    regression = units == 1 and class_names is None
    names = class_names if class_names is not None else [str(i) for i in range(units)]
    if len(names) != units:
        raise ValueError(f"`class_names` names {len(names)} classes; the scores have {units}.")
    with np.errstate(all="ignore"):
        means = np.nan_to_num(np.nanmean(scores, axis=0), nan=-np.inf)
    order = np.argsort(-means, kind="stable")[:max(1, min(top, units))]
    figure, axis = plt.subplots(figsize=(8, 3))
    for rank, unit in enumerate(order):
        label = value_name if regression else names[unit]
        axis.plot(times, scores[:, unit], color=f"C{rank % 10}", label=label)
    axis.set_xlabel("seconds" if fps else "frame")
    axis.set_ylabel(value_name if regression else "probability")
    if not regression:
        axis.set_ylim(-0.02, 1.02)
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8, loc="upper right")
    if title:
        axis.set_title(title, fontsize=9)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return path
