"""What a model sees and costs: receptive fields, counts, error grids, memory, PSNR, state-reset sensitivity."""

from stkeras.analysis.counts import count_flops
from stkeras.analysis.counts import count_params
from stkeras.analysis.counts import layer_flops
from stkeras.analysis.error_grid import ErrorGrid
from stkeras.analysis.error_grid import collect_predictions
from stkeras.analysis.error_grid import error_grid
from stkeras.analysis.error_grid import grid_from_values
from stkeras.analysis.error_grid import relative_grid
from stkeras.analysis.memory import training_step_memory
from stkeras.analysis.memory_estimate import training_memory_estimate
from stkeras.analysis.psnr import clip_psnr
from stkeras.analysis.receptive_field import format_receptive_field
from stkeras.analysis.receptive_field import receptive_field
from stkeras.analysis.state_reset import ConvLSTMScale
from stkeras.analysis.state_reset import StateResetSensitivity
from stkeras.analysis.state_reset import convlstm_scales
from stkeras.analysis.state_reset import state_reset_sensitivity
from stkeras.analysis.state_reset import with_state_resets
from stkeras.viz.heatmaps import plot_error_grid
from stkeras.viz.heatmaps import plot_relative_grid
