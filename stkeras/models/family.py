"""Families: a backbone builder and a default head per architecture, in one registry; what a model was built from.

A family is keras-hub's Backbone class and its task model in stkeras' terms:

- a **backbone builder**: keyword-only, clips `(frames, height, width,
  channels)` to features, returning a `VideoModel` whose stage outputs are
  named;
- a **default head** (a name of `stkeras.heads` and its options);
- a **builder**: backbone + head + task. A family registered with only a
  backbone gets the generic one (`build_family_model`): the backbone's
  arguments, then `head`, `head_options`, `num_classes` or `task` and
  `name`, assembled by `VideoModel.with_head`. A paper's family may give its
  own builder (a paper's head, published checkpoints), written the same way:
  its backbone builder, then `with_head`.

Every builder of a family takes `num_classes=` or `task=` (never both), and
its output layer is `"predictions"`; `weights=` always means the whole
network's weights. Named variants are presets of the family
(`stkeras.models.presets`).

A model built by a family remembers how (`VideoModel.build_record`): the
builder or backbone builder called and its arguments, plus the head a
backbone was given. `save_preset` writes that record to a preset folder's
`config.json`, and `from_preset(DIR)` rebuilds the model from it.

Example:
>>> from stkeras.models.video_model import VideoModel
>>> import keras
>>> def build_tiny_backbone(*, input_shape=(4, 16, 16, 1), filters=8, name=None):
...     clips = keras.Input(input_shape, name="clips")
...     maps = keras.layers.Conv3D(filters, 3, padding="same", name="conv1")(clips)
...     return VideoModel(clips, maps, stage_names=["conv1"], name=name or "tiny_backbone")
>>> with FAMILIES.temporary():
...     tiny = register_family("tiny", backbone=build_tiny_backbone, head="pool")
...     model = tiny.build(num_classes=3, filters=4)
...     model.output.shape, model.build_record.arguments
((None, 3), {'num_classes': 3, 'filters': 4})
"""

import dataclasses
import functools
import inspect
from typing import Callable

from stkeras.heads.registry import get_head
from stkeras.registry import Registry
from stkeras.tasks import resolve_task
from stkeras.validation import check_options

# Arguments of a builder that are not part of the architecture a record keeps: weights live in the folder.
WEIGHT_ARGUMENTS = ("weights", "backbone_weights")
# The generic builder's own arguments, beside the backbone's.
HEAD_ARGUMENTS = ("num_classes", "task", "classifier_activation", "head", "head_options", "name")


@dataclasses.dataclass(frozen=True)
class BuildRecord:
    """How a model was built: the family's function called, its arguments, and the head put on a backbone.

    Attributes:
        function: the builder or backbone builder (as registered in a family).
        arguments: its keyword arguments, without the weights files.
        head: for a backbone with a head put on it (`VideoModel.with_head`),
            the head's name; `None` for a builder's model.
        head_arguments: the other arguments of that `with_head` call (the
            head's options, the model's `name`), its task aside.
        preset: the preset whose arguments these are (`from_preset`), or `None`.
    """

    function: Callable
    arguments: dict
    head: str = None
    head_arguments: dict = None
    preset: str = None


def records_build(function):
    """Decorator: the `VideoModel` a builder returns keeps a `BuildRecord` of the call (`model.build_record`).

    The outermost recorded call wins: a paper's builder that calls its
    family's backbone builder leaves its own record.
    """
    if getattr(function, "records_build", False):
        return function

    @functools.wraps(function)
    def build(**arguments):
        model = function(**arguments)
        kept = {key: value for key, value in arguments.items() if key not in WEIGHT_ARGUMENTS}
        model.build_record = BuildRecord(build, kept)
        return model

    build.records_build = True
    return build


@dataclasses.dataclass(frozen=True)
class Family:
    """One family: its backbone builder, its default head and its builder.

    Attributes:
        name: the registry name, e.g. `"video_resnet"`.
        backbone: the backbone builder (clips to named stages).
        builder: the builder of whole models (backbone + head + task).
        head: the default head's registered name.
        head_options: the default head's options.
        paper: the paper, by its authors.
    """

    name: str
    backbone: Callable
    builder: Callable
    head: str
    head_options: dict
    paper: str = ""

    def build(self, **arguments):
        """A model of this family: `builder(**arguments)`."""
        return self.builder(**arguments)

    def arguments(self):
        """The names of the builder's arguments."""
        return tuple(inspect.signature(self.builder).parameters)


FAMILIES = Registry("family", "families")


def _generic_builder(family, backbone, default_head, default_options):
    """`build_family_model` bound to one family's backbone builder and default head."""

    def build(*, num_classes=None, task=None, classifier_activation="softmax", head=None, head_options=None,
              name=None, **arguments):
        task = resolve_task(num_classes, task, classifier_activation=classifier_activation)
        if head is None:
            get_head(default_head).check_options(head_options)
            head, options = default_head, {**default_options, **check_options("head_options", head_options)}
        else:
            options = get_head(head).check_options(head_options)
        return backbone(**arguments).with_head(head, task=task, name=name or family, **options)

    own = [p for p in inspect.signature(backbone).parameters.values() if p.name != "name"]
    heads = [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY, default=d) for n, d in (
        ("num_classes", None), ("task", None), ("classifier_activation", "softmax"), ("head", None),
        ("head_options", None), ("name", None))]
    build.__signature__ = inspect.Signature(own + heads)
    build.__name__ = f"build_{family}"
    build.__doc__ = (f"A `{family}` model: `{backbone.__name__}(**arguments)` with a head (default "
                     f"`{default_head!r}`) for `num_classes` or `task` (see `stkeras.models.family`).")
    return records_build(build)


def register_family(name, *, backbone, builder=None, head="pool", head_options=None, paper=""):
    """Registers a family: its backbone builder, its default head and (optionally) its own builder.

    Args:
        name: the family's name (must be new).
        backbone: a keyword-only backbone builder returning a `VideoModel`.
        builder: a builder of whole models; default: the generic one, the
            backbone's arguments plus `num_classes`, `task`,
            `classifier_activation`, `head`, `head_options` and `name`.
        head: the default head (a registered name).
        head_options: the default head's options.
        paper: the paper, by its authors.

    Returns:
        the `Family`.
    """
    head_options = get_head(head).check_options(head_options)
    backbone = records_build(backbone)
    builder = _generic_builder(name, backbone, head, head_options) if builder is None else records_build(builder)
    return FAMILIES.register(name, Family(name, backbone, builder, head, head_options, paper))


def get_family(name, argument="family"):
    """The `Family` registered as `name` (a `ValueError` lists the families otherwise)."""
    return FAMILIES.get(name, argument)


def family_of(record):
    """`(family, role)` of a `BuildRecord`: the family whose builder (`"builder"`) or backbone (`"backbone"`) made it.

    Raises:
        ValueError: the function belongs to no registered family.
    """
    for _, family in FAMILIES.items():
        if record.function is family.builder:
            return family, "builder"
        if record.function is family.backbone:
            return family, "backbone"
    raise ValueError(f"{getattr(record.function, '__name__', record.function)!r} is the builder of no registered "
                     f"family: register it with `register_family` first.")
