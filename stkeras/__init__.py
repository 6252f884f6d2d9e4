"""stkeras: Keras 3 layers, model builders and tools for spatiotemporal networks.

Example:
>>> from stkeras import build_convlstm_resnet
>>> model = build_convlstm_resnet(size="base", task="speed")
>>> model = from_preset("r2plus1d_18", num_classes=101)
"""

from stkeras.quiet import quiet_start_for_command_line

quiet_start_for_command_line()  # the `stkeras` command starts without TensorFlow's log lines

from stkeras import blocks  # noqa: E402
from stkeras import heads
from stkeras import layers
from stkeras import models
from stkeras import tasks
from stkeras.blocks import ResidualBasic
from stkeras.blocks import ResidualBottleneck
from stkeras.layers import ConvLSTM2D
from stkeras.models import ResConvLSTM
from stkeras.models import VideoModel
from stkeras.models import build_conv2d_lstm
from stkeras.models import build_conv3d_lstm
from stkeras.models import build_convlstm_resnet
from stkeras.models import build_courtney_resnet
from stkeras.models import build_frame_model
from stkeras.models import build_res_convlstm
from stkeras.models import build_small_3d_autoencoder
from stkeras.models import build_small_3d_cnn
from stkeras.models import build_stdcf_resnet
from stkeras.models import build_ts_conv3d_lstm
from stkeras.models import build_video_resnet
from stkeras.models import build_vggm_convlstm
from stkeras.models import from_preset
from stkeras.models import list_presets
from stkeras.tasks import Task

__version__ = "0.1.0"
