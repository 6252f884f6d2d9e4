"""The models a run trains, by name: the presets of every family.

`MODEL_NAMES` are Courtney & Sreenivas' four networks, the ones `stkeras
compare` trains at the run's model size. `stkeras train --model` and the
tuner take any preset name (`stkeras.models.list_presets()`).
"""

from stkeras.models.courtney import build_courtney_resnet
from stkeras.models.presets import PRESETS
from stkeras.models.presets import from_preset
from stkeras.models.presets import get_preset
from stkeras.tasks import get_task
from stkeras.validation import check_choice

MODELS = {"conv2d": {"op": "conv2d", "lstm_layers": 2}, "conv3d": {"op": "conv3d", "lstm_layers": 2},
          "ts_conv3d": {"op": "ts_conv3d", "lstm_layers": 2}, "convlstm": {"op": "convlstm", "lstm_layers": 0}}
MODEL_NAMES = tuple(MODELS)


def trainable_names():
    """Every name `stkeras train --model` takes: the registered presets."""
    return PRESETS.names()


def build_model(name, settings, task, head=None, head_options=None):
    """One of Courtney & Sreenivas' networks at the run's clip shape and model size, with its paper head or `head`.

    Example:
    >>> from stkeras.experiments import resolve_settings
    >>> build_model("conv3d", resolve_settings("quick"), "digit").output.shape
    (None, 10)
    """
    check_choice("model", name, MODEL_NAMES)
    shape = (settings["frames"], settings["size"], settings["size"], 1)
    return build_courtney_resnet(
        **MODELS[name], width=settings["model_size"], input_shape=shape, task=task, head=head,
        head_options=head_options, name=f"{name}_{settings['model_size']}",
    )


def build_trainable(name, settings, task, head=None):
    """Any preset at the run's clip shape, for the task.

    Courtney & Sreenivas' four base networks take the run's model size and
    `head`; every other preset is built with its own arguments, the run's
    clip shape and the task (and `head` where its builder takes one).

    Example:
    >>> from stkeras.experiments import resolve_settings
    >>> build_trainable("small_3d_cnn_stdcf", resolve_settings("quick"), "digit").output.shape
    (None, 10)
    """
    check_choice("model", name, trainable_names())
    task = get_task(task)
    if name in MODEL_NAMES:
        return build_model(name, settings, task, head)
    shape = (settings["frames"], settings["size"], settings["size"], 1)
    extra = {} if head is None else {"head": head}
    if "num_segments" in get_preset(name).arguments:  # frame models see every frame of the run's clips
        extra["num_segments"] = settings["frames"]
    return from_preset(name, input_shape=shape, task=task, **extra)
