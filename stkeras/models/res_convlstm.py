"""Courtney & Sreenivas 2019's ResNet ConvLSTM: stacked `Res_ConvLSTM` modules, a spatial reduction, one LSTM.

Courtney & Sreenivas 2019 (Courtney & Sreenivas, *Using deep convolutional LSTM networks for
learning spatiotemporal features*, Section 3.3) stacks `Res_ConvLSTM(n, in,
mid, out)` modules: a type-A sub-block (stride 2, a 1x1 ConvLSTM in the skip
path) followed by `n - 1` type-B sub-blocks (open skip), each
1x1 conv -> 3x3 ConvLSTM -> 1x1 conv; then a spatial pool, one LSTM and the
output layer.

The paper's Figure 3b, which gives the lipreading network's channels, is not
in its text; the `"lipreading"` preset (`res_convlstm_presets.py`) is a
reconstruction that satisfies
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
from stkeras.heads.recurrent import check_recurrent_units
from stkeras.heads.registry import get_head
from stkeras.layers.time_reverse import TimeReverse
from stkeras.models.checks import check_input_shape
from stkeras.models.checks import check_strides_fit
from stkeras.models.family import records_build
from stkeras.models.family import register_family
from stkeras.models.video_model import VideoModel
from stkeras.tasks import resolve_task
from stkeras.validation import check_bool
from stkeras.validation import check_choice
from stkeras.validation import check_positive_int
from stkeras.validation import check_rate


class ResConvLSTM(NamedTuple):
    """One `Res_ConvLSTM(n, in, mid, out)` module of Courtney & Sreenivas 2019.

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


SPATIAL_REDUCTIONS = ("mean", "flatten")


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


@records_build
def build_res_convlstm_backbone(*, stages, input_shape=(48, 48, 48, 1), normalization="batch", placement="post",
                                op_options=None, name=None):
    """Stacked `Res_ConvLSTM` modules: clips to the last module's feature maps, a stage per module.

    Args: as `build_res_convlstm`'s, without the head and the output.

    Example:
    >>> build_res_convlstm_backbone(stages=[(1, 1, 8, 16), (1, 16, 16, 32)], input_shape=(4, 16, 16, 1)).stage_names
    ('res1_1', 'res2_1')
    """
    shape = check_input_shape(input_shape)
    checked = _check_stages(stages, shape[-1])
    check_strides_fit(shape, [(f"res{i + 1}_1", 1, 2) for i in range(len(checked))])
    inputs = keras.Input(shape=shape, name="clips")
    features, stage_names = res_convlstm_features(inputs, checked, normalization=normalization, placement=placement,
                                                  op_options=op_options)
    return VideoModel(inputs, features, stage_names=stage_names, name=name or "res_convlstm_backbone")


@records_build
def build_res_convlstm(
    *,
    stages,
    input_shape=(48, 48, 48, 1),
    num_classes=None,
    task=None,
    classifier_activation="softmax",
    lstm_units=256,
    dropout=0.5,
    bidirectional=False,
    per_frame=False,
    spatial_reduction="mean",
    normalization="batch",
    placement="post",
    op_options=None,
    name=None,
):
    """Builds Courtney & Sreenivas 2019's ResNet ConvLSTM from `Res_ConvLSTM` modules.

    The lipreading networks are presets: `from_preset("lipreading")` and
    `from_preset("lipreading_reduced")` (Section 3.4).

    Args:
        stages: list of `ResConvLSTM(blocks, in, mid, out[, op])` (or plain
            tuples of those fields).
        input_shape: `(frames, height, width, channels)`; frames may be None.
        num_classes: classes of the softmax output; or give `task`.
        task: a `stkeras.tasks.Task` or a registered task name.
        classifier_activation: the classifier's activation with
            `num_classes` (`None`: logits).
        lstm_units: units of the LSTM before the output.
        dropout: dropout before the LSTM, one mask per sequence.
        bidirectional: add a second network that reads the clip backwards,
            trained jointly with the first; the two networks' outputs are
            averaged. Doubles the parameters. The paper trains the reverse
            network separately, starting from the trained forward one
            (Section 4.1): `stkeras.training.reverse_direction` and
            `average_directions`.
        per_frame: output at every frame `(batch, frames, units)`, for a
            per-frame loss.
        spatial_reduction: how the LSTM reads each frame's last feature map:
            `"mean"` (averaged over space) or `"flatten"` (the whole map;
            the lipreading presets').
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
        layer and whose output layer is `"predictions"`.

    Example:
    >>> model = build_res_convlstm(stages=[(1, 1, 8, 16), (1, 16, 16, 32)], input_shape=(4, 16, 16, 1),
    ...                            num_classes=5)
    >>> model.output.shape
    (None, 5)

    Reference: Courtney & Sreenivas 2019, Sections 3.3-3.4 and 4.1.
    """
    # ---- arguments
    task = resolve_task(num_classes, task, classifier_activation=classifier_activation)
    check_recurrent_units(lstm_units, argument="lstm_units")
    rate = check_rate("dropout", dropout)
    reduction = check_choice("spatial_reduction", spatial_reduction, SPATIAL_REDUCTIONS)
    bidirectional = check_bool("bidirectional", bidirectional)
    per_frame = check_bool("per_frame", per_frame)

    # ---- functional graph
    head = get_head("lstm")
    head_options = dict(layers=1, units=lstm_units, dropout=rate, per_frame=per_frame)
    blocks = dict(normalization=normalization, placement=placement, op_options=op_options)

    def frame_features(features, prefix=""):
        return reduce_frames(features, reduction, prefix)

    if not bidirectional:
        backbone = build_res_convlstm_backbone(stages=stages, input_shape=input_shape, **blocks)
        outputs = head.apply(frame_features(backbone.output), task=task, **head_options)
        return VideoModel(backbone.inputs[0], outputs, stage_names=backbone.stage_names, task=task,
                          name=name or "res_convlstm")
    # Two networks, one reading the clip backwards: each is the backbone's graph under its own prefix.
    shape = check_input_shape(input_shape)
    checked = _check_stages(stages, shape[-1])
    check_strides_fit(shape, [(f"res{i + 1}_1", 1, 2) for i in range(len(checked))])
    inputs = keras.Input(shape=shape, name="clips")
    forward, forward_stages = res_convlstm_features(inputs, checked, prefix="forward_", **blocks)
    forward = head.apply(frame_features(forward, "forward_"), task=task, prefix="forward_", **head_options)
    reversed_clips = TimeReverse(name="reverse_clips")(inputs)
    backward, backward_stages = res_convlstm_features(reversed_clips, checked, prefix="backward_", **blocks)
    backward = head.apply(frame_features(backward, "backward_"), task=task, prefix="backward_", **head_options)
    if per_frame:
        backward = TimeReverse(name="reverse_outputs")(backward)
    # float32 like every output layer (`Task.output_layer`): under a mixed policy the loss reads float32.
    outputs = keras.layers.Average(name="predictions", dtype="float32")([forward, backward])
    return VideoModel(inputs, outputs, stage_names=forward_stages + backward_stages, task=task,
                      name=name or "res_convlstm_bidirectional")


register_family("res_convlstm", backbone=build_res_convlstm_backbone, builder=build_res_convlstm, head="lstm",
                head_options={"layers": 1, "units": 256, "dropout": 0.5}, paper="Courtney & Sreenivas 2019")
