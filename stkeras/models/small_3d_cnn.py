"""Miao et al. 2021's three-layer 3D CNNs (the KTH network) and the TR-MNIST reconstruction network.

Both are made of regular, rank-1 or STDCF convolutions (`conv`).
"""

import keras

from stkeras.blocks.ops import get_op
from stkeras.layers.frame_pool import FrameMaxPooling3D
from stkeras.layers.normalization import normalization_layer
from stkeras.models.checks import check_input_shape
from stkeras.models.family import records_build
from stkeras.models.family import register_family
from stkeras.models.video_model import VideoModel
from stkeras.tasks import resolve_task
from stkeras.validation import check_choice

SMALL_CONVS = {"regular": "conv3d", "rank1": "rank1", "stdcf": "stdcf"}


def _small_convolution(conv, num_spatial_atoms, num_temporal_atoms):
    """`convolution(x, units, index, strides=1, **dtype)` with the conv named by `conv`."""
    check_choice("conv", conv, tuple(SMALL_CONVS))
    spec = get_op(SMALL_CONVS[conv])
    options = {"num_spatial_atoms": num_spatial_atoms, "num_temporal_atoms": num_temporal_atoms}
    options = spec.check_options({k: v for k, v in options.items() if v is not None},
                                 "num_spatial_atoms and num_temporal_atoms")

    def convolution(x, units, index, strides=1, **dtype):
        return spec.build(units, strides=strides, name=f"conv{index}", **options, **dtype)(x)

    return convolution


def _check_filters(filters, count):
    if not isinstance(filters, (tuple, list)) or len(filters) != count or not all(
        isinstance(f, int) and not isinstance(f, bool) and f >= 1 for f in filters
    ):
        raise ValueError(f"`filters` must be {count} positive ints. Received: filters={filters!r}")
    return tuple(filters)


@records_build
def build_small_3d_cnn_backbone(
    *,
    conv="stdcf",
    input_shape=(16, 60, 80, 1),
    filters=(32, 64, 128),
    num_spatial_atoms=None,
    num_temporal_atoms=None,
    name=None,
):
    """The three-layer 3D CNN without its output: three convolutions, each with batch normalization, ReLU and
    a `1x2x2` max-pool.

    Args: as `build_small_3d_cnn`'s, without the output.

    Example:
    >>> build_small_3d_cnn_backbone(conv="regular", input_shape=(4, 16, 16, 1)).output.shape
    (None, 4, 2, 2, 128)
    """
    convolution = _small_convolution(conv, num_spatial_atoms, num_temporal_atoms)
    shape = check_input_shape(input_shape, allow_unknown_size=True)
    filters = _check_filters(filters, 3)

    inputs = keras.Input(shape=shape, name="clips")
    x = inputs
    for index, units in enumerate(filters, start=1):
        x = convolution(x, units, index)
        x = normalization_layer("batch", name=f"conv{index}_bn")(x)
        x = keras.layers.Activation("relu", name=f"conv{index}_relu")(x)
        x = FrameMaxPooling3D((1, 2, 2), padding="same", name=f"pool{index}")(x)
    return VideoModel(inputs, x, stage_names=["pool1", "pool2", "pool3"], name=name or f"{conv}_3d_cnn_backbone")


@records_build
def build_small_3d_cnn(
    *,
    conv="stdcf",
    input_shape=(16, 60, 80, 1),
    num_classes=None,
    task=None,
    classifier_activation="softmax",
    filters=(32, 64, 128),
    num_spatial_atoms=None,
    num_temporal_atoms=None,
    name=None,
):
    """Miao et al. 2021's three-layer 3D CNN (the KTH network), with regular, rank-1 or STDCF convolutions.

    Three `3x3x3` convolutions, each followed by batch normalization, ReLU
    and a `1x2x2` max-pool, then global average pooling and the output
    layer `"predictions"`. The paper's Table B is not in its text; this
    follows its description.

    Args:
        conv: `"regular"` (Conv3D), `"rank1"` or `"stdcf"`.
        input_shape: `(frames, height, width, channels)`; use
            `(None, None, None, channels)` for `itsl_fit`.
        num_classes: classes (6, KTH's actions, when neither `num_classes`
            nor `task` is given); or give `task`.
        task: a `stkeras.tasks.Task` or a registered task name.
        classifier_activation: the classifier's activation with `num_classes`.
        filters: channels of the three convolutions.
        num_spatial_atoms, num_temporal_atoms: `M`, `N` for STDCF (default
            6 and 2); refused for convolutions without atoms.
        name: model name.

    Example:
    >>> model = build_small_3d_cnn(conv="rank1", input_shape=(None, None, None, 1))
    >>> model.output.shape
    (None, 6)

    Reference: Miao et al. 2021, Sections 2.1.1 and 3.1.
    """
    task = resolve_task(num_classes, task, default=6, classifier_activation=classifier_activation)
    backbone = build_small_3d_cnn_backbone(conv=conv, input_shape=input_shape, filters=filters,
                                           num_spatial_atoms=num_spatial_atoms, num_temporal_atoms=num_temporal_atoms)
    return backbone.with_head("pool", task=task, name=name or f"{conv}_3d_cnn_classification")


def build_small_3d_autoencoder(
    *,
    conv="stdcf",
    input_shape=(16, 60, 80, 1),
    filters=(32, 64),
    num_spatial_atoms=None,
    num_temporal_atoms=None,
    name=None,
):
    """Miao et al. 2021's TR-MNIST network: rebuilds a clip through a half-resolution code.

    A convolution with spatial stride 2 and ReLU, a convolution and ReLU, a
    2x spatial upsampling and a linear convolution to the input channels
    (a sigmoid output let short trainings collapse to black clips). The
    paper's Table B is not in its text; this follows its description.

    Args:
        conv: `"regular"` (Conv3D), `"rank1"` or `"stdcf"`.
        input_shape: `(frames, height, width, channels)`; frames, height and
            width may be None.
        filters: channels of the first two convolutions.
        num_spatial_atoms, num_temporal_atoms: `M`, `N` for STDCF (default
            6 and 2); refused for convolutions without atoms.
        name: model name.

    Example:
    >>> model = build_small_3d_autoencoder(conv="regular", input_shape=(8, 32, 32, 1), filters=(16, 16))
    >>> model.output.shape
    (None, 8, 32, 32, 1)

    Reference: Miao et al. 2021, Sections 2.1.1 and 3.1.
    """
    convolution = _small_convolution(conv, num_spatial_atoms, num_temporal_atoms)
    shape = check_input_shape(input_shape, allow_unknown_size=True)
    filters = _check_filters(filters, 2)

    inputs = keras.Input(shape=shape, name="clips")
    x = keras.layers.Activation("relu", name="conv1_relu")(convolution(inputs, filters[0], 1, strides=2))
    x = keras.layers.Activation("relu", name="conv2_relu")(convolution(x, filters[1], 2))
    x = keras.layers.UpSampling3D((1, 2, 2), name="upsample")(x)
    outputs = convolution(x, shape[3], 3, dtype="float32")  # the loss reads float32 under mixed precision
    return VideoModel(inputs, outputs, stage_names=["conv1_relu", "conv2_relu", "conv3"],
                      name=name or f"{conv}_3d_cnn_reconstruction")


register_family("small_3d_cnn", backbone=build_small_3d_cnn_backbone, builder=build_small_3d_cnn, head="pool",
                paper="Miao et al. 2021")
