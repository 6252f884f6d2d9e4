"""S3D (Xie et al. 2018): Inception blocks whose 3D convolutions are separated into space then time.

The network is torchvision's `torchvision.models.video.s3d`, so that its
Kinetics-400 checkpoint loads (`s3d_torchvision.py`): a separable stem
(`1x7x7` then `7x1x1`, both stride 2), max pooling, a `1x1x1` and a
separable `3x3x3` convolution, max pooling, then Inception blocks
mixed_3b ... mixed_5c with max poolings between, an average pooling with
torchvision's `2x7x7` window (stride 1), dropout and the classifier. Every
convolution is followed by batch normalization (epsilon 1e-3, PyTorch
momentum 0.001: Keras' 0.999) and ReLU, and pads as PyTorch. A separable
convolution is the op `"conv2plus1d"` (a `1xkxk` convolution to as many
channels as it gives, batch normalization and ReLU, a `kx1x1`
convolution); another registered op builds the same network with it.
"""

import os

import keras

from stkeras.blocks.ops import get_op
from stkeras.layers.frame_conv import FrameConv3D
from stkeras.layers.frame_pool import FrameMaxPooling3D
from stkeras.layers.normalization import normalization_layer
from stkeras.models.checks import check_input_shape
from stkeras.models.checks import check_strides_fit
from stkeras.models.family import records_build
from stkeras.models.family import register_family
from stkeras.models.video_model import VideoModel
from stkeras.tasks import resolve_task
from stkeras.validation import check_options
from stkeras.validation import check_rate
from stkeras.validation import normalize_tuple
from stkeras.weights.mapping import load_weights_file

# torchvision's BatchNorm3d(eps=0.001, momentum=0.001): Keras' momentum is 1 - PyTorch's.
NORM = {"momentum": 0.999, "epsilon": 1e-3}
# Each Inception block's widths: (branch0, branch1 reduce, branch1, branch2 reduce, branch2, branch3), as torchvision.
INCEPTION = {
    "mixed_3b": (64, 96, 128, 16, 32, 32),
    "mixed_3c": (128, 128, 192, 32, 96, 64),
    "mixed_4b": (192, 96, 208, 16, 48, 64),
    "mixed_4c": (160, 112, 224, 24, 64, 64),
    "mixed_4d": (128, 128, 256, 24, 64, 64),
    "mixed_4e": (112, 144, 288, 32, 64, 64),
    "mixed_4f": (256, 160, 320, 32, 128, 128),
    "mixed_5b": (256, 160, 320, 32, 128, 128),
    "mixed_5c": (384, 192, 384, 48, 128, 128),
}
STAGES = ("conv3", "mixed_3c", "mixed_4f", "mixed_5c")
# (name, pool size, strides) of the max poolings before the Inception blocks of a scale, as torchvision pads them.
POOLS = {"mixed_3b": ("pool2", (1, 3, 3), (1, 2, 2)), "mixed_4b": ("pool3", (3, 3, 3), (2, 2, 2)),
         "mixed_5b": ("pool4", (2, 2, 2), (2, 2, 2))}


def _op_options(spec, filters, op_options):
    """What torchvision's separable convolution is, asked of the op's spec, then the user's options."""
    options = {"intermediate_filters": filters, "norm_momentum": NORM["momentum"], "norm_epsilon": NORM["epsilon"],
               "symmetric_padding": True}
    return {**{k: v for k, v in options.items() if k in spec.options}, **op_options}


def _conv_bn_relu(x, filters, name):
    """A `1x1x1` convolution, batch normalization and ReLU (torchvision's `Conv3dNormActivation`)."""
    x = FrameConv3D(filters, 1, use_bias=False, name=name)(x)
    x = normalization_layer("batch", name=f"{name}_bn", **NORM)(x)
    return keras.layers.Activation("relu", name=f"{name}_relu")(x)


def _separable(x, filters, *, kernel_size, strides, op, op_options, name):
    """The op (torchvision's `TemporalSeparableConv`), then batch normalization and ReLU."""
    spec = get_op(op, "op")
    x = spec.build(filters, kernel_size=kernel_size, temporal_kernel_size=kernel_size, strides=strides,
                   temporal_strides=strides if spec.temporal_stride else 1, use_bias=False, name=name,
                   **_op_options(spec, filters, op_options))(x)
    x = normalization_layer("batch", name=f"{name}_bn", **NORM)(x)
    return keras.layers.Activation("relu", name=f"{name}_relu")(x)


def separable_inception_block(x, widths, *, op="conv2plus1d", op_options=None, name):
    """An S3D Inception block (torchvision's `SepInceptionBlock3D`) on `x`, as functional layers.

    Four branches concatenated along the channels, named `{name}_branch0` ...:
    a `1x1x1` convolution; a `1x1x1` reduction then a separable `3x3x3`
    convolution (twice, of different widths); a `3x3x3` max pooling then a
    `1x1x1` convolution.

    Args:
        x: clips `(batch, time, height, width, channels)` (a symbolic tensor).
        widths: `(branch0, branch1 reduce, branch1, branch2 reduce, branch2, branch3)`.
        op: the separable convolution's op.
        op_options: its options.
        name: the block's name; the concatenation's layer has it.

    Returns:
        the block's output, `sum(widths[0, 2, 4, 5])` channels.

    Example:
    >>> x = separable_inception_block(keras.Input((4, 8, 8, 16)), (8, 4, 8, 4, 8, 8), name="mixed")
    >>> x.shape
    (None, 4, 8, 8, 32)
    """
    b0, b1_reduce, b1, b2_reduce, b2, b3 = widths
    op_options = check_options("op_options", op_options)
    branch0 = _conv_bn_relu(x, b0, f"{name}_branch0")
    branch1 = _separable(_conv_bn_relu(x, b1_reduce, f"{name}_branch1_reduce"), b1, kernel_size=3, strides=1, op=op,
                         op_options=op_options, name=f"{name}_branch1")
    branch2 = _separable(_conv_bn_relu(x, b2_reduce, f"{name}_branch2_reduce"), b2, kernel_size=3, strides=1, op=op,
                         op_options=op_options, name=f"{name}_branch2")
    pooled = FrameMaxPooling3D(3, strides=1, padding="same", name=f"{name}_branch3_pool")(x)
    branch3 = _conv_bn_relu(pooled, b3, f"{name}_branch3")
    return keras.layers.Concatenate(name=name)([branch0, branch1, branch2, branch3])


@records_build
def build_s3d_backbone(*, input_shape=(64, 224, 224, 3), op="conv2plus1d", op_options=None, pool_size=(2, 7, 7),
                       name=None):
    """S3D from clips to the pooled features of mixed_5c.

    Args:
        input_shape: `(frames, height, width, channels)`; time is strided
            by 8 and space by 32.
        op: the separable convolutions' op (`"conv2plus1d"`: S3D's; e.g.
            `"conv3d"` makes the blocks full 3D convolutions, as I3D's).
        op_options: options of every separable convolution's op.
        pool_size: `(t, h, w)` window of the average pooling after mixed_5c,
            stride 1, clipped to the features (torchvision's `AvgPool3d(2, 7,
            7)`; torchvision refuses smaller features); `None`: all of them.
        name: model name.

    Returns:
        a `VideoModel` whose stages are conv3, mixed_3c, mixed_4f and
        mixed_5c and whose features are the average pooling's output
        `(batch, t, h, w, 1024)`.

    Example:
    >>> backbone = build_s3d_backbone(input_shape=(16, 64, 64, 3))
    >>> list(backbone.stage_outputs), backbone.features.shape
    (['conv3', 'mixed_3c', 'mixed_4f', 'mixed_5c'], (None, 1, 1, 1, 1024))
    """
    shape = check_input_shape(input_shape)
    op_options = get_op(op, "op").check_options(op_options, "op_options")
    if pool_size is not None:
        pool_size = normalize_tuple(pool_size, 3, "pool_size")
    check_strides_fit(shape, [("conv1", 2, 2), ("pool1", 1, 2), ("pool2", 1, 2), ("pool3", 2, 2), ("pool4", 2, 2)])

    inputs = keras.Input(shape=shape, name="clips")
    x = _separable(inputs, 64, kernel_size=7, strides=2, op=op, op_options=op_options, name="conv1")
    x = FrameMaxPooling3D((1, 3, 3), strides=(1, 2, 2), padding="same", symmetric_padding=True, name="pool1")(x)
    x = _conv_bn_relu(x, 64, "conv2")
    x = _separable(x, 192, kernel_size=3, strides=1, op=op, op_options=op_options, name="conv3")
    for block, widths in INCEPTION.items():
        if block in POOLS:
            pool, window, strides = POOLS[block]
            padded = window[1] == 3  # torchvision pads its 3x3 windows by 1, its 2x2x2 one not at all
            x = FrameMaxPooling3D(window, strides=strides, padding="same" if padded else "valid",
                                  symmetric_padding=padded, name=pool)(x)
        x = separable_inception_block(x, widths, op=op, op_options=op_options, name=block)
    features = x.shape[1:4]
    window = features if pool_size is None else tuple(min(p, f) for p, f in zip(pool_size, features))
    x = keras.layers.AveragePooling3D(window, strides=1, name="avgpool")(x)
    return VideoModel(inputs, x, stage_names=STAGES, feature_name="avgpool", name=name or "s3d_backbone")


@records_build
def build_s3d(
    *,
    input_shape=(64, 224, 224, 3),
    num_classes=None,
    task=None,
    classifier_activation="softmax",
    op="conv2plus1d",
    op_options=None,
    pool_size=(2, 7, 7),
    dropout=0.2,
    head="pool",
    head_options=None,
    weights=None,
    name=None,
):
    """Builds S3D (Xie et al. 2018) as torchvision's `s3d`.

    The head averages the pooled features and classifies them: torchvision's
    `1x1x1` convolution classifier averaged over the pooling's positions is
    the same as a dense classifier on their average.

    Args:
        input_shape: `(frames, height, width, channels)`.
        num_classes: classifier outputs (400 when neither `num_classes` nor
            `task` is given); or give `task`.
        task: a `stkeras.tasks.Task` or a registered task name.
        classifier_activation: activation of the classifier (`None`: logits,
            which torchvision's `s3d` returns).
        op, op_options, pool_size: see `build_s3d_backbone`.
        dropout: dropout rate before the classifier (0.2).
        head: a registered head on the pooled features (default `"pool"`:
            their average and the classifier `predictions`).
        head_options: the head's other options.
        weights: `None` (random), torchvision's S3D checkpoint (`.pth`,
            read without PyTorch; with another `num_classes` than the
            checkpoint's, the classifier stays freshly initialized), or a
            file of `model.save_weights`.
        name: model name (default `"s3d"`).

    Returns:
        an uncompiled `VideoModel`.

    Example:
    >>> model = build_s3d(input_shape=(16, 64, 64, 3), num_classes=5)
    >>> model.get_layer("mixed_4b_branch1").middle_filters, model.output.shape
    (208, (None, 5))

    Reference: Xie et al. 2018, *Rethinking Spatiotemporal Feature Learning:
    Speed-Accuracy Trade-offs in Video Classification*; torchvision's `s3d`.
    """
    task = resolve_task(num_classes, task, default=400, classifier_activation=classifier_activation)
    check_rate("dropout", dropout)
    head_options = check_options("head_options", head_options)
    if weights is not None and (not isinstance(weights, (str, os.PathLike)) or not os.path.isfile(weights)):
        raise ValueError(f"`weights` must be None or the path of a weights file (torchvision's S3D checkpoint or a "
                         f"`.weights.h5` of `save_weights`). Received: weights={weights!r}")
    backbone = build_s3d_backbone(input_shape=input_shape, op=op, op_options=op_options, pool_size=pool_size)
    if head == "pool":
        head_options = {"dropout": dropout, **head_options}
    model = backbone.with_head(head, task=task, name=name or "s3d", **head_options)
    if weights is not None:
        from stkeras.models.s3d_torchvision import load_torchvision_weights

        load_weights_file(model, weights, load_checkpoint=load_torchvision_weights)
    return model


register_family("s3d", backbone=build_s3d_backbone, builder=build_s3d, head="pool", paper="Xie et al. 2018")
