"""Public layers of stkeras, one per file."""

from stkeras.layers.conv_lstm import ConvLSTM2D
from stkeras.layers.temporal_pooling import TemporalPooling
from stkeras.layers.time_reverse import TimeReverse
