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
before the output layer, about 14.5M parameters (29M bidirectional), and a
reduced model (Section 3.4) with roughly half as many. The last condition
decides how the LSTM reads the maps: it reads each frame's final map
flattened (Section 4.1's "final fully connected LSTM layer"). With a spatial
average instead, no widths that grow with depth give the reduced model more
than 0.29 of the full model's 14.5M: most parameters would sit in the 3x3
scale that the reduced model removes. Flattened, the reduced model's LSTM
reads a 6x6 map, and it keeps 0.53 of them.
"""

from typing import NamedTuple

import keras

from stkeras.blocks.bottleneck import ResidualBottleneck
from stkeras.blocks.ops import get_op
from stkeras.heads.registry import get_head
from stkeras.layers.time_reverse import TimeReverse
from stkeras.models.checks import check_input_shape
from stkeras.models.checks import check_strides_fit
from stkeras.models.courtney import MODELS
from stkeras.models.courtney import build_courtney_resnet
from stkeras.models.video_model import VideoModel
from stkeras.tasks import Task
from stkeras.validation import check_choice
from stkeras.validation import check_positive_int
from stkeras.validation import check_rate
from stkeras.validation import check_weights_fit


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
        ResConvLSTM(5, 96, 88, 176),
        ResConvLSTM(3, 176, 168, 336),
    ),
    "spatial_reduction": "flatten",
    "lstm_units": 256,
    "num_classes": 500,
    "dropout": 0.5,
}

SPATIAL_REDUCTIONS = ("mean", "flatten")

# Named variants of seed 002, as argument sets of `build_convlstm_resnet`.
PRESETS = {
    "lipreading": _LIPREADING,
    # Both directions in one model, trained jointly: an alternative to the
    # paper's procedure (stkeras.training.reverse_direction, Section 4.1).
    "lipreading_two_tower": {**_LIPREADING, "bidirectional": True},
    # Section 3.4: ConvLSTMs at 12x12 and 6x6 become 2D convolutions, the
    # 3x3 scale is removed.
    "lipreading_reduced": {
        **_LIPREADING,
        "stages": (
            ResConvLSTM(3, 1, 24, 48),
            ResConvLSTM(3, 48, 48, 96, "conv2d"),
            ResConvLSTM(5, 96, 88, 176, "conv2d"),
        ),
    },
}


def reduce_frames(features, spatial_reduction, prefix=""):
    """Feature maps `(batch, frames, h, w, c)` as the LSTM head reads them.

    `"mean"` leaves them to the head, which averages over space; `"flatten"`
    gives each frame's whole map as one vector `(batch, frames, h * w * c)`.
    """
    if spatial_reduction == "mean":
        return features
    size = 1
    for dim in features.shape[2:]:
        size *= dim
    # A Reshape, not TimeDistributed(Flatten()): it takes any number of frames.
    return keras.layers.Reshape((-1, size), name=f"{prefix}flatten")(features)


def _check_stages(stages, in_channels):
    if not isinstance(stages, (list, tuple)) or not stages:
        raise TypeError(f"`stages` must be a non-empty list of ResConvLSTM(blocks, in_channels, mid_channels, "
                        f"out_channels[, op]). Received: stages={stages!r}")
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


def _stage_options(stages, op_options):
    """`op_options` for each stage: a list gives one per stage; a dict goes to
    the stages whose op supports all its options."""
    if op_options is None:
        return [None] * len(stages)
    if isinstance(op_options, (list, tuple)):
        if len(op_options) != len(stages):
            raise ValueError(f"`op_options` as a list needs one entry (a dict or None) per stage: {len(stages)}. "
                             f"Received: op_options={op_options!r}")
        return [get_op(stage.op).check_options(options, f"op_options[{i}]") or None
                for i, (stage, options) in enumerate(zip(stages, op_options))]
    specs = [get_op(stage.op) for stage in stages]
    fits = [isinstance(op_options, dict) and set(op_options) <= spec.options for spec in specs]
    if not any(fits):
        specs[0].check_options(op_options)  # the op's own error names the option
    return [op_options if fit else None for fit in fits]


def res_convlstm_features(x, stages, *, normalization="batch", placement="post", op_options=None, prefix=""):
    """Applies `Res_ConvLSTM` modules to clip tensor `x`; returns `(features, stage names)`.

    The first sub-block of a module strides by 2 with the skip-path layer its
    op's spec names (`projection`: a 1x1 ConvLSTM for `convlstm`, type A; a
    1x1 convolution otherwise); the others have an open skip (type B).
    `op_options` go to the stages whose op supports them.
    """
    names = []
    for i, (stage, options) in enumerate(zip(stages, _stage_options(stages, op_options))):
        spec = get_op(stage.op)
        for j in range(stage.blocks):
            first = j == 0
            x = ResidualBottleneck(
                stage.out_channels,
                stage.mid_channels,
                op=stage.op,
                strides=2 if first else 1,
                shortcut=spec.projection if first else "identity",
                normalization=normalization,
                placement=placement,
                op_options=options,
                name=f"{prefix}res{i + 1}_{j + 1}",
            )(x)
        names.append(f"{prefix}res{i + 1}_{stage.blocks}")
    return x, names


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
    spatial_reduction=None,
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
            `"lipreading_two_tower"`, `"lipreading_reduced"`); explicit
            arguments override the preset's.
        num_classes: classes of the softmax output (seed 002; default 500
            with a preset, else required with `stages`).
        lstm_units: units of the LSTM before the output (default 256).
        dropout: dropout before the LSTM, one mask per sequence (default 0.5).
        bidirectional: add a second network that reads the clip backwards,
            trained jointly with the first; the two networks' class
            probabilities are averaged. Doubles the parameters. The paper
            trains the reverse network separately, starting from the trained
            forward one (Section 4.1): `stkeras.training.reverse_direction`
            and `average_directions`.
        per_timestep: output class probabilities at every frame
            `(batch, frames, classes)`, for a per-frame loss.
        spatial_reduction: how the LSTM reads each frame's last feature map:
            `"mean"` (averaged over space; the default with `stages`) or
            `"flatten"` (the whole map; the presets').
        normalization, placement: batch-norm settings of every block.
        op_options: extra arguments of the ops of every stage whose op
            supports them all (for example `{"state_reset_period": 5}` for
            the ConvLSTM stages); refused if no stage's op supports them. A
            list gives each stage its own (a dict or None): resetting one
            scale is `[None, {"state_reset_period": 1}, None, None]`. A
            stage's `state_reset_period` also resets the 1x1 ConvLSTM of its
            type-A skip path.
        name: model name.

    Returns:
        An uncompiled `VideoModel` whose head is an `"lstm"` head of one
        layer (seed 002) or seed 000's ConvLSTM head.

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
            "spatial_reduction": spatial_reduction,
        }
        given = [k for k, v in extras.items() if v is not None]
        if given:
            raise ValueError(
                f"{', '.join(given)} apply to seed 002's networks: pass `stages` "
                f"or `preset` with them. Received: {', '.join(f'{k}={extras[k]!r}' for k in given)} with "
                f"stages={stages!r}, preset={preset!r}"
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
            f"`preset`. Received: size={size!r}, stages={stages!r}, preset={preset!r}"
        )
    settings = {"input_shape": (48, 48, 48, 1), "lstm_units": 256, "dropout": 0.5, "bidirectional": False,
                "spatial_reduction": "mean"}
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
        "spatial_reduction": spatial_reduction,
    }
    settings.update({k: v for k, v in overrides.items() if v is not None})
    if settings.get("num_classes") is None:
        raise ValueError("`num_classes` is required with `stages`. Received: num_classes=None")
    check_positive_int("num_classes", settings["num_classes"])
    check_positive_int("lstm_units", settings["lstm_units"])
    rate = check_rate("dropout", settings["dropout"])
    reduction = check_choice("spatial_reduction", settings["spatial_reduction"], SPATIAL_REDUCTIONS)
    shape = check_input_shape(settings["input_shape"])
    checked = _check_stages(settings["stages"], shape[-1])
    check_strides_fit(shape, [(f"res{i + 1}_1", 1, 2) for i in range(len(checked))])

    # ---- functional graph
    task = Task.classification("classes", settings["num_classes"])
    head = get_head("lstm")
    head_options = dict(layers=1, units=settings["lstm_units"], dropout=rate, per_frame=per_timestep)
    blocks = dict(normalization=normalization, placement=placement, op_options=op_options)
    inputs = keras.Input(shape=shape, name="clips")

    def frame_features(features, prefix=""):
        frames = reduce_frames(features, reduction, prefix)
        units = settings["lstm_units"]
        check_weights_fit("lstm", {"kernels": (frames.shape[-1] + units, 4 * units)}, f"lstm_units={units}")
        return frames

    if not settings["bidirectional"]:
        features, stages = res_convlstm_features(inputs, checked, **blocks)
        outputs = head.apply(frame_features(features), task=task, output_name="output", **head_options)
        return VideoModel(inputs, outputs, stage_names=stages, name=name or preset or "resnet_convlstm")
    forward, forward_stages = res_convlstm_features(inputs, checked, prefix="forward_", **blocks)
    forward = head.apply(frame_features(forward, "forward_"), task=task, output_name="forward_output",
                         prefix="forward_", **head_options)
    reversed_clips = TimeReverse(name="reverse_clips")(inputs)
    backward, backward_stages = res_convlstm_features(reversed_clips, checked, prefix="backward_", **blocks)
    backward = head.apply(frame_features(backward, "backward_"), task=task, output_name="backward_output",
                          prefix="backward_", **head_options)
    if per_timestep:
        backward = TimeReverse(name="reverse_outputs")(backward)
    outputs = keras.layers.Average(name="output")([forward, backward])
    return VideoModel(inputs, outputs, stage_names=forward_stages + backward_stages,
                      name=name or preset or "resnet_convlstm")
