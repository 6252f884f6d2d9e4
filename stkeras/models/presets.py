"""Named models of every family in one registry: `list_presets()` and `from_preset(name or folder)`.

A preset is pure data: the paper, one line of description and the
arguments of its family's builder (`stkeras.models.family`). A family of
stkeras is two files: `<family>.py`, whose backbone builder (and builder)
`register_family` registers, and `<family>_presets.py`, a `PRESETS` table;
every `*_presets.py` module of this package is found and registered here, so
a new family touches no other file. A user's family registers the same way
from their own code: `register_family`, then `register_presets(table,
family=...)`.

`from_preset` builds a preset; explicit arguments override the preset's, and
arguments the builder does not take are refused. `num_classes` and `task`
are one choice (the output): giving either replaces the preset's. Given a
folder that `save_preset` wrote, it loads that model
(`stkeras.models.preset_folder`).

Example:
>>> model = from_preset("r2plus1d_18", num_classes=7, input_shape=(8, 64, 64, 3))
>>> model.get_layer("predictions").units
7
>>> "lipreading" in [preset.name for preset in list_presets()]
True
"""

import dataclasses
import functools
import importlib
import inspect
import os
import pkgutil

from stkeras.data.preprocessing import Preprocessing
from stkeras.models.family import FAMILIES
from stkeras.models.family import get_family
from stkeras.registry import Registry

# The output is one choice: a preset's classes give way to a `task` and the other way round.
OUTPUT_ARGUMENTS = ("num_classes", "task")


@dataclasses.dataclass(frozen=True)
class Preset:
    """One named model: a family and its builder's arguments.

    Attributes:
        name: the registry name, e.g. `"r2plus1d_18"`.
        family: the family, e.g. `"video_resnet"` (`stkeras.models.family`).
        paper: the paper, by its authors.
        description: one line.
        arguments: the family builder's arguments that make this model.
        weights: file names of published checkpoints that `from_preset(name,
            weights=path)` loads (none ship with stkeras: download them),
            e.g. torchvision's `("r3d_18-b3b3357e.pth",)`.
        weights_arguments: builder arguments of the network those checkpoints
            were trained as (e.g. `{"convention": "torchvision"}`), set when
            a file of their type (suffix) is loaded.
        weights_preprocessing: how those checkpoints' clips are made (a
            `stkeras.data.preprocessing.Preprocessing` without the frames):
            a model loaded from one carries it, and the data pipeline
            applies it.
    """

    name: str
    family: str
    paper: str
    description: str
    arguments: dict
    weights: tuple = ()
    weights_arguments: dict = dataclasses.field(default_factory=dict)
    weights_preprocessing: Preprocessing = None

    @property
    def builder(self):
        """The family's builder."""
        return get_family(self.family).builder

    def loads_checkpoint(self, path):
        """Whether `path` is a file of the kind of this preset's declared checkpoints (by suffix)."""
        suffixes = {os.path.splitext(name)[1].lower() for name in self.weights}
        return isinstance(path, (str, os.PathLike)) and os.path.splitext(os.fspath(path))[1].lower() in suffixes

    @property
    def input_shape(self):
        """The default clip shape `(frames, height, width, channels)`."""
        shape = self.arguments.get("input_shape", inspect.signature(self.builder).parameters["input_shape"].default)
        return tuple(shape)

    @property
    def parameters(self):
        """Parameters of the model at its default input (builds it once)."""
        return _counts(self.name)[0]

    @property
    def macs(self):
        """Multiply-accumulates per clip at the default input (`stkeras.analysis.count_flops`)."""
        return _counts(self.name)[1]

    def metadata(self):
        """A dict of the preset's metadata, counts included (builds the model once)."""
        return {"name": self.name, "family": self.family, "paper": self.paper, "description": self.description,
                "input_shape": self.input_shape, "parameters": self.parameters, "macs": self.macs,
                "weights": self.weights, "weights_arguments": dict(self.weights_arguments)}


PRESETS = Registry("preset")


def register_presets(table, *, family):
    """Registers every preset of a family's table `{name: {"description", "arguments"[, "paper"]}}`.

    The family must be registered (`register_family`); an entry's paper
    defaults to the family's. An entry may declare published checkpoints:
    `"weights"` (their file names), `"weights_arguments"` (the builder
    arguments they need) and `"weights_preprocessing"` (a dict of
    `Preprocessing` settings: how their clips are made).

    Example:
    >>> with PRESETS.temporary():
    ...     register_presets({"tiny_r3d": {"description": "tiny", "arguments": {"depth": 10}}},
    ...                      family="video_resnet")
    ...     from_preset("tiny_r3d", input_shape=(8, 32, 32, 3), num_classes=3).output.shape
    (None, 3)
    """
    builder = get_family(family).builder
    allowed = set(inspect.signature(builder).parameters)
    for name, entry in table.items():
        unknown = sorted(set(entry["arguments"]) - allowed)
        if unknown:
            raise ValueError(f"Preset {name!r} gives {builder.__name__} arguments it does not take: "
                             f"{', '.join(unknown)}.")
        preprocessing = entry.get("weights_preprocessing")
        PRESETS.register(name, Preset(
            name, family, entry.get("paper", get_family(family).paper), entry["description"],
            dict(entry["arguments"]), tuple(entry.get("weights", ())), dict(entry.get("weights_arguments", {})),
            None if preprocessing is None else Preprocessing.from_config(preprocessing)))


def list_presets(family=None):
    """Every registered preset (`Preset` records), in registration order.

    Args:
        family: only this family's presets (e.g. `"video_resnet"`).

    Example:
    >>> [preset.name for preset in list_presets("res_convlstm")]
    ['lipreading', 'lipreading_reduced']
    """
    presets = [preset for _, preset in PRESETS.items()]
    if family is not None:
        families = sorted({preset.family for preset in presets})
        if family not in families:
            raise ValueError(f"Unknown family: {family!r}. Available families: {', '.join(map(repr, families))}. "
                             f"Received: family={family!r}")
        presets = [preset for preset in presets if preset.family == family]
    return presets


def get_preset(name):
    """The `Preset` registered as `name` (a `ValueError` lists the names otherwise)."""
    return PRESETS.get(name, "name")


def preset_arguments(name, *, num_classes=None, task=None, input_shape=None, **overrides):
    """The builder arguments `from_preset(name, ...)` builds with: the preset's, then the caller's.

    Raises:
        ValueError: an override the family's builder does not take.

    Example:
    >>> preset_arguments("conv3d_xl", task="speed", input_shape=(8, 32, 32, 1))["width"]
    'xl'
    """
    preset = get_preset(name)
    accepted = inspect.signature(preset.builder).parameters
    unknown = sorted(set(overrides) - set(accepted))
    if unknown:
        choices = ", ".join(sorted(set(accepted) - set(OUTPUT_ARGUMENTS) - {"input_shape"}))
        raise ValueError(f"Preset {name!r} ({preset.builder.__name__}) does not take {', '.join(unknown)}. "
                         f"Its arguments: num_classes, task, input_shape, weights, {choices}. "
                         f"Received: {', '.join(f'{key}={overrides[key]!r}' for key in unknown)}")
    arguments = dict(preset.arguments)
    if num_classes is not None or task is not None:
        for key in OUTPUT_ARGUMENTS:
            arguments.pop(key, None)
        arguments.update(num_classes=num_classes, task=task)
    if input_shape is not None:
        arguments["input_shape"] = input_shape
    arguments.setdefault("name", name)
    arguments.update(overrides)
    return arguments


def from_preset(name, *, num_classes=None, task=None, input_shape=None, weights=None, **overrides):
    """Builds a registered model, or loads one that `save_preset` wrote to a folder.

    Args:
        name: a preset name (`[p.name for p in list_presets()]`), or the
            path of a preset folder (`stkeras.models.save_preset`): its
            model is rebuilt and its weights loaded (the arguments below
            then change it: another output keeps every weight but the
            classifier's).
        num_classes: a classifier of that many classes instead of the
            preset's output; or give `task`.
        task: a `stkeras.tasks.Task` or a registered task name (e.g.
            `"speed"` for a regression).
        input_shape: the clip shape, instead of the preset's.
        weights: `None` (random), the path of weights saved with
            `model.save_weights` for this architecture, or of a checkpoint
            the preset declares (`Preset.weights`, e.g. torchvision's
            `r2plus1d_18-91a641e6.pth` for `r2plus1d_18`): the model is then
            built with the preset's `weights_arguments` (torchvision's:
            `convention="torchvision"`), the builder loads the file, and the
            model carries the checkpoint's `preprocessing`. With
            `num_classes` other than the checkpoint's, everything but the
            classifier loads (fine-tuning).
        **overrides: other arguments of the family's builder; they override
            the preset's.

    Returns:
        an uncompiled `VideoModel` whose output layer is `"predictions"`.

    Example:
    >>> model = from_preset("conv3d", task="speed", input_shape=(8, 32, 32, 1))
    >>> model.output.shape
    (None, 1)
    """
    if isinstance(name, (str, os.PathLike)) and os.path.isdir(name):
        from stkeras.models.preset_folder import read_preset

        changes = {k: v for k, v in dict(num_classes=num_classes, task=task, input_shape=input_shape).items()
                   if v is not None}
        if weights is not None:
            raise ValueError(f"A preset folder holds its weights: `weights` is for a preset name. Received: "
                             f"weights={weights!r} for {os.fspath(name)!r}")
        return read_preset(name).load(**changes, **overrides)
    preset = get_preset(name)
    arguments = preset_arguments(name, num_classes=num_classes, task=task, input_shape=input_shape, **overrides)
    family = get_family(preset.family)
    if weights is not None and preset.loads_checkpoint(weights):
        for key, value in preset.weights_arguments.items():
            if key in overrides and overrides[key] != value:
                raise ValueError(f"The checkpoint {os.fspath(weights)!r} of preset {name!r} needs {key}={value!r}. "
                                 f"Received: {key}={overrides[key]!r}")
            arguments[key] = value
        model = family.build(**arguments, weights=weights)
        model.preprocessing = preset.weights_preprocessing
    else:
        model = family.build(**arguments)
        if weights is not None:
            _load_weights(model, weights, preset)
    model.build_record = dataclasses.replace(model.build_record, preset=name)
    return model


def _load_weights(model, weights, preset):
    name = preset.name
    if not isinstance(weights, (str, os.PathLike)) or not os.path.isfile(weights):
        raise ValueError(f"`weights` must be None or the path of a weights file saved with `save_weights`; no "
                         f"pretrained weights ship with preset {name!r}. Received: weights={weights!r}")
    if os.fspath(weights).lower().endswith((".pth", ".pt")):
        declaring = [p.name for p in list_presets() if p.loads_checkpoint(weights)]
        raise ValueError(f"Preset {name!r} declares no PyTorch checkpoints; presets that do: "
                         f"{', '.join(declaring) or 'none'}. Received: weights={os.fspath(weights)!r}")
    try:
        model.load_weights(weights)
    except Exception as error:  # h5py and Keras raise several types for a damaged or mismatched file
        raise ValueError(f"The weights file {os.fspath(weights)!r} cannot be loaded into preset {name!r}: "
                         f"{error}") from None


@functools.lru_cache(maxsize=None)
def _counts(name):
    from stkeras.analysis.counts import count_flops

    model = from_preset(name)
    return model.count_params(), count_flops(model)


def _register_package_families():
    """Imports every `<family>_presets.py` of this package with its `<family>.py` and registers its table."""
    package = importlib.import_module("stkeras.models")
    for module in pkgutil.iter_modules(package.__path__):
        if not module.name.endswith("_presets"):
            continue
        family = module.name[: -len("_presets")]
        importlib.import_module(f"stkeras.models.{family}")  # registers the family
        if family not in FAMILIES:
            raise ImportError(f"stkeras/models/{family}.py registers no family {family!r} for {module.name}.py")
        register_presets(importlib.import_module(f"stkeras.models.{module.name}").PRESETS, family=family)


_register_package_families()
