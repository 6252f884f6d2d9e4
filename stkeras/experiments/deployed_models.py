"""The model `stkeras export` and `stkeras predict` take: a preset folder, or a preset name (with published weights).

A preset folder (a run folder of `stkeras train`, a model folder of
`compare`) says everything an application needs: the weights, the task,
the class names and how its clips are made (`preprocessing.json`). A preset
name builds the registered model; `--weights FILE` loads a checkpoint the
preset declares (with the checkpoint's preprocessing) or weights saved for
that architecture; without it the weights are random.
"""

import dataclasses
import os

from stkeras.experiments.saved_models import load_saved_model


@dataclasses.dataclass
class DeployedModel:
    """A model with what an application needs to know about it.

    Attributes:
        name: the folder's or preset's name.
        model: the clip model (a `VideoModel`), weights loaded.
        preprocessing: how its clips are made (`stkeras.data.preprocessing.Preprocessing`).
        class_names: its classes in label order, or `None`.
        trained: whether its weights were trained (a preset folder or `--weights`).
    """

    name: str
    model: object
    preprocessing: object
    class_names: list
    trained: bool


def load_deployed_model(model, weights=None):
    """`DeployedModel` of a preset folder (or a `.keras` file in one) or of a preset name.

    Raises:
        ValueError: naming `model`, if it is neither, or its files do not load.
    """
    from stkeras.data.preprocessing import Preprocessing
    from stkeras.models import from_preset  # registers every family's presets
    from stkeras.models.presets import PRESETS

    path = os.fspath(model)
    if os.path.exists(path):
        if weights is not None:
            raise ValueError(f"MODEL {path!r} is a preset folder, which holds its weights: --weights is for a "
                             "preset name.")
        saved, loaded = load_saved_model(path)
        return DeployedModel(saved.name, loaded, saved.preprocessing, saved.class_names, True)
    if path not in PRESETS:
        raise ValueError(f"MODEL {path!r} is neither a preset folder (a run folder of `stkeras train`) nor a preset "
                         "name (`stkeras presets` lists them).")
    if weights is not None and not os.path.isfile(weights):
        raise ValueError(f"--weights {weights!r} is not a file.")
    built = from_preset(path, weights=weights)
    preprocessing = getattr(built, "preprocessing", None) or Preprocessing(frames=built.inputs[0].shape[1])
    return DeployedModel(path, built, preprocessing, None, weights is not None)
