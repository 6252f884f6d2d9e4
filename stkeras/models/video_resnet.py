"""Video ResNets of seed 003: R2D, MCx, rMCx, R3D, R(2+1)D and P3D.

Conventions of the reference implementations (Tran et al. 2018; torchvision's
video ResNets): a stem convolution `3x7x7` (`1x7x7` for 2D kinds; for
R(2+1)D a (2+1)D stem, `1x7x7` to 45 channels then `3x1x1` to 64) with
stride `(1, 2, 2)`; stages conv2_x ... conv5_x with 64, 128, 256, 512
channels (x4 at the output of bottleneck blocks); convolutions without bias,
each followed by batch normalization; stride 2 at the first block of
conv3_x, conv4_x and conv5_x, in time too where the block's convolutions are
3D; 1x1x1 projection shortcuts with batch normalization; global average
pooling and a dense classifier. The named variants are `PRESETS`, argument
sets of `build_video_resnet`.
"""

import keras

from stkeras.blocks.basic import ResidualBasic
from stkeras.blocks.bottleneck import ResidualBottleneck
from stkeras.layers.conv2plus1d import Conv2Plus1D
from stkeras.models.checks import check_input_shape
from stkeras.models.checks import check_strides_fit
from stkeras.validation import check_choice
from stkeras.validation import check_positive_int

# depth -> (block type, blocks per stage conv2_x ... conv5_x)
DEPTHS = {
    10: ("basic", (1, 1, 1, 1)),
    18: ("basic", (2, 2, 2, 2)),
    34: ("basic", (3, 4, 6, 3)),
    50: ("bottleneck", (3, 4, 6, 3)),
}
CHANNELS = (64, 128, 256, 512)
KINDS = (
    "r2d", "mc2", "mc3", "mc4", "mc5", "rmc2", "rmc3", "rmc4", "rmc5", "r3d", "r2plus1d", "p3d",
)
PRESETS = {f"{kind}_{depth}": {"kind": kind, "depth": depth} for kind in KINDS for depth in DEPTHS}
_P3D_CYCLE = ("p3d_a", "p3d_b", "p3d_c")
_TWO_D = "conv2d"


def stage_ops(kind):
    """`(stem, [op of conv2_x, ..., conv5_x])` for a kind; P3D cycles per block.

    Example:
    >>> stage_ops("mc3")
    ('conv3d', ['conv3d', 'conv2d', 'conv2d', 'conv2d'])
    """
    check_choice("kind", kind, KINDS)
    if kind == "r2d":
        return _TWO_D, [_TWO_D] * 4
    if kind == "r3d":
        return "conv3d", ["conv3d"] * 4
    if kind == "r2plus1d":
        return "conv2plus1d", ["conv2plus1d"] * 4
    if kind == "p3d":
        return "conv3d", ["p3d"] * 4
    x = int(kind[-1])
    if kind.startswith("mc"):  # 3D before conv{x}_x, 2D from it on
        return "conv3d", ["conv3d" if stage < x else _TWO_D for stage in range(2, 6)]
    return _TWO_D, [_TWO_D if stage < x else "conv3d" for stage in range(2, 6)]  # rmc: the reverse


def _stem(x, op):
    if op == "conv2plus1d":
        x = Conv2Plus1D(64, (3, 7, 7), strides=(1, 2, 2), intermediate_filters=45, name="conv1")(x)
    else:
        kernel = (1, 7, 7) if op == _TWO_D else (3, 7, 7)
        x = keras.layers.Conv3D(64, kernel, strides=(1, 2, 2), padding="same", use_bias=False,
                                kernel_initializer="he_normal", name="conv1")(x)
    x = keras.layers.BatchNormalization(momentum=0.9, name="conv1_bn")(x)
    return keras.layers.Activation("relu", name="conv1_relu")(x)


def build_video_resnet(
    *,
    kind=None,
    depth=None,
    preset=None,
    input_shape=(16, 112, 112, 3),
    num_classes=400,
    classifier_activation="softmax",
    name=None,
):
    """Builds a video ResNet of seed 003's family.

    Args:
        kind: `r2d` (2D convolutions only, time kept), `mc2`...`mc5` (3D
            convolutions before conv{x}_x, 2D from it on), `rmc2`...`rmc5`
            (the reverse), `r3d`, `r2plus1d`, or `p3d` (P3D-A, B, C blocks in
            turn).
        depth: 10, 18, 34 (basic blocks) or 50 (bottleneck blocks).
        preset: a name in `PRESETS` such as `"r2plus1d_18"`, instead of
            `kind` and `depth`.
        input_shape: `(frames, height, width, channels)`.
        num_classes: classifier outputs.
        classifier_activation: activation of the classifier (`None` for logits).
        name: model name (default: `"{kind}_{depth}"`).

    Returns:
        An uncompiled functional `keras.Model`.

    Example:
    >>> model = build_video_resnet(kind="r2plus1d", depth=18, input_shape=(8, 64, 64, 3), num_classes=10)
    >>> model.get_layer("conv5_2").output.shape
    (None, 1, 4, 4, 512)

    Reference: Tran et al. 2018; Qiu et al. 2017 (seed 003).
    """
    # ---- arguments
    if preset is not None:
        if kind is not None or depth is not None:
            raise ValueError(f"Pass `preset` or `kind` and `depth`, not both. Received: preset={preset!r}, "
                             f"kind={kind!r}, depth={depth!r}")
        check_choice("preset", preset, tuple(PRESETS))
        kind, depth = PRESETS[preset]["kind"], PRESETS[preset]["depth"]
    check_choice("kind", kind, KINDS)
    check_choice("depth", depth, tuple(DEPTHS))
    check_positive_int("num_classes", num_classes)
    shape = check_input_shape(input_shape)
    stem_op, ops = stage_ops(kind)
    return resnet_graph(
        stem_op, ops, depth, shape, num_classes, classifier_activation, name or f"{kind}_{depth}"
    )


def resnet_graph(stem_op, ops, depth, shape, num_classes, classifier_activation, name, op_options=None):
    """The functional video ResNet for a stem op and one op per stage.

    An op of `"p3d"` cycles P3D-A, B, C over the blocks. `op_options` go to
    every block's op (e.g. STDCF's atom counts).
    """
    block_type, blocks = DEPTHS[depth]
    # Per block: (name, op, spatial stride, temporal stride).
    plan = []
    block_index = 0
    for stage, (op, count) in enumerate(zip(ops, blocks), start=2):
        for j in range(count):
            block_op = _P3D_CYCLE[block_index % 3] if op == "p3d" else op
            block_index += 1
            down = stage > 2 and j == 0
            plan.append((f"conv{stage}_{j + 1}", block_op, 2 if down else 1, 2 if down and block_op != _TWO_D else 1))
    check_strides_fit(shape, [("conv1", 1, 2)] + [(n, t, s) for n, _, s, t in plan if s > 1 or t > 1])

    # ---- functional graph
    inputs = keras.Input(shape=shape, name="clips")
    x = _stem(inputs, stem_op)
    for block_name, op, stride, t_stride in plan:
        stage = int(block_name[4]) - 2
        if block_type == "basic":
            x = ResidualBasic(CHANNELS[stage], op=op, strides=stride, temporal_strides=t_stride,
                              op_options=op_options, name=block_name)(x)
        else:
            x = ResidualBottleneck(4 * CHANNELS[stage], CHANNELS[stage], op=op, strides=stride,
                                   temporal_strides=t_stride, use_bias=False, op_options=op_options,
                                   name=block_name)(x)
    x = keras.layers.GlobalAveragePooling3D(name="pool")(x)
    outputs = keras.layers.Dense(num_classes, activation=classifier_activation, name="predictions")(x)
    return keras.Model(inputs, outputs, name=name)
