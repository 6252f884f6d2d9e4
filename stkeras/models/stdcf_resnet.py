"""Miao et al. 2021's STDCF 3D ResNet: a video ResNet whose inflated 3x3x3 convolutions are STDCF layers."""

from stkeras.models.family import records_build
from stkeras.models.family import register_family
from stkeras.models.video_resnet import build_video_resnet_backbone
from stkeras.tasks import resolve_task


@records_build
def build_stdcf_resnet_backbone(
    *,
    depth=50,
    num_spatial_atoms=6,
    num_temporal_atoms=2,
    stem_pool=True,
    temporal_strides=1,
    input_shape=(8, 224, 224, 3),
    implementation="auto",
    name=None,
):
    """The STDCF 3D ResNet's stem and stages conv2_x ... conv5_x: clips to feature maps.

    `build_video_resnet_backbone`'s R3D (3D stem `3x7x7`, stages conv2_x ...
    conv5_x, bottleneck blocks at depth 50) whose blocks' `3x3x3`
    convolutions are `STDCFConv3D` layers with `M` spatial and `N` temporal
    atoms; the `1x1x1` convolutions and the stem stay regular.

    Args: as `build_stdcf_resnet`'s, without the output.

    Example:
    >>> build_stdcf_resnet_backbone(depth=10, input_shape=(4, 32, 32, 3)).output.shape
    (None, 4, 1, 1, 512)
    """
    options = {"num_spatial_atoms": num_spatial_atoms, "num_temporal_atoms": num_temporal_atoms,
               "implementation": implementation}
    return build_video_resnet_backbone(
        stem="conv3d", stem_options={"kernel_initializer": "he_normal"}, stage_ops=("stdcf",) * 4, depth=depth,
        input_shape=input_shape, temporal_strides=temporal_strides, stem_pool=stem_pool, op_options=options,
        name=name or f"stdcf_r{depth}_backbone",
    )


@records_build
def build_stdcf_resnet(
    *,
    depth=50,
    num_spatial_atoms=6,
    num_temporal_atoms=2,
    stem_pool=True,
    temporal_strides=1,
    input_shape=(8, 224, 224, 3),
    num_classes=None,
    task=None,
    classifier_activation="softmax",
    implementation="auto",
    name=None,
):
    """A 3D ResNet whose inflated `3x3x3` convolutions are STDCF layers.

    The backbone is `build_video_resnet_backbone`'s R3D (3D stem `3x7x7`,
    stages conv2_x ... conv5_x, bottleneck blocks at depth 50); every
    `3x3x3` convolution inside the blocks is an `STDCFConv3D` with `M`
    spatial and `N` temporal atoms, the `1x1x1` convolutions and the stem
    stay regular. The defaults are the paper's network on SlowFast's 3D
    ResNet-50, which Miao et al. 2021 follows: a max-pooled stem and no temporal
    downsampling on 8-frame clips, `M=6`, `N=2` (preset `"stdcf_r50"`; see
    `stdcf_presets.py` for the others).

    Args:
        depth: 10, 18, 34 or 50.
        num_spatial_atoms, num_temporal_atoms: `M`, `N` of every STDCF layer.
        stem_pool: max pooling (`1x3x3`, stride 2) after the stem.
        temporal_strides: temporal stride of conv3_1, conv4_1 and conv5_1 (an
            int or one per stage).
        input_shape: `(frames, height, width, channels)`.
        num_classes: classifier outputs (400 when neither `num_classes` nor
            `task` is given); or give `task`.
        task: a `stkeras.tasks.Task` or a registered task name.
        classifier_activation: activation of the classifier.
        implementation: the STDCF layers' `"auto"`, `"kernel"` or `"atoms"`
            (same numbers; `"atoms"` is the paper's three convolutions).
        name: model name.

    Example:
    >>> model = build_stdcf_resnet(input_shape=(8, 64, 64, 3), num_classes=10)
    >>> model.get_layer("pool1").name
    'pool1'

    Reference: Miao et al. 2021, Section 3.2 and Table 3.
    """
    task = resolve_task(num_classes, task, default=400, classifier_activation=classifier_activation)
    backbone = build_stdcf_resnet_backbone(
        depth=depth, num_spatial_atoms=num_spatial_atoms, num_temporal_atoms=num_temporal_atoms, stem_pool=stem_pool,
        temporal_strides=temporal_strides, input_shape=input_shape, implementation=implementation,
    )
    return backbone.with_head("pool", task=task, name=name or f"stdcf_r{depth}")


register_family("stdcf_resnet", backbone=build_stdcf_resnet_backbone, builder=build_stdcf_resnet, head="pool",
                paper="Miao et al. 2021")
