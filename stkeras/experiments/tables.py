"""The commands that print a table: `stkeras rf` (receptive fields), `heads` (Köpüklü et al.'s Table 3) and
`presets` (every named model).

Each is a plan (the arguments checked, the model built once) and a run (the
table printed).

Example:
>>> run_rf(plan_rf(op="rank1", frames=8, frame_size=32))  # doctest: +ELLIPSIS
Receptive fields of rank1_base, input 8x32x32
...
"""

import dataclasses

from stkeras.analysis import format_receptive_field
from stkeras.analysis import receptive_field
from stkeras.experiments.head_costs import format_head_costs
from stkeras.experiments.head_costs import head_costs
from stkeras.models.courtney import build_courtney_resnet
from stkeras.models.preset_table import preset_page
from stkeras.models.presets import from_preset
from stkeras.models.presets import get_preset
from stkeras.models.presets import list_presets
from stkeras.validation import check_positive_int


@dataclasses.dataclass
class RfPlan:
    """A model built once, and whether its blocks' layers are listed too."""

    model: object
    frames: int
    frame_size: int
    sublayers: bool


def plan_rf(*, model=None, op=None, width="base", frames=48, frame_size=64, sublayers=False, verbose=False):
    """Builds the model whose receptive fields `run_rf` prints: a preset, or Courtney & Sreenivas 2022's network
    around any registered op, at clips of `frames` frames of `frame_size` x `frame_size`.

    Args:
        model: a preset name (its channels); or give `op`.
        op: a registered op: `build_courtney_resnet(op=op, width=width)`.
        width: `"base"` or `"xl"` with `op`.
        frames, frame_size: the clips.
        sublayers: also list the layers inside the blocks.
        verbose: unused (the command line's).
    """
    if (model is None) == (op is None):
        raise ValueError(f"Give a preset (`model`) or an op (`op`), one of them. Received: model={model!r}, "
                         f"op={op!r}")
    check_positive_int("frames", frames)
    check_positive_int("frame_size", frame_size)
    if model is not None:
        channels = get_preset(model).input_shape[-1]
        built = from_preset(model, input_shape=(frames, frame_size, frame_size, channels))
    else:
        built = build_courtney_resnet(op=op, width=width, input_shape=(frames, frame_size, frame_size, 1))
    return RfPlan(built, frames, frame_size, bool(sublayers))


def run_rf(plan):
    """Prints the model's receptive-field table; returns its rows."""
    rows = receptive_field(plan.model, include_sublayers=plan.sublayers)
    print(f"Receptive fields of {plan.model.name}, input {plan.frames}x{plan.frame_size}x{plan.frame_size}\n")
    print(format_receptive_field(rows))
    return rows


@dataclasses.dataclass
class HeadsPlan:
    """Table 3's setting: segments, features per segment, classes."""

    segments: int
    feature_dim: int
    classes: int


def plan_heads(*, segments=8, feature_dim=256, classes=27, verbose=False):
    """Checks the setting of Köpüklü et al.'s Table 3 that `run_heads` counts every head at."""
    return HeadsPlan(check_positive_int("segments", segments), check_positive_int("feature_dim", feature_dim),
                     check_positive_int("classes", classes, minimum=2))


def run_heads(plan):
    """Builds every head alone, counts it, and prints the table beside the paper's; returns the rows."""
    rows = head_costs(num_segments=plan.segments, feature_dim=plan.feature_dim, num_classes=plan.classes)
    print(f"Köpüklü et al., Table 3: every head alone, {plan.segments} segments, D={plan.feature_dim}, "
          f"{plan.classes} classes; ConvLSTM and 3D-FCN on 7x7 / 13x13 maps. MMACs: stkeras' multiply-accumulates.\n")
    print(format_head_costs(rows))
    return rows


@dataclasses.dataclass
class PresetsPlan:
    """The family whose presets are listed (`None`: every family)."""

    family: str = None


def plan_presets(*, family=None, verbose=False):
    """Checks the family (`list_presets` names the families otherwise)."""
    list_presets(family)
    return PresetsPlan(family)


def run_presets(plan):
    """Prints the presets' page (`docs/presets.md`): builds every listed model once to count it."""
    page = preset_page(plan.family)
    print(page, end="")
    return page
