"""Courtney & Sreenivas 2022's residual networks: Conv2D, Conv3D, TS-Conv3D (+ LSTM) and ConvLSTM.

Courtney & Sreenivas 2022, *Comparison of spatiotemporal networks for learning
video related tasks*, Section 4 and Tables 1-4. Eight residual bottleneck
blocks (`res1_1 ... res4_4`), a spatial pool, and two LSTM layers where the
paper has them; only the block's specialized op differs between the models.
The four public builders (`build_conv2d_lstm`, `build_conv3d_lstm`,
`build_ts_conv3d_lstm`, `build_convlstm_resnet`) are argument sets of
`build_courtney_resnet`.
"""

import keras

from stkeras.blocks.bottleneck import ResidualBottleneck
from stkeras.blocks.ops import get_op
from stkeras.heads.registry import get_head
from stkeras.models.checks import check_input_shape
from stkeras.models.checks import check_op_plan
from stkeras.models.checks import check_per_stage
from stkeras.models.checks import check_strides_fit
from stkeras.models.checks import check_width_multiplier
from stkeras.models.checks import scale_channels
from stkeras.models.family import records_build
from stkeras.models.family import register_family
from stkeras.models.video_model import VideoModel
from stkeras.tasks import resolve_task
from stkeras.validation import check_choice
from stkeras.validation import check_options

# (block name, spatial stride), Tables 1-4. Stages res1 ... res4.
BLOCK_LAYOUT = (
    ("res1_1", 2),
    ("res2_1", 2),
    ("res3_1", 2),
    ("res3_2", 1),
    ("res4_1", 2),
    ("res4_2", 1),
    ("res4_3", 1),
    ("res4_4", 1),
)
NUM_STAGES = 4

# The two widths of Tables 1-4: (ch, out) of each block (`in` is the previous
# block's `out`) and the LSTM units. Table 4's XL column repeats the base
# channels by mistake: Table 5's 1,967K parameters of ConvLSTM-XL match the
# XL channels used here for every model.
WIDTHS = {
    "base": {"channels": ((16, 64),) * 4 + ((32, 128),) * 4, "lstm_units": 128},
    "xl": {"channels": ((36, 72),) * 4 + ((72, 144),) * 4, "lstm_units": 144},
}


def _stage(block_name):
    return int(block_name[3]) - 1


@records_build
def build_courtney_backbone(
    *,
    op,
    width="base",
    input_shape=(48, 64, 64, 1),
    temporal_strides=None,
    temporal_kernel_size=None,
    width_multiplier=1.0,
    normalization="batch",
    placement="post",
    op_options=None,
    name=None,
):
    """The eight residual blocks of Courtney & Sreenivas 2022's networks (`res1_1 ... res4_4`): clips to feature maps.

    The architecture is per-stage data: stages res1, res2, res3, res4 each
    have an op, a temporal stride (on the stage's first block, which also
    strides by 2 in space) and a temporal kernel. TS-Conv3D is `op="ts_conv3d"`
    (whose spec strides time with space), or equally `op="conv3d",
    temporal_strides=2`.

    Args:
        op: the blocks' specialized op, one registered name or one per stage.
        width: `"base"` or `"xl"` (channels of Tables 1-4).
        input_shape: `(frames, height, width, channels)`.
        temporal_strides: temporal stride of each stage's first block (an
            int or one per stage); `None`: the op's default.
        temporal_kernel_size: the ops' temporal kernel (an int or one per
            stage); `None`: the op's default.
        width_multiplier: scales every block's channels (rounded).
        normalization, placement: batch-norm settings of every block (see
            `stkeras.blocks.ResidualBottleneck`).
        op_options: extra keyword arguments of every block's op.
        name: model name (default `"{op}_{width}_backbone"`).

    Returns:
        a `VideoModel` from clips to `res4_4`'s feature maps, stages
        `res1_1`, `res2_1`, `res3_2`, `res4_4`.

    Example:
    >>> backbone = build_courtney_backbone(op=("conv2d", "conv2d", "conv3d", "conv3d"),
    ...                                    input_shape=(8, 32, 32, 1))
    >>> backbone.output.shape
    (None, 8, 2, 2, 128)

    Reference: Courtney & Sreenivas 2022, Section 4, Tables 1-4.
    """
    # ---- arguments
    check_choice("width", width, tuple(WIDTHS))
    input_shape = check_input_shape(input_shape)
    ops = check_per_stage("op", op, NUM_STAGES, kind=str)
    specs = [get_op(o) for o in ops]
    t_strides = check_per_stage("temporal_strides", temporal_strides, NUM_STAGES, allow_none=True)
    t_kernels = check_per_stage("temporal_kernel_size", temporal_kernel_size, NUM_STAGES, allow_none=True)
    width_multiplier = check_width_multiplier(width_multiplier)
    plan = []  # (block, op, spatial stride, temporal stride, temporal kernel)
    for block, stride in BLOCK_LAYOUT:
        stage, first = _stage(block), block.endswith("_1")
        spec = specs[stage]
        t_stride = spec.default_temporal_strides(stride)
        if first and t_strides[stage] is not None:
            t_stride = t_strides[stage]
        plan.append((block, ops[stage], stride, t_stride, t_kernels[stage]))
    check_op_plan([(block, get_op(block_op), t, k) for block, block_op, _, t, k in plan])
    check_strides_fit(input_shape, [(block, t, s) for block, _, s, t, _ in plan])

    # ---- functional graph
    inputs = keras.Input(shape=input_shape, name="clips")
    x = inputs
    for (block, block_op, stride, t_stride, t_kernel), (mid, out) in zip(plan, WIDTHS[width]["channels"]):
        x = ResidualBottleneck(
            scale_channels(out, width_multiplier),
            scale_channels(mid, width_multiplier),
            op=block_op,
            strides=stride,
            temporal_strides=t_stride,
            temporal_kernel_size=t_kernel,
            normalization=normalization,
            placement=placement,
            op_options=op_options,
            name=block,
        )(x)
    stages = ("res1_1", "res2_1", "res3_2", "res4_4")
    return VideoModel(inputs, x, stage_names=stages, name=name or f"{_op_label(ops)}_{width}_backbone")


def _op_label(ops):
    # "-": TensorFlow refuses "+" in the name scopes Keras derives from a model's name.
    return ops[0] if len(set(ops)) == 1 else "-".join(ops)


@records_build
def build_courtney_resnet(
    *,
    op,
    width="base",
    input_shape=(48, 64, 64, 1),
    num_classes=None,
    task=None,
    classifier_activation="softmax",
    lstm_layers=2,
    head=None,
    head_options=None,
    temporal_strides=None,
    temporal_kernel_size=None,
    width_multiplier=1.0,
    normalization="batch",
    placement="post",
    op_options=None,
    name=None,
):
    """Builds one of Courtney & Sreenivas 2022's residual networks around a specialized op.

    The model is `build_courtney_backbone(...)` plus a head: by default the
    paper's, two LSTMs (`"lstm"`) or, with `lstm_layers=0`, the last frame of
    the pooled features (`"temporal_pool"`, the ConvLSTM model).

    Args:
        op: the blocks' specialized op (`"conv2d"`, `"conv3d"`, `"ts_conv3d"`,
            `"convlstm"`, or any registered op), or one per stage.
        width: `"base"` or `"xl"` (channels of Tables 1-4, LSTM 128 or 144).
        input_shape: `(frames, height, width, channels)`.
        num_classes: a softmax classifier of that many classes; or give
            `task`.
        task: `"digit"` (10-way softmax, the default), `"order"` (6-way
            softmax), `"speed"` (scalar regression), or a `stkeras.tasks.Task`.
        classifier_activation: the classifier's activation with
            `num_classes` (`None`: logits).
        lstm_layers: LSTM layers of the default head (2 in the paper's
            Conv2D/Conv3D/TS-Conv3D models; 0: the ConvLSTM model's head).
        head: a registered head instead of the default (see
            `stkeras.heads.available_heads()`).
        head_options: the head's options.
        temporal_strides, temporal_kernel_size: per-stage temporal design
            (see `build_courtney_backbone`).
        width_multiplier: scales every block's channels (the head's
            units are the head's options).
        normalization, placement: batch-norm settings of every block (see
            `stkeras.blocks.ResidualBottleneck`).
        op_options: extra keyword arguments for every block's op.
        name: model name; defaults to `"{op}_{width}"`.

    Returns:
        An uncompiled `VideoModel` from clips to the task output.

    Example:
    >>> model = build_courtney_resnet(op="conv3d", input_shape=(8, 32, 32, 1))
    >>> model.get_layer("res4_4").output.shape
    (None, 8, 2, 2, 128)

    Reference: Courtney & Sreenivas 2022, Section 4, Tables 1-5.
    """
    task = resolve_task(num_classes, task, default="digit", classifier_activation=classifier_activation)
    if not isinstance(lstm_layers, int) or isinstance(lstm_layers, bool) or lstm_layers < 0:
        raise ValueError(f"`lstm_layers` must be an int >= 0. Received: lstm_layers={lstm_layers!r}")
    check_choice("width", width, tuple(WIDTHS))
    units = WIDTHS[width]["lstm_units"]
    head_options = check_options("head_options", head_options)
    backbone = build_courtney_backbone(
        op=op, width=width, input_shape=input_shape, temporal_strides=temporal_strides,
        temporal_kernel_size=temporal_kernel_size, width_multiplier=width_multiplier, normalization=normalization,
        placement=placement, op_options=op_options,
    )
    if head is None:
        head, defaults = ("lstm", {"layers": lstm_layers, "units": units}) if lstm_layers else (
            "temporal_pool", {"mode": "last"})
        get_head(head).check_options(head_options)  # names the user's options, not the merged ones
        head_options = {**defaults, **(head_options or {})}
    label = _op_label(check_per_stage("op", op, NUM_STAGES, kind=str))
    return backbone.with_head(head, task=task, name=name or f"{label}_{width}", **(head_options or {}))


def build_conv2d_lstm(*, width="base", **kwargs):
    """Conv2D + LSTM (Courtney & Sreenivas 2022, Table 1): per-frame 2D convolutions, 2 LSTMs.

    Args: see `build_courtney_resnet`.

    Example:
    >>> model = build_conv2d_lstm(width="base", num_classes=101)
    """
    return build_courtney_resnet(op="conv2d", lstm_layers=2, width=width, **kwargs)


def build_conv3d_lstm(*, width="base", **kwargs):
    """Conv3D + LSTM (Courtney & Sreenivas 2022, Table 2): 3x3x3 convolutions, 2 LSTMs.

    Args: see `build_courtney_resnet`.

    Example:
    >>> model = build_conv3d_lstm(width="xl", task="speed")
    """
    return build_courtney_resnet(op="conv3d", lstm_layers=2, width=width, **kwargs)


def build_ts_conv3d_lstm(*, width="xl", **kwargs):
    """TS-Conv3D + LSTM (Courtney & Sreenivas 2022, Table 3): 3D convolutions strided in time.

    Every spatially strided block also strides by 2 in time (48 -> 3 frames).
    The paper trains only the XL width, the default here.

    Args: see `build_courtney_resnet`.

    Example:
    >>> model = build_ts_conv3d_lstm(task="order")
    """
    return build_courtney_resnet(op="ts_conv3d", lstm_layers=2, width=width, **kwargs)


def build_convlstm_resnet(*, width="base", **kwargs):
    """ConvLSTM (Courtney & Sreenivas 2022, Table 4): a residual network whose blocks' op is a 3x3 ConvLSTM.

    Eight bottleneck blocks, a spatial pool, and the task output read at the
    last frame (no LSTM layers: `lstm_layers=0`). Courtney & Sreenivas 2019's ResNet ConvLSTM,
    built from `Res_ConvLSTM` modules, is `build_res_convlstm`.

    Args: see `build_courtney_resnet`.

    Example:
    >>> model = build_convlstm_resnet(width="base", task="speed")
    >>> model.get_layer("predictions").units
    1

    Reference: Courtney & Sreenivas 2022, Table 4.
    """
    return build_courtney_resnet(op="convlstm", lstm_layers=0, width=width, **kwargs)


register_family("courtney", backbone=build_courtney_backbone, builder=build_courtney_resnet, head="lstm",
                head_options={"layers": 2, "units": WIDTHS["base"]["lstm_units"]}, paper="Courtney & Sreenivas 2022")
