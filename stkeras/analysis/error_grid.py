"""A model's error over a grid of clip parameters, e.g. (V, S) (Courtney & Sreenivas 2022, Figs 6-9)."""

import dataclasses

import numpy as np

from stkeras.data.grouping import group_metric
from stkeras.tasks import get_task
from stkeras.validation import check_choice

METRICS = ("mae", "accuracy")


@dataclasses.dataclass
class ErrorGrid:
    """A metric per (row value, column value) cell.

    Attributes:
        metric: `"mae"`, `"accuracy"`, or `"relative_<metric>"`.
        rows, cols: the `info` fields of the two axes.
        row_values, col_values: sorted values along each axis.
        values: float array `(len(row_values), len(col_values))`; NaN where
            no clip fell (e.g. disallowed (S, V) pairs).
        counts: int array of the same shape (clips per cell).
        overall: the metric over all clips (for relative grids, the relative
            difference of the two overall values).
        col_summary: float array `(len(col_values),)`: the metric over every
            clip of each column value, whatever its row (Courtney & Sreenivas
            2022's bottom row of Figures 6-9: one value per S over all V; for
            relative grids, the relative difference of the two grids' rows).
            Default: the cells of each column weighted by their clips.
        col_counts: int array `(len(col_values),)`, clips per column.
    """

    metric: str
    rows: str
    cols: str
    row_values: list
    col_values: list
    values: np.ndarray
    counts: np.ndarray
    overall: float
    col_summary: np.ndarray = None
    col_counts: np.ndarray = None

    def __post_init__(self):
        values = np.asarray(self.values, dtype=np.float64)
        weights = np.where(np.isfinite(values), np.asarray(self.counts), 0)
        if self.col_counts is None:
            self.col_counts = weights.sum(axis=0)
        if self.col_summary is None:
            total = np.where(weights > 0, values, 0.0) * weights
            with np.errstate(divide="ignore", invalid="ignore"):
                self.col_summary = np.where(weights.sum(axis=0) > 0, total.sum(axis=0) / weights.sum(axis=0), np.nan)

    def summary_row(self):
        """The per-column summary as `{column value: metric}` (e.g. per S over all V), NaN where no clip fell.

        Example:
        >>> grid = ErrorGrid("mae", "visible_every", "speed", [1, 2], [1], np.array([[0.25], [0.5]]),
        ...                  np.array([[3], [1]]), 0.3125)
        >>> grid.summary_row()
        {1: 0.3125}
        """
        return {c: float(v) for c, v in zip(self.col_values, self.col_summary)}


def per_clip_metric(predictions, targets, metric):
    """Per-clip absolute error (`"mae"`) or correctness 0/1 (`"accuracy"`)."""
    check_choice("metric", metric, METRICS)
    predictions = np.asarray(predictions)
    targets = np.asarray(targets)
    if metric == "mae":
        return np.abs(predictions.reshape(len(targets), -1)[:, 0] - targets.reshape(-1))
    return (predictions.reshape(len(targets), -1).argmax(axis=-1) == targets.reshape(-1)).astype(np.float64)


def grid_from_values(values, info, rows="visible_every", cols="speed", metric="mae"):
    """An `ErrorGrid` from per-clip metric values and their `info`."""
    cells = group_metric(values, info, by=(rows, cols))
    row_values = sorted({key[0] for key in cells})
    col_values = sorted({key[1] for key in cells})
    grid = np.full((len(row_values), len(col_values)), np.nan)
    counts = np.zeros(grid.shape, dtype=np.int64)
    for (r, c), (value, count) in cells.items():
        grid[row_values.index(r), col_values.index(c)] = value
        counts[row_values.index(r), col_values.index(c)] = count
    columns = group_metric(values, info, by=(cols,))
    col_summary = np.array([columns[(c,)][0] for c in col_values])
    col_counts = np.array([columns[(c,)][1] for c in col_values], dtype=np.int64)
    return ErrorGrid(metric, rows, cols, row_values, col_values, grid, counts, float(np.mean(values)), col_summary,
                     col_counts)


def collect_predictions(model, dataset, steps=None):
    """Runs `model` over `(clip, target, info)` batches.

    Returns:
        `(predictions, targets, info)` as NumPy arrays, info holding the
        per-clip (one value per clip) fields.
    """
    predictions, targets, infos = [], [], []
    for step, batch in enumerate(dataset):
        if steps is not None and step >= steps:
            break
        if len(batch) != 3:
            raise ValueError("`dataset` must yield (clip, target, info) batches: use with_info=True.")
        clips, target, info = batch
        predictions.append(np.asarray(model.predict_on_batch(np.asarray(clips))))  # NumPy: every backend takes it
        targets.append(np.asarray(target))
        infos.append({k: np.asarray(v) for k, v in info.items() if np.asarray(v).ndim == 1})
    if not predictions:
        raise ValueError("`dataset` yielded no batch.")
    info = {k: np.concatenate([i[k] for i in infos]) for k in infos[0]}
    return np.concatenate(predictions), np.concatenate(targets), info


def error_grid(model, dataset, rows="visible_every", cols="speed", metric="mae", steps=None, task=None):
    """Evaluates `model` on `dataset` and groups the metric by two info fields.

    Args:
        model: a Keras model whose output is a scalar (for `"mae"`) or class
            scores (for `"accuracy"`).
        dataset: iterable of batches `(clip, target, info)`, e.g.
            `quadrant_blink(..., batch_size=32, with_info=True)`.
        rows, cols: the `info` fields of the grid's axes (Courtney & Sreenivas 2022: V rows, S
            columns).
        metric: `"mae"` (mean absolute error) or `"accuracy"`.
        steps: number of batches to use (default: all; needed for endless
            datasets).
        task: a `stkeras.tasks.Task` or task name; when given, its per-clip
            metric and metric name replace `metric`.

    Returns:
        An `ErrorGrid`.

    Example:
    >>> grid = error_grid(model, quadrant_blink(split="test", num_clips=512,
    ...     task="speed", batch_size=64, with_info=True))  # doctest: +SKIP
    """
    predictions, targets, info = collect_predictions(model, dataset, steps)
    if task is not None:
        task = get_task(task)
        return grid_from_values(task.per_clip(predictions, targets), info, rows, cols, task.metric)
    check_choice("metric", metric, METRICS)
    return grid_from_values(per_clip_metric(predictions, targets, metric), info, rows, cols, metric)


def _error(grid_values, metric):
    return grid_values if metric == "mae" else 1.0 - grid_values


def relative_grid(a, b):
    """Relative difference of two grids, positive where `a` is better.

    For MAE, `(mae_b - mae_a) / mae_b`; for accuracy the same on error rates
    `1 - accuracy` (Courtney & Sreenivas 2022, Figures 7-9: "Conv3D-XL vs Conv2D-XL" is
    `relative_grid(conv3d, conv2d)`). Cells missing in either grid, or where
    `b` has no error, are NaN. The per-column summary (the figures' bottom
    row, per S) is the relative difference of the two grids' summaries, not
    a mean of the relative cells.

    Example:
    >>> import numpy as np
    >>> a = ErrorGrid("mae", "v", "s", [1], [1], np.array([[0.5]]), np.array([[4]]), 0.5)
    >>> b = ErrorGrid("mae", "v", "s", [1], [1], np.array([[1.0]]), np.array([[4]]), 1.0)
    >>> relative_grid(a, b).values
    array([[0.5]])
    """
    if (a.metric, a.rows, a.cols) != (b.metric, b.rows, b.cols):
        raise ValueError(
            f"Grids differ: {(a.metric, a.rows, a.cols)} vs {(b.metric, b.rows, b.cols)}."
        )
    row_values = sorted(set(a.row_values) | set(b.row_values))
    col_values = sorted(set(a.col_values) | set(b.col_values))

    def aligned(grid):
        out = np.full((len(row_values), len(col_values)), np.nan)
        counts = np.zeros(out.shape, dtype=np.int64)
        for i, r in enumerate(grid.row_values):
            for j, c in enumerate(grid.col_values):
                out[row_values.index(r), col_values.index(c)] = grid.values[i, j]
                counts[row_values.index(r), col_values.index(c)] = grid.counts[i, j]
        return out, counts

    def aligned_summary(grid):
        out = np.full(len(col_values), np.nan)
        counts = np.zeros(len(col_values), dtype=np.int64)
        for j, c in enumerate(grid.col_values):
            out[col_values.index(c)] = grid.col_summary[j]
            counts[col_values.index(c)] = grid.col_counts[j]
        return out, counts

    (va, ca), (vb, cb) = aligned(a), aligned(b)
    (sa, na), (sb, nb) = aligned_summary(a), aligned_summary(b)
    ea, eb = _error(va, a.metric), _error(vb, b.metric)
    summary_a, summary_b = _error(sa, a.metric), _error(sb, b.metric)
    with np.errstate(divide="ignore", invalid="ignore"):
        values = np.where(eb > 0, (eb - ea) / eb, np.nan)
        summary = np.where(summary_b > 0, (summary_b - summary_a) / summary_b, np.nan)
        overall_a, overall_b = _error(np.array(a.overall), a.metric), _error(np.array(b.overall), b.metric)
        overall = float((overall_b - overall_a) / overall_b) if overall_b > 0 else float("nan")
    return ErrorGrid(f"relative_{a.metric}", a.rows, a.cols, row_values, col_values, values, np.minimum(ca, cb), overall,
                     summary, np.minimum(na, nb))
