"""Model builders, one family per file, the presets of all of them, and preset folders.

Every family (`stkeras.models.family`) has a backbone builder (clips to
features, stage outputs named), a default head from `stkeras.heads` and a
builder that assembles backbone + head + task into a `VideoModel` whose
output layer is `"predictions"`. Each family's named models are presets:
data in its `<family>_presets.py` file, listed by `list_presets()` and built
by `from_preset`. `save_preset` writes a model to a folder that
`from_preset(DIR)` loads.
"""

from stkeras.models.courtney import WIDTHS as COURTNEY_WIDTHS
from stkeras.models.courtney import build_conv2d_lstm
from stkeras.models.courtney import build_conv3d_lstm
from stkeras.models.courtney import build_convlstm_resnet
from stkeras.models.courtney import build_courtney_backbone
from stkeras.models.courtney import build_courtney_resnet
from stkeras.models.courtney import build_ts_conv3d_lstm
from stkeras.models.family import FAMILIES
from stkeras.models.family import Family
from stkeras.models.family import get_family
from stkeras.models.family import register_family
from stkeras.models.frame_model import build_frame_cnn
from stkeras.models.frame_model import build_frame_model
from stkeras.models.frame_model import build_frame_model_backbone
from stkeras.models.frame_model import frame_backbones
from stkeras.models.preset_folder import PresetFolder
from stkeras.models.preset_folder import read_preset
from stkeras.models.preset_folder import save_preset
from stkeras.models.presets import Preset
from stkeras.models.presets import from_preset
from stkeras.models.presets import get_preset
from stkeras.models.presets import list_presets
from stkeras.models.presets import register_presets
from stkeras.models.res_convlstm import ResConvLSTM
from stkeras.models.res_convlstm import build_res_convlstm
from stkeras.models.res_convlstm import build_res_convlstm_backbone
from stkeras.models.res_convlstm import res_convlstm_features
from stkeras.models.small_3d_cnn import build_small_3d_autoencoder
from stkeras.models.small_3d_cnn import build_small_3d_cnn
from stkeras.models.small_3d_cnn import build_small_3d_cnn_backbone
from stkeras.models.squeezenet import build_squeezenet1_1
from stkeras.models.squeezenet import fire_module
from stkeras.models.stdcf_resnet import build_stdcf_resnet
from stkeras.models.stdcf_resnet import build_stdcf_resnet_backbone
from stkeras.models.taps import block_names
from stkeras.models.taps import expose_ops
from stkeras.models.taps import find_layer
from stkeras.models.video_model import VideoModel
from stkeras.models.video_resnet import KINDS as VIDEO_RESNET_KINDS
from stkeras.models.video_resnet import build_video_resnet
from stkeras.models.video_resnet import build_video_resnet_backbone
from stkeras.models.video_resnet import freeze_stages
from stkeras.models.video_resnet_torchvision import load_torchvision_weights
from stkeras.models.vggm_convlstm import build_vggm_convlstm
from stkeras.models.vggm_convlstm import build_vggm_convlstm_backbone
