"""Named models of every family in one registry: `list_presets()` and `from_preset(name)`.

A preset is pure data, kept in one file per family (`*_presets.py`): the
paper, one line of description and the arguments of the family's builder.
It is registered once, here, with that builder. `from_preset` builds it;
explicit arguments override the preset's, and arguments the builder does not
take are refused. `num_classes` and `task` are one choice (the output): giving
either replaces the preset's.

Example:
>>> model = from_preset("r2plus1d_18", num_classes=7, input_shape=(8, 64, 64, 3))
>>> model.get_layer("predictions").units
7
>>> "lipreading" in [preset.name for preset in list_presets()]
True
"""

import dataclasses
import functools
import inspect
import os
from typing import Callable

from stkeras.models import courtney_presets
from stkeras.models import frame_model_presets
from stkeras.models import res_convlstm_presets
from stkeras.models import s3d_presets
from stkeras.models import stdcf_presets
from stkeras.models import video_resnet_presets
from stkeras.models import vggm_convlstm_presets
from stkeras.models import x3d_presets
from stkeras.models.courtney import build_courtney_resnet
from stkeras.models.frame_model import build_frame_model
from stkeras.models.res_convlstm import build_res_convlstm
from stkeras.models.s3d import build_s3d
from stkeras.models.stdcf_resnet import build_small_3d_cnn
from stkeras.models.stdcf_resnet import build_stdcf_resnet
from stkeras.models.video_resnet import build_video_resnet
from stkeras.models.vggm_convlstm import build_vggm_convlstm
from stkeras.models.x3d import build_x3d
from stkeras.registry import Registry
from stkeras.weights.torch_checkpoint import is_torch_checkpoint

# The output is one choice: a preset's classes give way to a `task` and the other way round.
OUTPUT_ARGUMENTS = ("num_classes", "task")


@dataclasses.dataclass(frozen=True)
class Preset:
    """One named model: a builder and its arguments.

    Attributes:
        name: the registry name, e.g. `"r2plus1d_18"`.
        family: the builder family, e.g. `"video_resnet"`.
        paper: the paper, by its authors.
        description: one line.
        builder: the family's builder function.
        arguments: the builder's arguments that make this model.
        weights: file names of published checkpoints that `from_preset(name,
            weights=path)` loads (none ship with stkeras: download them),
            e.g. torchvision's `("r3d_18-b3b3357e.pth",)`.
        weights_arguments: builder arguments of the network those checkpoints
            were trained as (e.g. `{"convention": "torchvision"}`), set when
            a file of their type (suffix) is loaded.
        preprocessing: what clips those checkpoints expect, as data
            (frames, frame step or rate, resize, crop, value range, mean,
            std; see the family's presets file), e.g. `from_preset("x3d_s")`'s
            `{"frames": 13, "frame_step": 6, "crop": 182, ...}`; empty where
            none is recorded.
    """

    name: str
    family: str
    paper: str
    description: str
    builder: Callable
    arguments: dict
    weights: tuple = ()
    weights_arguments: dict = dataclasses.field(default_factory=dict)
    preprocessing: dict = dataclasses.field(default_factory=dict)

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
                "weights": self.weights, "weights_arguments": dict(self.weights_arguments),
                "preprocessing": dict(self.preprocessing)}


PRESETS = Registry("preset")


def register_presets(table, *, family, builder):
    """Registers every preset of a family's table `{name: {"paper", "description", "arguments"}}`.

    An entry may declare published checkpoints: `"weights"` (their file
    names), `"weights_arguments"` (the builder arguments they need) and
    `"preprocessing"` (what clips they expect).

    Example:
    >>> with PRESETS.temporary():
    ...     register_presets({"tiny_r3d": {"paper": "me", "description": "tiny", "arguments": {"depth": 10}}},
    ...                      family="video_resnet", builder=build_video_resnet)
    ...     from_preset("tiny_r3d", input_shape=(8, 32, 32, 3), num_classes=3).output.shape
    (None, 3)
    """
    allowed = set(inspect.signature(builder).parameters)
    for name, entry in table.items():
        unknown = sorted(set(entry["arguments"]) - allowed)
        if unknown:
            raise ValueError(f"Preset {name!r} gives {builder.__name__} arguments it does not take: "
                             f"{', '.join(unknown)}.")
        PRESETS.register(name, Preset(name, family, entry["paper"], entry["description"], builder,
                                      dict(entry["arguments"]), tuple(entry.get("weights", ())),
                                      dict(entry.get("weights_arguments", {})), dict(entry.get("preprocessing", {}))))


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


def from_preset(name, *, num_classes=None, task=None, input_shape=None, weights=None, **overrides):
    """Builds a registered model.

    Args:
        name: a preset name (`[p.name for p in list_presets()]`).
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
            `convention="torchvision"`) and the builder loads the file.
            With `num_classes` other than the checkpoint's, everything but
            the classifier loads (fine-tuning).
        **overrides: other arguments of the family's builder; they override
            the preset's.

    Returns:
        an uncompiled `VideoModel` whose output layer is `"predictions"`.

    Example:
    >>> model = from_preset("conv3d", task="speed", input_shape=(8, 32, 32, 1))
    >>> model.output.shape
    (None, 1)
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
    if weights is not None and preset.loads_checkpoint(weights):
        for key, value in preset.weights_arguments.items():
            if key in overrides and overrides[key] != value:
                raise ValueError(f"The checkpoint {os.fspath(weights)!r} of preset {name!r} needs {key}={value!r}. "
                                 f"Received: {key}={overrides[key]!r}")
            arguments[key] = value
        return preset.builder(**arguments, weights=weights)
    model = preset.builder(**arguments)
    if weights is not None:
        _load_weights(model, weights, preset)
    return model


def _load_weights(model, weights, preset):
    name = preset.name
    if not isinstance(weights, (str, os.PathLike)) or not os.path.isfile(weights):
        raise ValueError(f"`weights` must be None or the path of a weights file saved with `save_weights`; no "
                         f"pretrained weights ship with preset {name!r}. Received: weights={weights!r}")
    if is_torch_checkpoint(weights):
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


register_presets(courtney_presets.PRESETS, family="courtney", builder=build_courtney_resnet)
register_presets(res_convlstm_presets.PRESETS, family="res_convlstm", builder=build_res_convlstm)
register_presets(vggm_convlstm_presets.PRESETS, family="vggm_convlstm", builder=build_vggm_convlstm)
register_presets(video_resnet_presets.PRESETS, family="video_resnet", builder=build_video_resnet)
register_presets(stdcf_presets.RESNET_PRESETS, family="stdcf_resnet", builder=build_stdcf_resnet)
register_presets(stdcf_presets.SMALL_PRESETS, family="small_3d_cnn", builder=build_small_3d_cnn)
register_presets(frame_model_presets.PRESETS, family="frame_model", builder=build_frame_model)
register_presets(x3d_presets.PRESETS, family="x3d", builder=build_x3d)
register_presets(s3d_presets.PRESETS, family="s3d", builder=build_s3d)
