"""Model builders, one file per family of published architectures."""

from stkeras.models.convlstm_resnet import PRESETS as CONVLSTM_RESNET_PRESETS
from stkeras.models.convlstm_resnet import ResConvLSTM
from stkeras.models.convlstm_resnet import build_convlstm_resnet
from stkeras.models.courtney import MODELS as COURTNEY_MODELS
from stkeras.models.courtney import SIZES as COURTNEY_SIZES
from stkeras.models.courtney import TASKS
from stkeras.models.courtney import build_conv2d_lstm
from stkeras.models.courtney import build_conv3d_lstm
from stkeras.models.courtney import build_courtney_resnet
from stkeras.models.courtney import build_ts_conv3d_lstm
from stkeras.models.video_resnet import PRESETS as VIDEO_RESNET_PRESETS
from stkeras.models.video_resnet import build_video_resnet
from stkeras.models.stdcf_resnet import build_small_3d_cnn
from stkeras.models.stdcf_resnet import build_stdcf_resnet
