"""X3D (Feichtenhofer 2020): a small video ResNet of channel-wise 3D convolutions, expanded along several axes.

The network is PyTorchVideo's `create_x3d`, so that its checkpoints load
(`x3d_pytorchvideo.py`): a stem of a `1x3x3` convolution (stride 2) and a
channel-wise `5x1x1` temporal convolution, then stages res2 ... res5 of
bottleneck blocks (`1x1x1` reduce to `bottleneck_factor` times the stage's
width, a channel-wise `3x3x3` convolution with squeeze-excitation on every
other block and swish, `1x1x1` expand; the first block of a stage strides
space by 2), then conv5 (`1x1x1` to the last stage's inner width), an
average pooling, fc1 (2048 units, ReLU, no normalization), dropout and the
classifier. Convolutions pad as PyTorch (`k // 2` on both sides) and batch
normalizations have PyTorch's epsilon 1e-5 and momentum 0.1 (Keras' 0.9).
X3D-XS, S, M and L are presets (`x3d_presets.py`): the same network at
other clip sizes, and deeper for L.
"""

import math
import os

import keras

from stkeras.blocks.bottleneck import ResidualBottleneck
from stkeras.blocks.ops import get_op
from stkeras.layers.channelwise_conv import ChannelwiseConv3D
from stkeras.layers.frame_conv import FrameConv3D
from stkeras.layers.normalization import normalization_layer
from stkeras.models.checks import check_input_shape
from stkeras.models.checks import check_op_plan
from stkeras.models.checks import check_per_stage
from stkeras.models.checks import check_strides_fit
from stkeras.models.family import records_build
from stkeras.models.family import register_family
from stkeras.models.video_model import VideoModel
from stkeras.tasks import resolve_task
from stkeras.validation import check_number
from stkeras.validation import check_options
from stkeras.validation import check_positive_int
from stkeras.validation import check_rate
from stkeras.validation import normalize_tuple
from stkeras.weights.mapping import load_weights_file

STAGES = ("res2", "res3", "res4", "res5")
# Blocks per stage before the depth factor, and the stem's and the stages' channels before the width factor.
BASE_DEPTHS = (1, 2, 5, 3)
STEM_CHANNELS = 12
# PyTorch's batch normalization (momentum 0.1 there is 0.9 in Keras' convention), as PyTorchVideo's X3D.
NORM = {"norm_momentum": 0.9, "norm_epsilon": 1e-5}


def round_width(width, multiplier, min_width=8, divisor=8):
    """`width * multiplier` rounded to a multiple of `divisor` (PyTorchVideo's and PySlowFast's rule).

    Example:
    >>> round_width(12, 2.0), round_width(432, 0.0625), round_width(54, 0.0625)
    (24, 32, 8)
    """
    width *= multiplier
    rounded = max(min_width, int(width + divisor / 2) // divisor * divisor)
    if rounded < 0.9 * width:
        rounded += divisor
    return int(rounded)


def stage_design(*, width_factor=2.0, depth_factor=2.2, bottleneck_factor=2.25, se_ratio=0.0625):
    """Per stage `(blocks, channels, inner channels, squeeze-excitation channels)` of an X3D.

    Example:
    >>> stage_design()
    [(3, 24, 54, 8), (5, 48, 108, 8), (11, 96, 216, 16), (7, 192, 432, 32)]
    """
    widths = [STEM_CHANNELS]
    for _ in STAGES[1:]:
        widths.append(round_width(widths[-1], 2.0))
    design = []
    for base_depth, width in zip(BASE_DEPTHS, widths):
        channels = round_width(width, width_factor)
        inner = int(bottleneck_factor * channels)
        se = round_width(inner, se_ratio) if se_ratio > 0 else None
        design.append((int(math.ceil(depth_factor * base_depth)), channels, inner, se))
    return design


def _op_options(op, op_options):
    """PyTorch's padding where the op can pad so, then the user's options."""
    spec = get_op(op, "op")
    options = {"symmetric_padding": True} if "symmetric_padding" in spec.options else {}
    return {**options, **spec.check_options(op_options, "op_options")}


def _pool_window(pool_size, feature_shape):
    """The head's pooling window: `pool_size` clipped to the features, or all of them."""
    if pool_size is None:
        return tuple(feature_shape)
    return tuple(min(p, f) for p, f in zip(pool_size, feature_shape))


@records_build
def build_x3d_backbone(
    *,
    input_shape=(13, 160, 160, 3),
    width_factor=2.0,
    depth_factor=2.2,
    bottleneck_factor=2.25,
    se_ratio=0.0625,
    op="channelwise3d",
    op_options=None,
    stem_temporal_kernel_size=5,
    temporal_kernel_size=3,
    temporal_strides=1,
    head_filters=2048,
    pool_size=None,
    name=None,
):
    """X3D from clips to fc1's features: stem conv1, stages res2 ... res5, conv5, pool5, fc1.

    Args:
        input_shape: `(frames, height, width, channels)`.
        width_factor: channel expansion (X3D's `gamma_w`; 2.0: 24, 48, 96,
            192 channels in res2 ... res5, PyTorchVideo's rounding).
        depth_factor: blocks per stage are `ceil(depth_factor * (1, 2, 5, 3))`
            (X3D's `gamma_d`; 2.2: 3, 5, 11, 7; X3D-L's 5.0: 5, 10, 25, 15).
        bottleneck_factor: inner width of a block over its output width
            (X3D's `gamma_b`, 2.25).
        se_ratio: squeeze-excitation width over the inner width, rounded to
            a multiple of 8, on the first, third, ... block of each stage
            (0: none).
        op: the blocks' specialized op, one of `stkeras.blocks.available_ops()`
            (X3D's: `"channelwise3d"`; an op that can pad as PyTorch is told to).
        op_options: options of every block's op.
        stem_temporal_kernel_size: frames of conv1's channel-wise temporal
            convolution (5).
        temporal_kernel_size: the blocks' temporal kernel (an int or one per
            stage).
        temporal_strides: temporal stride of each stage's first block (an
            int or one per stage; X3D's: 1).
        head_filters: units of fc1 (2048).
        pool_size: `(t, h, w)` window of the average pooling before fc1,
            stride 1, clipped to the features (PyTorchVideo's `AvgPool3d`,
            whose window is the features of the clip the model was built
            for: with larger clips, fc1 and the classifier see every window
            and the head averages them); `None`: all the features.
        name: model name.

    Returns:
        a `VideoModel` whose stages are the last blocks of res2 ... res5 and
        whose features are fc1's output `(batch, t, h, w, head_filters)` (one
        position per pooling window).

    Example:
    >>> backbone = build_x3d_backbone(input_shape=(4, 64, 64, 3), depth_factor=1.0)
    >>> list(backbone.stage_outputs), backbone.features.shape
    (['res2_1', 'res3_2', 'res4_5', 'res5_3'], (None, 1, 1, 1, 2048))
    """
    # ---- arguments
    shape = check_input_shape(input_shape)
    width_factor = check_number("width_factor", width_factor, minimum=0.0)
    depth_factor = check_number("depth_factor", depth_factor, minimum=0.0)
    bottleneck_factor = check_number("bottleneck_factor", bottleneck_factor, minimum=0.0)
    for argument, value in (("width_factor", width_factor), ("depth_factor", depth_factor),
                            ("bottleneck_factor", bottleneck_factor)):
        if value <= 0:
            raise ValueError(f"`{argument}` must be a number > 0. Received: {argument}={value!r}")
    se_ratio = check_number("se_ratio", se_ratio, minimum=0.0, maximum=1.0)
    options = _op_options(op, op_options)
    stem_kernel = check_positive_int("stem_temporal_kernel_size", stem_temporal_kernel_size)
    t_kernels = check_per_stage("temporal_kernel_size", temporal_kernel_size, 4)
    t_strides = check_per_stage("temporal_strides", temporal_strides, 4)
    head_filters = check_positive_int("head_filters", head_filters)
    if pool_size is not None:
        pool_size = normalize_tuple(pool_size, 3, "pool_size")
    design = stage_design(width_factor=width_factor, depth_factor=depth_factor,
                          bottleneck_factor=bottleneck_factor, se_ratio=se_ratio)
    check_op_plan([(f"{stage}_1", get_op(op), t, k) for stage, t, k in zip(STAGES, t_strides, t_kernels)])
    check_strides_fit(shape, [("conv1", 1, 2)] + [(f"{s}_1", t, 2) for s, t in zip(STAGES, t_strides)])

    # ---- functional graph
    inputs = keras.Input(shape=shape, name="clips")
    stem_channels = round_width(STEM_CHANNELS, width_factor)
    x = FrameConv3D(stem_channels, (1, 3, 3), strides=(1, 2, 2), padding="same", symmetric_padding=True,
                    use_bias=False, name="conv1_spatial")(inputs)
    x = ChannelwiseConv3D(stem_channels, (stem_kernel, 1, 1), padding="same", symmetric_padding=True,
                          use_bias=False, name="conv1_temporal")(x)
    x = normalization_layer("batch", name="conv1_bn", momentum=NORM["norm_momentum"],
                            epsilon=NORM["norm_epsilon"])(x)
    x = keras.layers.Activation("relu", name="conv1_relu")(x)
    in_channels, last = stem_channels, []
    for stage, (blocks, channels, inner, se), t_stride, t_kernel in zip(STAGES, design, t_strides, t_kernels):
        for index in range(blocks):
            x = ResidualBottleneck(
                channels, inner, op=op, strides=2 if index == 0 else 1,
                temporal_strides=t_stride if index == 0 else 1, kernel_size=3, temporal_kernel_size=t_kernel,
                use_bias=False, op_options=options, squeeze_excitation=se if index % 2 == 0 else None,
                op_activation="swish", normalize_projection=in_channels != channels, name=f"{stage}_{index + 1}",
                **NORM,
            )(x)
            in_channels = channels
        last.append(f"{stage}_{blocks}")
    x = FrameConv3D(design[-1][2], 1, use_bias=False, name="conv5")(x)
    x = normalization_layer("batch", name="conv5_bn", momentum=NORM["norm_momentum"],
                            epsilon=NORM["norm_epsilon"])(x)
    x = keras.layers.Activation("relu", name="conv5_relu")(x)
    x = keras.layers.AveragePooling3D(_pool_window(pool_size, x.shape[1:4]), strides=1, name="pool5")(x)
    x = keras.layers.Dense(head_filters, use_bias=False, name="fc1")(x)
    x = keras.layers.Activation("relu", name="fc1_relu")(x)
    return VideoModel(inputs, x, stage_names=last, feature_name="fc1_relu", name=name or "x3d_backbone")


@records_build
def build_x3d(
    *,
    input_shape=(13, 160, 160, 3),
    num_classes=None,
    task=None,
    classifier_activation="softmax",
    width_factor=2.0,
    depth_factor=2.2,
    bottleneck_factor=2.25,
    se_ratio=0.0625,
    op="channelwise3d",
    op_options=None,
    stem_temporal_kernel_size=5,
    temporal_kernel_size=3,
    temporal_strides=1,
    head_filters=2048,
    pool_size=None,
    dropout=0.5,
    head="pool",
    head_options=None,
    weights=None,
    name=None,
):
    """Builds an X3D network (Feichtenhofer 2020), as PyTorchVideo's `create_x3d`.

    Args:
        input_shape: `(frames, height, width, channels)`.
        num_classes: classifier outputs (400 when neither `num_classes` nor
            `task` is given); or give `task`.
        task: a `stkeras.tasks.Task` or a registered task name.
        classifier_activation: activation of the classifier (`None` for logits).
        width_factor, depth_factor, bottleneck_factor: see `build_x3d_backbone`.
        se_ratio, op, op_options, stem_temporal_kernel_size: see `build_x3d_backbone`.
        temporal_kernel_size, temporal_strides, head_filters, pool_size: see `build_x3d_backbone`.
        dropout: dropout rate before the classifier (0.5).
        head: a registered head on fc1's features (default `"pool"`: their
            average and the classifier `predictions`).
        head_options: the head's other options.
        weights: `None` (random), a PyTorchVideo X3D checkpoint (`.pyth`,
            `.pth`, `.pt`: a `state_dict`, or PyTorchVideo's dict holding one
            under `"model_state"`; read without PyTorch; with another
            `num_classes` than the checkpoint's, the classifier stays freshly
            initialized), or a file of `model.save_weights`.
        name: model name (default `"x3d"`).

    Returns:
        an uncompiled `VideoModel`.

    Example:
    >>> model = build_x3d(input_shape=(4, 64, 64, 3), depth_factor=1.0, num_classes=10)
    >>> tuple(model.get_layer("res3_1").op_layer.kernel.shape), model.output.shape
    ((3, 3, 3, 1, 108), (None, 10))

    Reference: Feichtenhofer 2020, *X3D: Expanding Architectures for
    Efficient Video Recognition*; PyTorchVideo's `create_x3d`.
    """
    task = resolve_task(num_classes, task, default=400, classifier_activation=classifier_activation)
    check_rate("dropout", dropout)
    head_options = check_options("head_options", head_options)
    if weights is not None and (not isinstance(weights, (str, os.PathLike)) or not os.path.isfile(weights)):
        raise ValueError(f"`weights` must be None or the path of a weights file (a PyTorchVideo X3D checkpoint or "
                         f"a `.weights.h5` of `save_weights`). Received: weights={weights!r}")
    backbone = build_x3d_backbone(
        input_shape=input_shape, width_factor=width_factor, depth_factor=depth_factor,
        bottleneck_factor=bottleneck_factor, se_ratio=se_ratio, op=op, op_options=op_options,
        stem_temporal_kernel_size=stem_temporal_kernel_size, temporal_kernel_size=temporal_kernel_size,
        temporal_strides=temporal_strides, head_filters=head_filters, pool_size=pool_size)
    if head == "pool":
        head_options = {"dropout": dropout, **head_options}
    model = backbone.with_head(head, task=task, name=name or "x3d", **head_options)
    if weights is not None:
        from stkeras.models.x3d_pytorchvideo import load_pytorchvideo_weights

        load_weights_file(model, weights, load_checkpoint=load_pytorchvideo_weights)
    return model


register_family("x3d", backbone=build_x3d_backbone, builder=build_x3d, head="pool", paper="Feichtenhofer 2020")
