"""Seed 004's STDCF networks: STDCF 3D ResNet-50 and the three-layer 3D CNNs."""

import keras

from stkeras.blocks.ops import get_op
from stkeras.layers.frame_pool import FrameMaxPooling3D
from stkeras.layers.fused_batch_norm import FusedBatchNormalization
from stkeras.models.checks import check_input_shape
from stkeras.models.video_model import VideoModel
from stkeras.models.video_resnet import DEPTHS
from stkeras.models.video_resnet import build_video_resnet_backbone
from stkeras.tasks import Task
from stkeras.validation import check_activation
from stkeras.validation import check_choice
from stkeras.validation import check_positive_int

SMALL_CONVS = {"regular": "conv3d", "rank1": "rank1", "stdcf": "stdcf"}


# SlowFast's 3D ResNet-50 [8], which seed 004 follows: a max-pooled `3x7x7`
# stem and no temporal downsampling on 8-frame clips.
_SLOWFAST_R50 = {"depth": 50, "stem_pool": True, "temporal_strides": 1, "input_shape": (8, 224, 224, 3)}

# Named variants of STDCF-R50 (seed 004, Section 3.2 and Table 3), as
# argument sets of `build_stdcf_resnet`. No setting of a standard ResNet-50
# matches both Table 3 numbers (README, seed 004).
PRESETS = {
    # The text's M=6, N=2 in every inflated 3x3x3: 28.2M parameters, 52.9G
    # multiply-accumulates per 8x256x256 test clip as three convolutions
    # (Table 3: 52.2 GFLOPs).
    "stdcf_r50": {**_SLOWFAST_R50, "num_spatial_atoms": 6, "num_temporal_atoms": 2},
    # Table 3's parameter count: 18.1M (paper 18.5M), with M=2, N=2.
    "stdcf_r50_18m": {**_SLOWFAST_R50, "num_spatial_atoms": 2, "num_temporal_atoms": 2},
    # stkeras' first STDCF-R50: seed 003's R3D-50 (no max pooling, temporal
    # stride 2 at conv3_1, conv4_1, conv5_1) on 16-frame clips.
    "stdcf_r50_r3d": {"depth": 50, "stem_pool": False, "temporal_strides": 2, "input_shape": (16, 224, 224, 3),
                      "num_spatial_atoms": 6, "num_temporal_atoms": 2},
}


def build_stdcf_resnet(
    *,
    preset=None,
    depth=None,
    num_spatial_atoms=None,
    num_temporal_atoms=None,
    stem_pool=None,
    temporal_strides=None,
    input_shape=None,
    num_classes=400,
    classifier_activation="softmax",
    implementation="auto",
    name=None,
):
    """A 3D ResNet whose inflated `3x3x3` convolutions are STDCF layers.

    The backbone is `build_video_resnet_backbone`'s R3D (3D stem `3x7x7`,
    stages conv2_x ... conv5_x, bottleneck blocks at depth 50); every
    `3x3x3` convolution inside the blocks is an `STDCFConv3D` with `M`
    spatial and `N` temporal atoms, the `1x1x1` convolutions and the stem
    stay regular. Without a preset it is `"stdcf_r50"`.

    Args:
        preset: a name in `PRESETS`: `"stdcf_r50"` (the paper's text, M=6,
            N=2, on SlowFast's 3D-R50), `"stdcf_r50_18m"` (Table 3's
            parameter count) or `"stdcf_r50_r3d"` (seed 003's R3D-50).
        depth: 10, 18, 34 or 50.
        num_spatial_atoms, num_temporal_atoms: `M`, `N` of every STDCF layer.
        stem_pool: max pooling (`1x3x3`, stride 2) after the stem.
        temporal_strides: temporal stride of conv3_1, conv4_1 and conv5_1 (an
            int or one per stage; the presets': 1, or 2 for `"stdcf_r50_r3d"`).
        input_shape: `(frames, height, width, channels)`.
        num_classes: classifier outputs.
        classifier_activation: activation of the classifier.
        implementation: the STDCF layers' `"auto"`, `"kernel"` or `"atoms"`
            (same numbers; `"atoms"` is the paper's three convolutions).
        name: model name.

    Example:
    >>> model = build_stdcf_resnet(input_shape=(8, 64, 64, 3), num_classes=10)
    >>> model.get_layer("pool1").name
    'pool1'

    Reference: Miao et al. 2021, Section 3.2 and Table 3 (seed 004).
    """
    settings = dict(PRESETS[check_choice("preset", preset, tuple(PRESETS)) if preset else "stdcf_r50"])
    explicit = {"depth": depth, "num_spatial_atoms": num_spatial_atoms, "num_temporal_atoms": num_temporal_atoms,
                "stem_pool": stem_pool, "temporal_strides": temporal_strides, "input_shape": input_shape}
    settings.update({key: value for key, value in explicit.items() if value is not None})
    depth = check_choice("depth", settings["depth"], tuple(DEPTHS))
    check_positive_int("num_spatial_atoms", settings["num_spatial_atoms"])
    check_positive_int("num_temporal_atoms", settings["num_temporal_atoms"])
    check_positive_int("num_classes", num_classes)
    options = {"num_spatial_atoms": settings["num_spatial_atoms"], "num_temporal_atoms": settings["num_temporal_atoms"],
               "implementation": implementation}
    backbone = build_video_resnet_backbone(
        stem="conv3d", stem_options={"kernel_initializer": "he_normal"}, stage_ops=("stdcf",) * 4, depth=depth,
        input_shape=check_input_shape(settings["input_shape"]), temporal_strides=settings["temporal_strides"],
        stem_pool=settings["stem_pool"], op_options=options,
    )
    task = Task.classification("classes", num_classes,
                               activation=check_activation("classifier_activation", classifier_activation))
    return backbone.with_head("pool", task=task, output_name="predictions", name=name or f"stdcf_r{depth}")


def build_small_3d_cnn(
    *,
    conv="stdcf",
    task="classification",
    input_shape=(16, 60, 80, 1),
    num_classes=6,
    filters=(32, 64, 128),
    num_spatial_atoms=None,
    num_temporal_atoms=None,
    name=None,
):
    """Seed 004's three-layer 3D CNNs, with regular, rank-1 or STDCF convolutions.

    `task="classification"` (the KTH network): three `3x3x3` convolutions,
    each followed by batch normalization, ReLU and a `1x2x2` max-pool, then
    global average pooling and a softmax classifier.
    `task="reconstruction"` (the TR-MNIST network): a convolution with
    spatial stride 2 and ReLU, a convolution and ReLU, a 2x spatial
    upsampling and a linear convolution to the input channels, so the clip
    must be rebuilt through a half-resolution code (a sigmoid output let
    short trainings collapse to black clips).
    The paper's Table B is not in its text; these follow its description.

    Args:
        conv: `"regular"` (Conv3D), `"rank1"` or `"stdcf"`.
        task: `"classification"` or `"reconstruction"`.
        input_shape: `(frames, height, width, channels)`; use
            `(None, None, None, channels)` for `itsl_fit`.
        num_classes: classes (classification).
        filters: channels of the three (classification) or first two
            (reconstruction) convolutions.
        num_spatial_atoms, num_temporal_atoms: `M`, `N` for STDCF (default
            6 and 2); refused for convolutions without atoms.
        name: model name.

    Example:
    >>> model = build_small_3d_cnn(conv="rank1", input_shape=(None, None, None, 1))

    Reference: Miao et al. 2021, Sections 2.1.1 and 3.1 (seed 004).
    """
    check_choice("conv", conv, tuple(SMALL_CONVS))
    check_choice("task", task, ("classification", "reconstruction"))
    try:
        shape = tuple(input_shape)
        ok = len(shape) == 4 and isinstance(shape[3], int) and shape[3] >= 1 and all(
            d is None or (isinstance(d, int) and d >= 1) for d in shape[:3]
        )
    except TypeError:
        ok = False
    if not ok:
        raise ValueError(
            "`input_shape` must be (frames, height, width, channels); frames, height and "
            f"width may be None. Received: input_shape={input_shape!r}"
        )
    if not isinstance(filters, (tuple, list)) or len(filters) != 3 or not all(
        isinstance(f, int) and not isinstance(f, bool) and f >= 1 for f in filters
    ):
        raise ValueError(f"`filters` must be three positive ints. Received: filters={filters!r}")
    filters = tuple(filters)
    if task == "classification":
        check_positive_int("num_classes", num_classes)
    spec = get_op(SMALL_CONVS[conv])
    options = {"num_spatial_atoms": num_spatial_atoms, "num_temporal_atoms": num_temporal_atoms}
    options = spec.check_options({k: v for k, v in options.items() if v is not None}, "num_spatial_atoms and num_temporal_atoms")

    def convolution(x, units, index, strides=1, **dtype):
        return spec.build(units, strides=strides, name=f"conv{index}", **options, **dtype)(x)

    inputs = keras.Input(shape=shape, name="clips")
    x = inputs
    if task == "classification":
        for index, units in enumerate(filters, start=1):
            x = convolution(x, units, index)
            x = FusedBatchNormalization(momentum=0.9, name=f"conv{index}_bn")(x)
            x = keras.layers.Activation("relu", name=f"conv{index}_relu")(x)
            x = FrameMaxPooling3D((1, 2, 2), padding="same", name=f"pool{index}")(x)
        backbone = VideoModel(inputs, x, stage_names=["pool1", "pool2", "pool3"], name=f"{conv}_3d_cnn_backbone")
        task = Task.classification("classes", num_classes)
        return backbone.with_head("pool", task=task, output_name="predictions",
                                  name=name or f"{conv}_3d_cnn_classification")
    else:
        x = keras.layers.Activation("relu", name="conv1_relu")(convolution(x, filters[0], 1, strides=2))
        x = keras.layers.Activation("relu", name="conv2_relu")(convolution(x, filters[1], 2))
        x = keras.layers.UpSampling3D((1, 2, 2), name="upsample")(x)
        outputs = convolution(x, shape[3], 3, dtype="float32")  # the loss reads float32 under mixed precision
    return VideoModel(inputs, outputs, stage_names=["conv1_relu", "conv2_relu", "conv3"],
                      name=name or f"{conv}_3d_cnn_{task}")
