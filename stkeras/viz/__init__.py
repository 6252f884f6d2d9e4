"""Plots of clips and results (matplotlib, Agg backend)."""

from stkeras.viz.curves import plot_training_curves
from stkeras.viz.frame_strip import plot_frame_strip
from stkeras.viz.heatmaps import grid_table
from stkeras.viz.heatmaps import plot_error_grid
from stkeras.viz.heatmaps import plot_relative_grid
from stkeras.viz.itsl import plot_itsl_stages
from stkeras.viz.pareto import plot_pareto
from stkeras.viz.sensitivity import plot_state_reset_sensitivity
