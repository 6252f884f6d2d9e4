import keras
import matplotlib.image
import numpy as np
import pytest

from stkeras.analysis import error_grid
from stkeras.analysis import grid_from_values
from stkeras.analysis import plot_error_grid
from stkeras.analysis import plot_relative_grid
from stkeras.analysis import relative_grid
from stkeras.data import quadrant_blink
from stkeras.viz import grid_table


def _constant_model(value, units=1, input_shape=(4, 32, 32, 1)):
    """A model that ignores the clip and outputs `value` (known errors)."""
    inputs = keras.Input(input_shape)
    x = keras.layers.GlobalAveragePooling3D()(inputs)
    dense = keras.layers.Dense(units, kernel_initializer="zeros", bias_initializer=keras.initializers.Constant(value))
    return keras.Model(inputs, dense(x))


def _dataset(task):
    return quadrant_blink(num_clips=96, frames=4, size=32, digit_size=14, task=task,
                          with_info=True, batch_size=32, digits="embedded", speeds=range(1, 5),
                          visible_every=range(1, 4))


def _info(task):
    info = [b[2] for b in _dataset(task)]
    return {k: np.concatenate([np.asarray(i[k]) for i in info]) for k in ("speed", "visible_every", "digit")}


def test_mae_grid_of_a_constant_predictor():
    grid = error_grid(_constant_model(3.0), _dataset("speed"))
    assert grid.row_values == [1, 2, 3] and grid.col_values == [1, 2, 3, 4]
    for i, v in enumerate(grid.row_values):
        for j, s in enumerate(grid.col_values):
            if grid.counts[i, j]:
                assert grid.values[i, j] == pytest.approx(abs(3 - s))
    assert grid.counts.sum() == 96
    info = _info("speed")
    assert grid.overall == pytest.approx(np.mean(np.abs(3 - info["speed"])))


def test_accuracy_grid_of_a_constant_classifier():
    model = _constant_model(0.0, units=10)
    model.layers[-1].bias.assign(np.eye(10)[7])  # always predicts 7
    grid = error_grid(model, _dataset("digit"), metric="accuracy")
    info = _info("digit")
    for i, v in enumerate(grid.row_values):
        for j, s in enumerate(grid.col_values):
            cell = (info["visible_every"] == v) & (info["speed"] == s)
            if cell.any():
                assert grid.values[i, j] == pytest.approx(np.mean(info["digit"][cell] == 7))
                assert grid.counts[i, j] == cell.sum()
            else:
                assert np.isnan(grid.values[i, j])


def test_relative_grid_is_positive_where_the_first_is_better():
    good, bad = error_grid(_constant_model(2.5), _dataset("speed")), error_grid(_constant_model(0.0), _dataset("speed"))
    rel = relative_grid(good, bad)
    for j, s in enumerate(rel.col_values):
        for i in range(len(rel.row_values)):
            if rel.counts[i, j]:
                assert rel.values[i, j] == pytest.approx((s - abs(2.5 - s)) / s)
    assert rel.overall == pytest.approx((bad.overall - good.overall) / bad.overall)
    with pytest.raises(ValueError, match="Grids differ"):
        acc = error_grid(_constant_model(0.0, units=10), _dataset("digit"), metric="accuracy")
        relative_grid(good, acc)


def test_plots_write_pngs_with_blank_missing_cells(tmp_path):
    grid = error_grid(_constant_model(3.0), _dataset("speed"))
    grid.values[0, 0] = np.nan
    path = plot_error_grid(grid, str(tmp_path / "grid.png"), title="constant")
    rel = relative_grid(grid, error_grid(_constant_model(0.0), _dataset("speed")))
    rel_path = plot_relative_grid(rel, str(tmp_path / "rel.png"))
    for p in (path, rel_path):
        image = matplotlib.image.imread(p)
        assert image.shape[0] > 100 and image.shape[1] > 100


def test_needs_info():
    ds = quadrant_blink(num_clips=4, frames=4, size=32, digit_size=14, task="speed", batch_size=4, digits="embedded")
    with pytest.raises(ValueError, match="with_info=True"):
        error_grid(_constant_model(1.0), ds)


def _uneven_clips():
    """Per-clip errors over (V, S) with unequal clips per cell, so a plain mean of cells is not the per-S value."""
    rng = np.random.default_rng(3)
    v = np.array([1] * 10 + [2] * 2 + [1] * 3 + [2] * 7 + [3] * 1)
    s = np.array([1] * 12 + [2] * 11)
    return rng.uniform(0, 2, size=len(v)), {"visible_every": v, "speed": s}


def test_per_s_summary_row_is_the_metric_over_every_clip_of_that_s():
    values, info = _uneven_clips()
    grid = grid_from_values(values, info)
    assert grid.col_values == [1, 2] and grid.row_values == [1, 2, 3]
    for j, speed in enumerate(grid.col_values):
        expected = values[info["speed"] == speed].mean()
        assert grid.col_summary[j] == pytest.approx(expected)
        assert grid.summary_row()[speed] == pytest.approx(expected)
        assert grid.col_counts[j] == (info["speed"] == speed).sum()
    assert grid.col_summary[0] != pytest.approx(np.nanmean(grid.values[:, 0]))  # weighted by clips, not cells


def test_relative_per_s_row_is_the_relative_difference_of_the_per_s_errors():
    values, info = _uneven_clips()
    worse = values + np.where(info["visible_every"] == 1, 1.0, 0.1)
    a, b = grid_from_values(values, info), grid_from_values(worse, info)
    rel = relative_grid(a, b)
    for j, speed in enumerate(rel.col_values):
        mine, theirs = values[info["speed"] == speed].mean(), worse[info["speed"] == speed].mean()
        assert rel.col_summary[j] == pytest.approx((theirs - mine) / theirs)
    # As in Courtney & Sreenivas 2022's Figure 7, not the mean of the relative cells.
    assert rel.col_summary[0] != pytest.approx(np.nanmean(rel.values[:, 0]))


def test_the_heatmap_shows_the_per_s_row_below_the_grid():
    values, info = _uneven_clips()
    grid = grid_from_values(values, info)
    table, labels = grid_table(grid)
    assert labels == ["1", "2", "3", "all V"] and table.shape == (4, 2)
    np.testing.assert_array_equal(table[:3], grid.values)
    np.testing.assert_allclose(table[3], [values[info["speed"] == s].mean() for s in (1, 2)])
