"""Courtney & Sreenivas 2019's VGG-M ConvLSTM (Section 3.2, Figure 3a; Table 1's first ConvLSTM model).

The paper bases the model on VGG-M as Chung & Zisserman used it for lipreading
(their Figure 1a): conv1 3x3 (96) + max pool, conv2 3x3 stride 2 (256) + max
pool, conv3-conv5 3x3 (512) + max pool, then fully connected layers. The
first layer stays a 2D convolution on every frame (the multitower model's
choice); conv2-conv5 become convolutional LSTMs with fewer channels, "to
compensate for the larger number of weights in convolutional LSTM layers".
Figure 3a's widths are not in the text. This reconstruction divides VGG-M's
widths by sqrt(8), the factor by which a ConvLSTM outnumbers the weights of a
convolution of the same width (four gates, each reading input and hidden
state), rounded to multiples of 32: 96, 256, 512 become 96 (conv1 stays 2D),
96 and 192. An LSTM of 256 units that reads each frame's final 3x3 map
flattened replaces the fully connected layers, as in the ResNet ConvLSTM.
"""

import keras

from stkeras.heads.recurrent import check_recurrent_units
from stkeras.heads.registry import get_head
from stkeras.layers.conv_lstm import ConvLSTM2D
from stkeras.layers.frame_conv import FrameConv3D
from stkeras.layers.frame_pool import FrameMaxPooling3D
from stkeras.layers.normalization import check_normalization
from stkeras.layers.normalization import normalization_layer
from stkeras.models.checks import check_input_shape
from stkeras.models.checks import check_strides_fit
from stkeras.models.family import records_build
from stkeras.models.family import register_family
from stkeras.models.res_convlstm import SPATIAL_REDUCTIONS
from stkeras.models.res_convlstm import reduce_frames
from stkeras.models.video_model import VideoModel
from stkeras.tasks import resolve_task
from stkeras.validation import check_choice
from stkeras.validation import check_positive_int
from stkeras.validation import check_rate

# VGG-M's layers for lipreading: (name, spatial stride of the conv, max pool after it).
_LAYERS = (("conv1", 1, True), ("conv2", 2, True), ("conv3", 1, False), ("conv4", 1, False), ("conv5", 1, True))


@records_build
def build_vggm_convlstm_backbone(*, input_shape=(29, 48, 48, 1), filters=(96, 96, 192, 192, 192), normalization="batch",
                                 name="vggm_convlstm_backbone"):
    """VGG-M ConvLSTM without its LSTM and output: a 2D conv1, ConvLSTMs conv2-conv5, batch norms and pools.

    Args: as `build_vggm_convlstm`'s, without the head and the output.

    Example:
    >>> build_vggm_convlstm_backbone(input_shape=(4, 48, 48, 1)).output.shape
    (None, 4, 3, 3, 192)
    """
    shape = check_input_shape(input_shape)
    check_normalization(normalization)
    if not isinstance(filters, (tuple, list)) or len(filters) != len(_LAYERS):
        raise ValueError(f"`filters` must hold {len(_LAYERS)} channel counts (conv1 ... conv5). "
                         f"Received: filters={filters!r}")
    for i, f in enumerate(filters):
        check_positive_int(f"filters[{i}]", f)
    strides = []
    for layer_name, stride, pool in _LAYERS:
        strides.append((layer_name, 1, stride))
        if pool:
            strides.append((f"{layer_name}_pool", 1, 2))
    check_strides_fit(shape, strides)

    inputs = keras.Input(shape=shape, name="clips")
    x = inputs
    for (layer_name, stride, pool), channels in zip(_LAYERS, filters):
        if layer_name == "conv1":
            x = FrameConv3D(channels, (1, 3, 3), padding="same", name=layer_name)(x)
        else:
            x = ConvLSTM2D(channels, 3, strides=stride, padding="same", return_sequences=True, name=layer_name)(x)
        norm = normalization_layer(normalization, name=f"{layer_name}_bn")
        if norm is not None:
            x = norm(x)
        x = keras.layers.Activation("relu", name=f"{layer_name}_relu")(x)
        if pool:
            x = FrameMaxPooling3D((1, 3, 3), strides=(1, 2, 2), padding="same", name=f"{layer_name}_pool")(x)
    return VideoModel(inputs, x, stage_names=[f"conv{i}" for i in range(1, 6)], feature_name="conv5_pool", name=name)


@records_build
def build_vggm_convlstm(
    *,
    input_shape=(29, 48, 48, 1),
    num_classes=None,
    task=None,
    classifier_activation="softmax",
    filters=(96, 96, 192, 192, 192),
    lstm_units=256,
    dropout=0.5,
    normalization="batch",
    spatial_reduction="flatten",
    per_frame=False,
    name="vggm_convlstm",
):
    """Builds Courtney & Sreenivas 2019's VGG-M ConvLSTM: a 2D conv1, then ConvLSTMs in VGG-M's places.

    Args:
        input_shape: `(frames, height, width, channels)`; frames may be None.
        num_classes: classes of the softmax output (500, LRW's words, when
            neither `num_classes` nor `task` is given); or give `task`.
        task: a `stkeras.tasks.Task` or a registered task name.
        classifier_activation: the classifier's activation with `num_classes`.
        filters: channels of conv1 (a per-frame 2D convolution) and of the
            ConvLSTMs conv2-conv5.
        lstm_units: units of the LSTM before the output.
        dropout: dropout before the LSTM, one mask per sequence.
        normalization: `"batch"` after every layer (synchronized over the
            replicas when run on several), `"sync_batch"` (always
            synchronized) or `None`.
        spatial_reduction: how the LSTM reads the last maps: `"flatten"` or
            `"mean"` (see `build_res_convlstm`).
        per_frame: outputs at every frame, for a per-frame loss.
        name: model name.

    Returns:
        an uncompiled `VideoModel` with stages `conv1` ... `conv5`.

    Example:
    >>> model = build_vggm_convlstm(input_shape=(8, 48, 48, 1))
    >>> [model.get_layer(f"conv{i}").output.shape[2] for i in (1, 2, 5)], round(model.count_params() / 1e6, 1)
    ([48, 12, 6], 10.1)

    Reference: Courtney & Sreenivas 2019, Section 3.2 and Figure 3a;
    Chung & Zisserman 2016 (VGG-M for lipreading).
    """
    # ---- arguments
    check_input_shape(input_shape)
    task = resolve_task(num_classes, task, default=500, classifier_activation=classifier_activation)
    check_recurrent_units(lstm_units, argument="lstm_units")
    rate = check_rate("dropout", dropout)
    check_normalization(normalization)
    check_choice("spatial_reduction", spatial_reduction, SPATIAL_REDUCTIONS)

    # ---- functional graph
    backbone = build_vggm_convlstm_backbone(input_shape=input_shape, filters=filters, normalization=normalization)
    frames = reduce_frames(backbone.output, spatial_reduction)
    outputs = get_head("lstm").apply(frames, task=task, layers=1,
                                     units=lstm_units, dropout=rate, per_frame=per_frame)
    return VideoModel(backbone.inputs[0], outputs, stage_names=backbone.stage_names, feature_name="conv5_pool",
                      task=task, name=name)


register_family("vggm_convlstm", backbone=build_vggm_convlstm_backbone, builder=build_vggm_convlstm, head="lstm",
                head_options={"layers": 1, "units": 256, "dropout": 0.5}, paper="Courtney & Sreenivas 2019")
