import keras
import matplotlib.image
import numpy as np
import pytest

from stkeras.analysis import error_grid
from stkeras.analysis import plot_error_grid
from stkeras.analysis import plot_relative_grid
from stkeras.analysis import relative_grid
from stkeras.data import quadrant_blink


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
