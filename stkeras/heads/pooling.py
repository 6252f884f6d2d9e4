"""Heads that pool the features and classify or regress: `pool`, `temporal_pool`, `per_frame`."""

import keras

from stkeras.heads.registry import register_head
from stkeras.heads.registry import spatial_pool
from stkeras.layers.temporal_pooling import MODES
from stkeras.layers.temporal_pooling import TemporalPooling
from stkeras.validation import check_choice
from stkeras.validation import check_rate


def _output(x, task, output_name):
    return task.outputs(x, output_name)


@register_head("pool", description="global average over time and space, [dropout], dense output")
def pool_head(features, *, task, output_name, prefix="", dropout=0.0):
    """Global average pooling over time and space, then the task's output layer.

    The head of the video ResNets (Tran et al. 2018) and of Miao et al. 2021's 3D CNNs.

    Args:
        dropout: dropout rate before the output layer (0: none).
    """
    check_rate("dropout", dropout)
    x = keras.layers.GlobalAveragePooling3D(name=f"{prefix}pool")(features)
    if dropout:
        x = keras.layers.Dropout(dropout, name=f"{prefix}dropout")(x)
    return _output(x, task, output_name)


@register_head("temporal_pool", description="spatial average per frame, then the last frame (or mean/max), dense output")
def temporal_pool_head(features, *, task, output_name, prefix="", mode="last"):
    """Spatial average per frame, one frame (or the mean or max) over time, then the output.

    With `mode="last"` it is the head of Courtney & Sreenivas 2022's ConvLSTM model, whose
    last frame has seen every frame.

    Args:
        mode: `"last"`, `"mean"` or `"max"` over time.
    """
    check_choice("mode", mode, MODES)
    x = TemporalPooling(mode, name=f"{prefix}temporal_pool")(spatial_pool(features, prefix))
    return _output(x, task, output_name)


@register_head("per_frame", per_frame=True, description="spatial average per frame, dense output at every frame")
def per_frame_head(features, *, task, output_name, prefix=""):
    """Spatial average per frame and the output layer at every frame: `(B, T, units)`.

    For a per-frame loss (Courtney & Sreenivas 2019); the targets are then per frame.
    """
    return _output(spatial_pool(features, prefix), task, output_name)
