"""What a model sees and costs: receptive fields, counts, error grids, per-class results, memory, PSNR, state-reset
sensitivity, temporal controls (does a model use the order and motion of its clips) and the tests behind their
verdicts."""

from stkeras.analysis.clip_controls import CONTROLS
from stkeras.analysis.clip_controls import TEST_CONTROLS
from stkeras.analysis.clip_controls import TRAIN_CONTROLS
from stkeras.analysis.clip_controls import ClipControl
from stkeras.analysis.clip_controls import apply_control
from stkeras.analysis.clip_controls import control_clips
from stkeras.analysis.clip_controls import get_control
from stkeras.analysis.clip_controls import register_control
from stkeras.analysis.control_seeds import combine_control_seeds
from stkeras.analysis.counts import count_flops
from stkeras.analysis.counts import count_params
from stkeras.analysis.counts import layer_flops
from stkeras.analysis.error_grid import ErrorGrid
from stkeras.analysis.error_grid import collect_predictions
from stkeras.analysis.error_grid import error_grid
from stkeras.analysis.error_grid import grid_from_values
from stkeras.analysis.error_grid import relative_grid
from stkeras.analysis.memory import training_step_memory
from stkeras.analysis.per_class import mean_class_accuracy
from stkeras.analysis.per_class import per_class_report
from stkeras.analysis.per_class import write_per_class_csv
from stkeras.analysis.memory_estimate import training_memory_estimate
from stkeras.analysis.psnr import clip_psnr
from stkeras.analysis.receptive_field import format_receptive_field
from stkeras.analysis.receptive_field import receptive_field
from stkeras.analysis.state_reset import ConvLSTMScale
from stkeras.analysis.state_reset import StateResetSensitivity
from stkeras.analysis.state_reset import convlstm_scales
from stkeras.analysis.state_reset import state_reset_sensitivity
from stkeras.analysis.significance import mcnemar_test
from stkeras.analysis.significance import welch_test
from stkeras.analysis.significance import wilcoxon_test
from stkeras.analysis.state_reset import with_state_resets
from stkeras.analysis.temporal_controls import ControlScores
from stkeras.analysis.temporal_controls import temporal_controls
from stkeras.analysis.temporal_controls import training_controls
from stkeras.viz.heatmaps import plot_error_grid
from stkeras.viz.heatmaps import plot_relative_grid
