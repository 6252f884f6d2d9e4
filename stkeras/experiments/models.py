"""The models a run trains, by name: seed 000's networks (`stkeras.models.courtney.MODELS`)."""

from stkeras.models.courtney import MODELS
from stkeras.models.courtney import build_courtney_resnet
from stkeras.validation import check_choice

MODEL_NAMES = tuple(MODELS)


def build_model(name, settings, task, head=None, head_options=None):
    """One of seed 000's networks at the run's clip shape, with its paper head or `head`."""
    check_choice("model", name, MODEL_NAMES)
    shape = (settings["frames"], settings["size"], settings["size"], 1)
    return build_courtney_resnet(
        **MODELS[name], size=settings["model_size"], input_shape=shape, task=task, head=head,
        head_options=head_options, name=f"{name}_{settings['model_size']}",
    )
