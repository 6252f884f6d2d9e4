"""Fully convolutional heads: 2D-FCN over the `(N, D)` feature matrix, 3D-FCN over feature maps (Köpüklü et al., 3.4)."""

import keras

from stkeras.heads.registry import register_head
from stkeras.layers.fused_batch_norm import FusedBatchNormalization
from stkeras.validation import normalize_tuple


def _conv_bn_relu(x, conv, name):
    x = conv(x)
    x = FusedBatchNormalization(name=f"{name}_bn")(x)
    return keras.layers.ReLU(name=f"{name}_relu")(x)


def _class_scores(x, conv, task, output_name, prefix, pool):
    # As the reference code: a ReLU on the 1x1 convolution's scores, then the average.
    x = keras.layers.ReLU(name=f"{prefix}scores_relu")(conv(x))
    x = pool(name=f"{prefix}pool")(x)
    return task.outputs(x, output_name, dense=False)


@register_head("fcn2d", input="vectors", description="2D convolutions over the (N, D) feature matrix, stride (1, 2), "
                                                     "averaged scores (Köpüklü et al.)")
def fcn2d_head(features, *, task, output_name, prefix="", filters=(64, 64, 128, 128, 256)):
    """2D convolutions over the frames' features as a one-channel `N x D` image.

    `3x3` convolutions with stride `(1, 2)` (frames kept, features halved),
    each with batch norm and ReLU, a `1x1` convolution to the task's units and
    an average over the `N x D/32` positions (Köpüklü et al., Table 1).

    Args:
        filters: channels of the `3x3` convolutions (Table 1: 64, 64, 128,
            128, 256).
    """
    filters = normalize_tuple(filters, len(filters) if isinstance(filters, (tuple, list)) else 1, "filters")
    frames, channels = features.shape[1], features.shape[2]
    if frames is None or channels is None:
        raise ValueError(f"Head 'fcn2d' reads the (N, D) feature matrix: both must be known. "
                         f"Received: features of shape {tuple(features.shape)}")
    x = keras.layers.Reshape((frames, channels, 1), name=f"{prefix}matrix")(features)
    x = keras.layers.ReLU(name=f"{prefix}relu")(x)
    for i, width in enumerate(filters):
        name = f"{prefix}conv{i + 1}"
        x = _conv_bn_relu(x, keras.layers.Conv2D(width, 3, strides=(1, 2), padding="same", name=name), name)
    conv = keras.layers.Conv2D(task.units, 1, name=f"{prefix}conv{len(filters) + 1}")
    return _class_scores(x, conv, task, output_name, prefix, keras.layers.GlobalAveragePooling2D)


@register_head("fcn3d", input="clips", description="3D convolutions over feature maps, stride (2, 1, 1), averaged "
                                                   "scores (Köpüklü et al.)")
def fcn3d_head(features, *, task, output_name, prefix="", filters=(64, 128, 256)):
    """3D convolutions over the frames' feature maps stacked in time.

    `3x3x3` convolutions with stride `(2, 1, 1)` (time halved, space kept),
    each with batch norm and ReLU, a `1x1x1` convolution to the task's units
    and an average over time and space (Köpüklü et al., Table 2).

    Args:
        filters: channels of the `3x3x3` convolutions (Table 2: 64, 128, 256).
    """
    filters = normalize_tuple(filters, len(filters) if isinstance(filters, (tuple, list)) else 1, "filters")
    x = keras.layers.ReLU(name=f"{prefix}relu")(features)
    for i, width in enumerate(filters):
        name = f"{prefix}conv{i + 1}"
        x = _conv_bn_relu(x, keras.layers.Conv3D(width, 3, strides=(2, 1, 1), padding="same", name=name), name)
    conv = keras.layers.Conv3D(task.units, 1, name=f"{prefix}conv{len(filters) + 1}")
    return _class_scores(x, conv, task, output_name, prefix, keras.layers.GlobalAveragePooling3D)
