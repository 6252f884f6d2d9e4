"""Plots of clips and results (matplotlib, Agg backend)."""

from stkeras.viz.frame_strip import plot_frame_strip
