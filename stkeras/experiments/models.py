"""The models a run trains, by name, for every builder family.

`MODEL_NAMES` are seed 000's networks (`stkeras.models.courtney.MODELS`),
the ones `stkeras compare` trains. `TRAINABLE` adds every other family,
named from its own registry: seed 002's ResNet ConvLSTM presets
(`convlstm_resnet_<preset>`), seed 003's video ResNets (`<kind>_<depth>`),
seed 004's STDCF ResNets (`stdcf_r<depth>`) and small 3D CNNs
(`small_3d_cnn_<conv>`), and seed 001's frame models, stkeras' small 2D CNN
on every frame with one of the heads (`frames_<head>`). `stkeras train
--model` takes any of them.
"""

import dataclasses

from stkeras.heads import SEED_001_HEADS
from stkeras.models.convlstm_resnet import PRESETS as CONVLSTM_RESNET_PRESETS
from stkeras.models.convlstm_resnet import build_convlstm_resnet
from stkeras.models.courtney import MODELS
from stkeras.models.courtney import build_courtney_resnet
from stkeras.models.frame_model import build_frame_model
from stkeras.models.stdcf_resnet import SMALL_CONVS
from stkeras.models.stdcf_resnet import build_small_3d_cnn
from stkeras.models.stdcf_resnet import build_stdcf_resnet
from stkeras.models.video_resnet import DEPTHS
from stkeras.models.video_resnet import PRESETS as VIDEO_RESNET_PRESETS
from stkeras.models.video_resnet import build_video_resnet
from stkeras.models.vggm_convlstm import build_vggm_convlstm
from stkeras.tasks import get_task
from stkeras.validation import check_choice

MODEL_NAMES = tuple(MODELS)


@dataclasses.dataclass(frozen=True)
class TrainableModel:
    """A model name of a builder family: the builder and its fixed arguments.

    `classes_only`: the family's builders end in a softmax classifier, so
    they train on classification tasks only.
    """

    family: str
    builder: object
    arguments: dict
    classes_only: bool = True


TRAINABLE = {
    **{name: TrainableModel("seed 000", build_courtney_resnet, MODELS[name], classes_only=False)
       for name in MODELS},
    **{f"convlstm_resnet_{preset}": TrainableModel("seed 002", build_convlstm_resnet, {"preset": preset})
       for preset in CONVLSTM_RESNET_PRESETS},
    "vggm_convlstm": TrainableModel("seed 002", build_vggm_convlstm, {}),
    **{name: TrainableModel("seed 003", build_video_resnet, {"preset": name}) for name in VIDEO_RESNET_PRESETS},
    **{f"stdcf_r{depth}": TrainableModel("seed 004", build_stdcf_resnet, {"depth": depth}) for depth in DEPTHS},
    **{f"small_3d_cnn_{conv}": TrainableModel("seed 004", build_small_3d_cnn, {"conv": conv})
       for conv in SMALL_CONVS},
    **{f"frames_{head}": TrainableModel("seed 001", build_frame_model, {"head": head}) for head in SEED_001_HEADS},
}


def build_model(name, settings, task, head=None, head_options=None):
    """One of seed 000's networks at the run's clip shape, with its paper head or `head`.

    Example:
    >>> from stkeras.experiments import resolve_settings
    >>> build_model("conv3d", resolve_settings("quick"), "digit").output.shape
    (None, 10)
    """
    check_choice("model", name, MODEL_NAMES)
    shape = (settings["frames"], settings["size"], settings["size"], 1)
    return build_courtney_resnet(
        **MODELS[name], size=settings["model_size"], input_shape=shape, task=task, head=head,
        head_options=head_options, name=f"{name}_{settings['model_size']}",
    )


def build_trainable(name, settings, task, head=None):
    """Any model of `TRAINABLE` at the run's clip shape, for the task.

    Seed 000's networks take the run's model size and `head`; the other
    families are built from their registry's arguments with the run's clip
    shape and the task's classes.

    Example:
    >>> from stkeras.experiments import resolve_settings
    >>> build_trainable("small_3d_cnn_stdcf", resolve_settings("quick"), "digit").output.shape
    (None, 10)
    """
    check_choice("model", name, tuple(TRAINABLE))
    task = get_task(task)
    if name in MODEL_NAMES:
        return build_model(name, settings, task, head)
    entry = TRAINABLE[name]
    if head is not None:
        raise ValueError(f"`head` applies to seed 000's networks ({', '.join(MODEL_NAMES)}), not to {name!r}. "
                         f"Received: head={head!r}")
    if entry.classes_only and task.kind != "classification":
        raise ValueError(f"Model {name!r} ({entry.family}) ends in a classifier; task {task.name!r} is a "
                         f"{task.kind}. Choose a classification task or one of {', '.join(MODEL_NAMES)}.")
    shape = (settings["frames"], settings["size"], settings["size"], 1)
    return entry.builder(**entry.arguments, input_shape=shape, num_classes=task.units, name=name)
