"""Preset folders: a saved model that knows what it is (keras-hub's preset folder).

`save_preset(model, DIR)` writes:

- `config.json`: the family and the builder (or backbone builder and head)
  that made the model, with their arguments; the preset it was built from;
  the task; the input shape; the class names. Written last: a folder with a
  `config.json` is complete.
- `model.weights.h5`: the weights (`model.save_weights`).
- `preprocessing.json`: how its clips are made (`stkeras.data.preprocessing`:
  frames, frame step, resize, crop, value range, mean/std).
- `recipe.json`: the recipe it was trained with (name and settings), if any.
- `metadata.json`: the versions that saved it, its parameter count, the date.
- `model.keras` with `keras_file=True`: the same model for
  `keras.saving.load_model` (the command line's run folders have one).

`from_preset(DIR)` (or `read_preset(DIR).load()`) rebuilds the model with its
family's builder and loads the weights: the same outputs. `read_preset(DIR)`
reads the rest without building anything: what `stkeras evaluate`, `explain`
and `sensitivity` need to make the model's clips.

Example:
>>> import tempfile
>>> from stkeras.models.presets import from_preset
>>> folder = tempfile.mkdtemp()
>>> save_preset(from_preset("small_3d_cnn_regular", input_shape=(4, 16, 16, 1)), folder)
>>> saved = read_preset(folder)
>>> saved.preset, saved.input_shape, saved.task.units
('small_3d_cnn_regular', (4, 16, 16, 1), 6)
"""

import dataclasses
import datetime
import inspect
import json
import os

import keras

from stkeras import __version__
from stkeras.atomic_files import atomic_path
from stkeras.atomic_files import save_model_atomically
from stkeras.atomic_files import write_text_atomically
from stkeras.data.preprocessing import Preprocessing
from stkeras.models.family import family_of
from stkeras.models.family import get_family
from stkeras.tasks import Task

FORMAT = "stkeras.preset_folder"
VERSION = 1
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.weights.h5"
PREPROCESSING_FILE = "preprocessing.json"
RECIPE_FILE = "recipe.json"
METADATA_FILE = "metadata.json"
KERAS_FILE = "model.keras"
# What the saved task replaces among a builder's arguments.
TASK_ARGUMENTS = ("num_classes", "task", "classifier_activation")


def _jsonable(value, path):
    """`value` with tuples as lists; a `ValueError` naming `path` for what JSON cannot hold."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v, f"{path}[{k!r}]") for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [_jsonable(v, f"{path}[{i}]") for i, v in enumerate(value)]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise ValueError(f"The model's builder argument {path} is {value!r}, which a preset folder cannot hold (JSON "
                     "values only): build it from names and numbers, or save it as a .keras file.")


def _tuples(value):
    """JSON's lists as the tuples builders are given."""
    if isinstance(value, dict):
        return {k: _tuples(v) for k, v in value.items()}
    if isinstance(value, list):
        return tuple(_tuples(v) for v in value)
    return value


def _check_class_names(class_names, task):
    if class_names is None:
        return None
    names = [str(name) for name in class_names]
    if task is None or task.kind != "classification" or len(names) != task.units:
        raise ValueError(f"`class_names` must name each of the model's classes, in label order: the model's task "
                         f"{getattr(task, 'name', None)!r} has {getattr(task, 'units', 0)} outputs. Received "
                         f"{len(names)} class names: {names[:5]}")
    return names


def save_preset(model, directory, *, class_names=None, preprocessing=None, recipe=None, keras_file=False):
    """Writes `model` to the preset folder `directory` (created; files already there are replaced).

    Args:
        model: a `VideoModel` built by a family's builder or backbone builder
            in this process (`from_preset`, `build_*`, or a backbone's
            `with_head`).
        directory: the folder.
        class_names: the names of the classes, in label order (a classifier).
        preprocessing: a `Preprocessing` (or its dict); default: the model's
            own (a checkpoint's, `model.preprocessing`), else clips of its
            input's frames.
        recipe: `{"name": ..., "settings": {...}}`, the recipe it was
            trained with.
        keras_file: also write `model.keras` for `keras.saving.load_model`.

    Raises:
        ValueError: the model was not built by a family, or an argument of
            its builder is not a JSON value.
    """
    record = getattr(model, "build_record", None)
    if record is None:
        raise ValueError(f"Model {model.name!r} was not built by a stkeras family's builder in this process, so its "
                         "architecture is not known: build it with `from_preset` or a `build_*` function, or save "
                         "it as a .keras file.")
    family, role = family_of(record)
    task = getattr(model, "task", None)
    arguments = {k: v for k, v in record.arguments.items() if k not in TASK_ARGUMENTS}
    input_shape = tuple(model.inputs[0].shape[1:])
    if role == "backbone" or "input_shape" in inspect.signature(record.function).parameters:
        arguments["input_shape"] = input_shape
    config = {
        "format": FORMAT, "version": VERSION, "family": family.name, role: record.function.__name__,
        "arguments": _jsonable(arguments, "arguments"), "preset": record.preset,
        "head": record.head, "head_arguments": _jsonable(record.head_arguments, "head_arguments"),
        "task": None if task is None else task.to_config(), "input_shape": list(input_shape),
        "class_names": _check_class_names(class_names, task),
    }
    if preprocessing is None:
        preprocessing = getattr(model, "preprocessing", None) or Preprocessing()
    if isinstance(preprocessing, dict):
        preprocessing = Preprocessing.from_config(preprocessing)
    preprocessing = preprocessing.replace(frames=input_shape[0])
    os.makedirs(directory, exist_ok=True)
    with atomic_path(os.path.join(directory, WEIGHTS_FILE)) as partial:
        model.save_weights(partial)
    if keras_file:
        save_model_atomically(model, os.path.join(directory, KERAS_FILE))
    _write_json(directory, PREPROCESSING_FILE, preprocessing.to_config())
    if recipe is not None:
        _write_json(directory, RECIPE_FILE, _jsonable(recipe, "recipe"))
    _write_json(directory, METADATA_FILE, {
        "stkeras_version": __version__, "keras_version": keras.__version__,
        "parameter_count": int(model.count_params()), "date_saved": datetime.datetime.now().isoformat(
            timespec="seconds")})
    _write_json(directory, CONFIG_FILE, config)


def _write_json(directory, name, value):
    write_text_atomically(os.path.join(directory, name), json.dumps(value, indent=2) + "\n")


def _read_json(directory, name, required=True):
    path = os.path.join(directory, name)
    if not os.path.isfile(path):
        if required:
            raise ValueError(f"{os.fspath(directory)!r} is not a preset folder: it has no {name} (`save_preset` "
                             "writes one; a run folder of `stkeras train` is one).")
        return None
    try:
        with open(path) as file:
            return json.load(file)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"{path!r} is damaged: {error}") from error


@dataclasses.dataclass(frozen=True)
class PresetFolder:
    """What a preset folder says about its model, read without building it.

    Attributes:
        directory: the folder.
        config: `config.json` as a dict.
        family: the family's name.
        preset: the preset the model was built from, or `None`.
        task: the `stkeras.tasks.Task` of its outputs (`None`: none saved).
        input_shape: `(frames, height, width, channels)`.
        class_names: the classes in label order, or `None`.
        preprocessing: the `Preprocessing` of its clips.
        recipe: `{"name", "settings"}` of the recipe it was trained with, or `None`.
        metadata: `metadata.json` as a dict.
    """

    directory: str
    config: dict
    family: str
    preset: str
    task: Task
    input_shape: tuple
    class_names: list
    preprocessing: Preprocessing
    recipe: dict
    metadata: dict

    @property
    def name(self):
        """The model's name in tables: its preset, or its folder's name."""
        return os.path.basename(os.path.normpath(self.directory))

    def load(self, **changes):
        """The model, rebuilt by its family and with its weights loaded.

        Args:
            **changes: builder arguments that differ from the saved ones
                (`num_classes` or `task`: a new output, every other weight
                loaded; `input_shape`: other clips).

        Raises:
            ValueError: the weights file is missing, damaged, or does not fit.
        """
        family = get_family(self.family, "config.json's family")
        arguments = _tuples(self.config["arguments"])
        output = {key: changes.pop(key) for key in ("num_classes", "task") if changes.get(key) is not None}
        new_output = bool(output)
        output = output or ({"task": self.task} if self.task is not None else {})
        if self.config.get("builder"):
            if self.config["builder"] != family.builder.__name__:
                raise ValueError(f"{self.directory!r}: config.json names builder {self.config['builder']!r}, but family "
                                 f"{self.family!r} builds with {family.builder.__name__!r}.")
            model = family.build(**{**arguments, **output, **changes})
        else:
            head_arguments = _tuples(self.config.get("head_arguments") or {})
            backbone = family.backbone(**{**arguments, **changes})
            model = backbone.with_head(self.config["head"], **output, **head_arguments)
        if self.preset is not None and model.build_record is not None:
            model.build_record = dataclasses.replace(model.build_record, preset=self.preset)
        weights = os.path.join(self.directory, WEIGHTS_FILE)
        if not os.path.isfile(weights):
            raise ValueError(f"{self.directory!r} has no {WEIGHTS_FILE}: the preset folder is incomplete.")
        try:
            model.load_weights(weights, skip_mismatch=new_output)
        except Exception as error:  # h5py and Keras raise several types for a damaged or mismatched file
            raise ValueError(f"The weights {weights!r} cannot be loaded into the model its config.json "
                             f"describes: {error}") from None
        model.preprocessing = self.preprocessing
        return model


def read_preset(directory):
    """The `PresetFolder` of `directory`; a `ValueError` names a missing or damaged file.

    Example:
    >>> read_preset("runs/ft").class_names[:2]  # doctest: +SKIP
    ['ApplyEyeMakeup', 'ApplyLipstick']
    """
    directory = os.fspath(directory)
    if not os.path.isdir(directory):
        raise ValueError(f"{directory!r} is not a folder: give a preset folder (`save_preset`, or a run folder of "
                         "`stkeras train`).")
    config = _read_json(directory, CONFIG_FILE)
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise ValueError(f"{os.path.join(directory, CONFIG_FILE)!r} is not a stkeras preset folder's config "
                         f"(format {FORMAT!r}).")
    if config.get("version", 0) > VERSION:
        raise ValueError(f"{directory!r} was saved by a newer stkeras (preset folder version {config['version']}; "
                         f"this one reads up to {VERSION}).")
    preprocessing = _read_json(directory, PREPROCESSING_FILE, required=False)
    task = config.get("task")
    return PresetFolder(
        directory=directory, config=config, family=config["family"], preset=config.get("preset"),
        task=None if task is None else Task.from_config(task), input_shape=tuple(config["input_shape"]),
        class_names=config.get("class_names"),
        preprocessing=Preprocessing() if preprocessing is None else Preprocessing.from_config(preprocessing),
        recipe=_read_json(directory, RECIPE_FILE, required=False),
        metadata=_read_json(directory, METADATA_FILE, required=False) or {})


def is_preset_folder(path):
    """Whether `path` is a folder with a preset folder's `config.json`."""
    return os.path.isfile(os.path.join(os.fspath(path), CONFIG_FILE))
