"""ConvLSTM residual networks: seed 000's ConvLSTM model and seed 002's ResNet ConvLSTM.

Seed 002 (Courtney & Sreenivas, *Using deep convolutional LSTM networks for
learning spatiotemporal features*, Section 3.3) stacks `Res_ConvLSTM(n, in,
mid, out)` modules: a type-A sub-block (stride 2, a 1x1 ConvLSTM in the skip
path) followed by `n - 1` type-B sub-blocks (open skip), each
1x1 conv -> 3x3 ConvLSTM -> 1x1 conv; then a spatial pool, one LSTM and the
output layer.

The paper's Figure 3b, which gives the lipreading network's channels, is not
in its text; the `"lipreading"` preset is a reconstruction that satisfies
every number the text gives: 48x48 input, scales s/2..s/16 (24, 12, 6, 3
pixels, Figure 5), 14 3x3 ConvLSTMs, 4 1x1 ConvLSTMs, 28 1x1 Conv2D, 1 LSTM
before the output layer, and about 14.5M parameters (29M bidirectional).
"""

from typing import NamedTuple

import keras

from stkeras.blocks.bottleneck import ResidualBottleneck
from stkeras.blocks.ops import get_op
from stkeras.layers.time_reverse import TimeReverse
from stkeras.models.courtney import MODELS
from stkeras.models.checks import check_input_shape
from stkeras.models.checks import check_strides_fit
from stkeras.models.courtney import build_courtney_resnet
from stkeras.validation import check_choice
from stkeras.validation import check_positive_int


class ResConvLSTM(NamedTuple):
    """One `Res_ConvLSTM(n, in, mid, out)` module of seed 002.

    Attributes:
        blocks: number of sub-blocks `n` (one type A, then `n - 1` type B).
        in_channels: channels entering the module.
        mid_channels: channels of the 3x3 op.
        out_channels: channels leaving the module.
        op: the sub-blocks' specialized op; `"conv2d"` gives the reduced
            network's 2D-convolution modules (the skip then uses a 1x1 conv).
    """

    blocks: int
    in_channels: int
    mid_channels: int
    out_channels: int
    op: str = "convlstm"


_LIPREADING = {
    "input_shape": (29, 48, 48, 1),
    "stages": (
        ResConvLSTM(3, 1, 24, 48),
        ResConvLSTM(3, 48, 48, 96),
        ResConvLSTM(5, 96, 96, 192),
        ResConvLSTM(3, 192, 192, 384),
    ),
    "lstm_units": 256,
    "num_classes": 500,
    "dropout": 0.5,
}

# Named variants of seed 002, as argument sets of `build_convlstm_resnet`.
PRESETS = {
    "lipreading": _LIPREADING,
    "lipreading_bidirectional": {**_LIPREADING, "bidirectional": True},
    # Section 3.4: ConvLSTMs at 12x12 and 6x6 become 2D convolutions, the
    # 3x3 scale is removed.
    "lipreading_reduced": {
        **_LIPREADING,
        "stages": (
            ResConvLSTM(3, 1, 24, 48),
            ResConvLSTM(3, 48, 48, 96, "conv2d"),
            ResConvLSTM(5, 96, 96, 192, "conv2d"),
        ),
    },
}


def _check_stages(stages, in_channels):
    checked = []
    for i, stage in enumerate(stages):
        try:
            stage = ResConvLSTM(*stage)
        except TypeError:
            raise ValueError(
                "Each stage must be ResConvLSTM(blocks, in_channels, "
                f"mid_channels, out_channels[, op]). Received: stages[{i}]={stage!r}"
            ) from None
        for field in ("blocks", "in_channels", "mid_channels", "out_channels"):
            check_positive_int(f"stages[{i}].{field}", getattr(stage, field))
        get_op(stage.op)
        if stage.in_channels != in_channels:
            raise ValueError(
                f"stages[{i}].in_channels={stage.in_channels} does not match the "
                f"{in_channels} channels it receives (the input's channels or the "
                "previous stage's out_channels)."
            )
        in_channels = stage.out_channels
        checked.append(stage)
    if not checked:
        raise ValueError(f"`stages` must hold at least one stage. Received: stages={stages!r}")
    return checked


def _tower(x, stages, *, lstm_units, num_classes, dropout, per_timestep, normalization, placement, op_options, prefix):
    for i, stage in enumerate(stages):
        for j in range(stage.blocks):
            first = j == 0
            x = ResidualBottleneck(
                stage.out_channels,
                stage.mid_channels,
                op=stage.op,
                strides=2 if first else 1,
                shortcut=("convlstm" if stage.op == "convlstm" else "conv") if first else "identity",
                normalization=normalization,
                placement=placement,
                op_options=op_options if stage.op == "convlstm" else None,
                name=f"{prefix}res{i + 1}_{j + 1}",
            )(x)
    x = keras.layers.TimeDistributed(
        keras.layers.GlobalAveragePooling2D(), name=f"{prefix}spatial_pool"
    )(x)
    if dropout:
        # One dropout mask for the whole sequence, as the paper's RNN dropout.
        x = keras.layers.SpatialDropout1D(dropout, name=f"{prefix}dropout")(x)
    x = keras.layers.LSTM(lstm_units, return_sequences=per_timestep, name=f"{prefix}lstm")(x)
    return keras.layers.Dense(num_classes, activation="softmax", name=f"{prefix}output")(x)


def build_convlstm_resnet(
    *,
    size=None,
    input_shape=None,
    task="digit",
    stages=None,
    preset=None,
    num_classes=None,
    lstm_units=None,
    dropout=None,
    bidirectional=None,
    per_timestep=False,
    normalization="batch",
    placement="post",
    op_options=None,
    name=None,
):
    """Builds a residual network of convolutional LSTMs.

    Without `stages` or `preset` it is seed 000's ConvLSTM model (Table 4):
    eight bottleneck blocks with a 3x3 ConvLSTM, a spatial pool and the task
    output read at the last frame. With `stages` (a list of `ResConvLSTM`
    modules) or a `preset` it is seed 002's ResNet ConvLSTM.

    Args:
        size: seed 000 only: `"base"` (default) or `"xl"`.
        input_shape: `(frames, height, width, channels)`; defaults to
            `(48, 64, 64, 1)` (seed 000) or the preset's.
        task: seed 000 only: `"digit"`, `"order"` or `"speed"`.
        stages: list of `ResConvLSTM(blocks, in, mid, out[, op])`.
        preset: a name in `PRESETS` (`"lipreading"`,
            `"lipreading_bidirectional"`, `"lipreading_reduced"`); explicit
            arguments override the preset's.
        num_classes: classes of the softmax output (seed 002; default 500
            with a preset, else required with `stages`).
        lstm_units: units of the LSTM before the output (default 256).
        dropout: dropout before the LSTM, one mask per sequence (default 0.5).
        bidirectional: add a second network that reads the clip backwards;
            the two networks' class probabilities are averaged (seed 002,
            Section 4.1). Doubles the parameters.
        per_timestep: output class probabilities at every frame
            `(batch, frames, classes)`, for a per-frame loss.
        normalization, placement: batch-norm settings of every block.
        op_options: extra arguments of every ConvLSTM op (for example
            `{"state_reset_period": 5}`).
        name: model name.

    Returns:
        An uncompiled functional `keras.Model`.

    Example:
    >>> model = build_convlstm_resnet(preset="lipreading", input_shape=(8, 48, 48, 1))
    >>> round(model.count_params() / 1e6, 1)
    14.5

    Reference: Courtney & Sreenivas 2022, Table 4 (seed 000); Courtney &
    Sreenivas, Sections 3.3-3.4 and 4.1 (seed 002).
    """
    if stages is None and preset is None:
        extras = {
            "num_classes": num_classes,
            "lstm_units": lstm_units,
            "dropout": dropout,
            "bidirectional": bidirectional,
            "per_timestep": per_timestep or None,
        }
        given = [k for k, v in extras.items() if v is not None]
        if given:
            raise ValueError(
                f"{', '.join(given)} apply to seed 002's networks: pass `stages` "
                "or `preset` with them."
            )
        return build_courtney_resnet(
            **MODELS["convlstm"],
            size=size or "base",
            input_shape=input_shape or (48, 64, 64, 1),
            task=task,
            normalization=normalization,
            placement=placement,
            op_options=op_options,
            name=name or f"convlstm_{size or 'base'}",
        )

    # ---- arguments
    if size is not None:
        raise ValueError(
            f"`size` applies to seed 000's ConvLSTM model, not to `stages` or "
            f"`preset`. Received: size={size!r}"
        )
    settings = {"input_shape": (48, 48, 48, 1), "lstm_units": 256, "dropout": 0.5, "bidirectional": False}
    if preset is not None:
        check_choice("preset", preset, tuple(PRESETS))
        settings.update(PRESETS[preset])
    overrides = {
        "input_shape": input_shape,
        "stages": stages,
        "num_classes": num_classes,
        "lstm_units": lstm_units,
        "dropout": dropout,
        "bidirectional": bidirectional,
    }
    settings.update({k: v for k, v in overrides.items() if v is not None})
    if settings.get("num_classes") is None:
        raise ValueError("`num_classes` is required with `stages`. Received: num_classes=None")
    check_positive_int("num_classes", settings["num_classes"])
    check_positive_int("lstm_units", settings["lstm_units"])
    rate = settings["dropout"]
    if not isinstance(rate, (int, float)) or not 0 <= rate < 1:
        raise ValueError(f"`dropout` must be in [0, 1). Received: dropout={rate!r}")
    shape = check_input_shape(settings["input_shape"])
    checked = _check_stages(settings["stages"], shape[-1])
    check_strides_fit(shape, [(f"res{i + 1}_1", 1, 2) for i in range(len(checked))])

    # ---- functional graph
    inputs = keras.Input(shape=shape, name="clips")
    tower = dict(
        lstm_units=settings["lstm_units"],
        num_classes=settings["num_classes"],
        dropout=rate,
        per_timestep=per_timestep,
        normalization=normalization,
        placement=placement,
        op_options=op_options,
    )
    if not settings["bidirectional"]:
        outputs = _tower(inputs, checked, prefix="", **tower)
    else:
        forward = _tower(inputs, checked, prefix="forward_", **tower)
        reversed_clips = TimeReverse(name="reverse_clips")(inputs)
        backward = _tower(reversed_clips, checked, prefix="backward_", **tower)
        if per_timestep:
            backward = TimeReverse(name="reverse_outputs")(backward)
        outputs = keras.layers.Average(name="output")([forward, backward])
    return keras.Model(inputs, outputs, name=name or preset or "resnet_convlstm")
