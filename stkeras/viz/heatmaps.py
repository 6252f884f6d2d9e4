"""Annotated heatmaps of error grids (Courtney & Sreenivas 2022, Figures 6-9)."""

import numpy as np

_LABELS = {"visible_every": "Visible frame (V)", "speed": "Pixel speed (S)"}
_SYMBOLS = {"visible_every": "V", "speed": "S"}


def _axis_label(field):
    return _LABELS.get(field, field)


def grid_table(grid):
    """The cells a grid's heatmap shows: its rows, then the per-column summary row (the figures' bottom row).

    Args:
        grid: an `ErrorGrid`.

    Returns:
        `(values, row_labels)`: a float array `(rows + 1, cols)` whose last
        row is `grid.col_summary`, and the rows' labels, the last
        `"all <rows>"` (e.g. `"all V"`: per S over every V).

    Example:
    >>> from stkeras.analysis.error_grid import ErrorGrid
    >>> grid = ErrorGrid("mae", "visible_every", "speed", [1, 2], [1], np.array([[0.25], [0.5]]),
    ...                  np.array([[3], [1]]), 0.3125)
    >>> grid_table(grid)
    (array([[0.25  ],
           [0.5   ],
           [0.3125]]), ['1', '2', 'all V'])
    """
    values = np.vstack([np.asarray(grid.values, dtype=float), np.asarray(grid.col_summary, dtype=float)[None]])
    labels = [str(v) for v in grid.row_values] + [f"all {_SYMBOLS.get(grid.rows, grid.rows)}"]
    return values, labels


def _heatmap(grid, path, title, relative):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    values, row_labels = grid_table(grid)
    masked = np.ma.masked_invalid(values)
    rows, cols = values.shape
    figure, axis = plt.subplots(figsize=(max(4.2, 1.4 + 0.75 * cols), max(2.6, 1.2 + 0.42 * rows)))
    if relative:
        limit = np.nanmax(np.abs(values)) if np.isfinite(values).any() else 1.0
        limit = limit or 1.0
        cmap = matplotlib.colormaps["RdBu"].with_extremes(bad="white")
        image = axis.imshow(masked, cmap=cmap, vmin=-limit, vmax=limit, aspect="auto")
    else:
        name = "viridis_r" if grid.metric == "mae" else "viridis"
        image = axis.imshow(masked, cmap=matplotlib.colormaps[name].with_extremes(bad="white"), aspect="auto")
    for i in range(rows):
        for j in range(cols):
            if np.isfinite(values[i, j]):
                text = f"{100 * values[i, j]:.1f}%" if relative or grid.metric == "accuracy" else f"{values[i, j]:.3f}"
                shade = image.norm(values[i, j])
                dark = shade < 0.35 if not relative else abs(shade - 0.5) > 0.35
                axis.text(j, i, text, ha="center", va="center", fontsize=7,
                          color="white" if dark else "black")
    axis.set_xticks(range(cols), [str(v) for v in grid.col_values])
    axis.set_yticks(range(rows), row_labels)
    axis.axhline(rows - 1.5, color="black", linewidth=1.5)  # the summary row below the grid
    axis.set_xlabel(_axis_label(grid.cols))
    axis.set_ylabel(_axis_label(grid.rows))
    overall = f"{100 * grid.overall:.1f}%" if relative or grid.metric == "accuracy" else f"{grid.overall:.3f}"
    axis.set_title(f"{title}\noverall {overall}", fontsize=9)
    figure.colorbar(image, ax=axis, fraction=0.05)
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)
    return path


def plot_error_grid(grid, path, title=None):
    """Writes an annotated heatmap of an `ErrorGrid` as PNG; empty cells stay blank.

    Below the grid, a summary row gives the metric per column over every row
    (per S over all V, as in Courtney & Sreenivas 2022's Figures 6-9; see
    `grid_table`).

    Example:
    >>> plot_error_grid(grid, "mae.png", title="ConvLSTM")  # doctest: +SKIP
    """
    return _heatmap(grid, path, title or grid.metric.upper(), relative=False)


def plot_relative_grid(grid, path, title=None):
    """Writes a relative grid as a heatmap on a diverging colormap centred on 0.

    Positive (blue) cells are where the first model of `relative_grid(a, b)`
    is better; values are shown in percent. The summary row below the grid
    is the relative difference per column over every row (per S).
    """
    return _heatmap(grid, path, title or "Relative difference", relative=True)
