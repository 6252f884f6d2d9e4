"""Seed 000's residual networks: Conv2D, Conv3D, TS-Conv3D (+ LSTM) and ConvLSTM.

Courtney & Sreenivas 2022, *Comparison of spatiotemporal networks for learning
video related tasks*, Section 4 and Tables 1-4. Eight residual bottleneck
blocks (`res1_1 ... res4_4`), a spatial pool, and two LSTM layers where the
paper has them; only the block's specialized op differs between the models.
The four public builders are argument sets of `build_courtney_resnet`.
"""

import keras

from stkeras.blocks.bottleneck import ResidualBottleneck
from stkeras.blocks.ops import get_op
from stkeras.layers.temporal_pooling import TemporalPooling
from stkeras.models.checks import check_input_shape
from stkeras.models.checks import check_strides_fit
from stkeras.validation import check_choice

# (block name, spatial stride), Tables 1-4.
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

# (ch, out) of each block; `in` is the previous block's `out`. Table 4's XL
# column repeats the base channels by mistake: Table 5's 1,967K parameters of
# ConvLSTM-XL match the XL channels used here for every model.
SIZES = {
    "base": {"channels": ((16, 64),) * 4 + ((32, 128),) * 4, "lstm_units": 128},
    "xl": {"channels": ((36, 72),) * 4 + ((72, 144),) * 4, "lstm_units": 144},
}

# task -> (output units, output activation)
TASKS = {"digit": (10, "softmax"), "order": (6, "softmax"), "speed": (1, None)}

# The paper's four models as argument sets of `build_courtney_resnet`.
MODELS = {
    "conv2d": {"op": "conv2d", "lstm_layers": 2},
    "conv3d": {"op": "conv3d", "lstm_layers": 2},
    "ts_conv3d": {"op": "ts_conv3d", "lstm_layers": 2},
    "convlstm": {"op": "convlstm", "lstm_layers": 0},
}


def task_head(x, task, name_prefix=""):
    """The output layer of a task: softmax classes or a scalar regression."""
    check_choice("task", task, tuple(TASKS))
    units, activation = TASKS[task]
    return keras.layers.Dense(units, activation=activation, name=f"{name_prefix}{task}")(x)


def build_courtney_resnet(
    *,
    op,
    size="base",
    input_shape=(48, 64, 64, 1),
    task="digit",
    lstm_layers=2,
    normalization="batch",
    placement="post",
    op_options=None,
    name=None,
):
    """Builds one of seed 000's residual networks around a specialized op.

    Args:
        op: the blocks' specialized op (`"conv2d"`, `"conv3d"`, `"ts_conv3d"`,
            `"convlstm"`, or any registered op).
        size: `"base"` or `"xl"` (channels of Tables 1-4, LSTM 128 or 144).
        input_shape: `(frames, height, width, channels)`.
        task: `"digit"` (10-way softmax), `"order"` (6-way softmax) or
            `"speed"` (scalar regression).
        lstm_layers: LSTM layers after the spatial pool (2 in the paper's
            Conv2D/Conv3D/TS-Conv3D models). With 0, the last frame of the
            pooled features feeds the output (the ConvLSTM model).
        normalization, placement: batch-norm settings of every block (see
            `stkeras.blocks.ResidualBottleneck`).
        op_options: extra keyword arguments for every block's op.
        name: model name; defaults to `"{op}_{size}"`.

    Returns:
        An uncompiled functional `keras.Model` from clips to the task output.

    Example:
    >>> model = build_courtney_resnet(op="conv3d", input_shape=(8, 32, 32, 1))
    >>> model.get_layer("res4_4").output.shape
    (None, 8, 2, 2, 128)

    Reference: Courtney & Sreenivas 2022, Section 4, Tables 1-5 (seed 000).
    """
    # ---- arguments
    check_choice("size", size, tuple(SIZES))
    check_choice("task", task, tuple(TASKS))
    input_shape = check_input_shape(input_shape)
    spec = get_op(op)
    if not isinstance(lstm_layers, int) or lstm_layers < 0:
        raise ValueError(f"`lstm_layers` must be an int >= 0. Received: lstm_layers={lstm_layers!r}")
    config = SIZES[size]
    check_strides_fit(
        input_shape,
        [
            (block, stride if spec.strides_time_with_space else 1, stride)
            for block, stride in BLOCK_LAYOUT
        ],
    )

    # ---- functional graph
    inputs = keras.Input(shape=input_shape, name="clips")
    x = inputs
    for (block, stride), (mid, out) in zip(BLOCK_LAYOUT, config["channels"]):
        x = ResidualBottleneck(
            out,
            mid,
            op=op,
            strides=stride,
            normalization=normalization,
            placement=placement,
            op_options=op_options,
            name=block,
        )(x)
    x = keras.layers.TimeDistributed(
        keras.layers.GlobalAveragePooling2D(), name="spatial_pool"
    )(x)
    for i in range(lstm_layers):
        x = keras.layers.LSTM(
            config["lstm_units"],
            return_sequences=i < lstm_layers - 1,
            name=f"lstm{i + 1}",
        )(x)
    if lstm_layers == 0:
        x = TemporalPooling("last", name="temporal_pool")(x)
    outputs = task_head(x, task)
    return keras.Model(inputs, outputs, name=name or f"{op}_{size}")


def build_conv2d_lstm(*, size="base", input_shape=(48, 64, 64, 1), task="digit", **kwargs):
    """Conv2D + LSTM (seed 000, Table 1): per-frame 2D convolutions, 2 LSTMs.

    Args: see `build_courtney_resnet`.

    Example:
    >>> model = build_conv2d_lstm(size="base")
    """
    return build_courtney_resnet(**MODELS["conv2d"], size=size, input_shape=input_shape, task=task, **kwargs)


def build_conv3d_lstm(*, size="base", input_shape=(48, 64, 64, 1), task="digit", **kwargs):
    """Conv3D + LSTM (seed 000, Table 2): 3x3x3 convolutions, 2 LSTMs.

    Args: see `build_courtney_resnet`.

    Example:
    >>> model = build_conv3d_lstm(size="xl", task="speed")
    """
    return build_courtney_resnet(**MODELS["conv3d"], size=size, input_shape=input_shape, task=task, **kwargs)


def build_ts_conv3d_lstm(*, size="xl", input_shape=(48, 64, 64, 1), task="digit", **kwargs):
    """TS-Conv3D + LSTM (seed 000, Table 3): 3D convolutions strided in time.

    Every spatially strided block also strides by 2 in time (48 -> 3 frames).
    The paper trains only the XL size, the default here.

    Args: see `build_courtney_resnet`.

    Example:
    >>> model = build_ts_conv3d_lstm(task="order")
    """
    return build_courtney_resnet(**MODELS["ts_conv3d"], size=size, input_shape=input_shape, task=task, **kwargs)
