"""Model builders, one file per family of published architectures.

Every builder returns a `VideoModel`: a backbone (clips to features, stage
outputs named) plus a head from `stkeras.heads`.
"""

from stkeras.models.convlstm_resnet import PRESETS as CONVLSTM_RESNET_PRESETS
from stkeras.models.convlstm_resnet import ResConvLSTM
from stkeras.models.convlstm_resnet import build_convlstm_resnet
from stkeras.models.convlstm_resnet import res_convlstm_features
from stkeras.models.courtney import MODELS as COURTNEY_MODELS
from stkeras.models.courtney import SIZES as COURTNEY_SIZES
from stkeras.models.courtney import build_conv2d_lstm
from stkeras.models.courtney import build_conv3d_lstm
from stkeras.models.courtney import build_courtney_backbone
from stkeras.models.courtney import build_courtney_resnet
from stkeras.models.courtney import build_ts_conv3d_lstm
from stkeras.models.frame_model import build_frame_cnn
from stkeras.models.frame_model import build_frame_model
from stkeras.models.frame_model import frame_backbones
from stkeras.models.stdcf_resnet import PRESETS as STDCF_RESNET_PRESETS
from stkeras.models.stdcf_resnet import build_small_3d_cnn
from stkeras.models.stdcf_resnet import build_stdcf_resnet
from stkeras.models.taps import block_names
from stkeras.models.taps import expose_ops
from stkeras.models.taps import find_layer
from stkeras.models.video_model import VideoModel
from stkeras.models.video_resnet import KINDS as VIDEO_RESNET_KINDS
from stkeras.models.video_resnet import PRESETS as VIDEO_RESNET_PRESETS
from stkeras.models.video_resnet import build_video_resnet
from stkeras.models.video_resnet import build_video_resnet_backbone
from stkeras.models.vggm_convlstm import build_vggm_convlstm
