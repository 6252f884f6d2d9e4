"""Public layers of stkeras, one per file."""

from stkeras.layers.channelwise_conv import ChannelwiseConv3D
from stkeras.layers.conv2plus1d import Conv2Plus1D
from stkeras.layers.conv_lstm import ConvLSTM2D
from stkeras.layers.fold_frames import FoldFrames
from stkeras.layers.frame_conv import FrameConv3D
from stkeras.layers.frame_pool import FrameMaxPooling3D
from stkeras.layers.fused_batch_norm import FusedBatchNormalization
from stkeras.layers.pseudo3d import Pseudo3D
from stkeras.layers.rank1 import Rank1Conv3D
from stkeras.layers.squeeze_excitation import SqueezeExcitation
from stkeras.layers.stdcf import STDCFConv3D
from stkeras.layers.temporal_pooling import TemporalPooling
from stkeras.layers.temporal_relation import TemporalRelation
from stkeras.layers.time_reverse import TimeReverse
