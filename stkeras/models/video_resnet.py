"""Video ResNets of Tran et al. 2018: R2D, f-R2D, MCx, rMCx, R3D, R(2+1)D and P3D.

Conventions of the reference implementations (Tran et al. 2018; torchvision's
video ResNets): a stem convolution `3x7x7` (`1x7x7` for 2D kinds and P3D; for
R(2+1)D a (2+1)D stem, `1x7x7` to 45 channels then `3x1x1` to 64) with
stride `(1, 2, 2)`; stages conv2_x ... conv5_x with 64, 128, 256, 512
channels (x4 at the output of bottleneck blocks); convolutions without bias,
each followed by batch normalization; stride 2 at the first block of
conv3_x, conv4_x and conv5_x, in time too where the block's convolutions are
3D; 1x1x1 projection shortcuts with batch normalization; global average
pooling and a dense classifier. `convention="torchvision"` computes exactly
what torchvision's `VideoResNet` does, so its checkpoints load
(`video_resnet_torchvision.py`). R2D folds the clip's frames into the stem's
channels (a 2D network from its input on); f-R2D applies the 2D network to
each frame and pools over time at the end. The named variants are presets
(`video_resnet_presets.py`), argument sets of `build_video_resnet`.
"""

import os

import keras

from stkeras.blocks.basic import ResidualBasic
from stkeras.blocks.bottleneck import ResidualBottleneck
from stkeras.blocks.ops import get_op
from stkeras.layers.fold_frames import FoldFrames
from stkeras.layers.frame_pool import FrameMaxPooling3D
from stkeras.layers.conv2plus1d import parameter_matched_filters
from stkeras.layers.normalization import normalization_layer
from stkeras.models.checks import check_input_shape
from stkeras.models.checks import check_op_plan
from stkeras.models.checks import check_per_stage
from stkeras.models.checks import check_strides_fit
from stkeras.models.checks import check_width_multiplier
from stkeras.models.checks import scale_channels
from stkeras.models.family import records_build
from stkeras.models.family import register_family
from stkeras.models.video_model import VideoModel
from stkeras.tasks import resolve_task
from stkeras.validation import check_bool
from stkeras.validation import check_choice
from stkeras.validation import check_options

# depth -> (block type, blocks per stage conv2_x ... conv5_x)
DEPTHS = {
    10: ("basic", (1, 1, 1, 1)),
    18: ("basic", (2, 2, 2, 2)),
    34: ("basic", (3, 4, 6, 3)),
    50: ("bottleneck", (3, 4, 6, 3)),
}
BLOCKS = ("basic", "bottleneck")
CHANNELS = (64, 128, 256, 512)
STAGES = ("conv2_x", "conv3_x", "conv4_x", "conv5_x")
_STEM_2D = {"stem": "conv2d", "stem_options": {"kernel_initializer": "he_normal"}}
_STEM_3D = {"stem": "conv3d", "stem_options": {"kernel_initializer": "he_normal"}}
_P3D_CYCLE = ("p3d_a", "p3d_b", "p3d_c")

# What a convention sets: the batch-norm epsilon, and whether "same" padding
# is symmetric (PyTorch's `padding=k // 2`) or TensorFlow's (the odd pixel at
# the end of a strided axis). Under "torchvision" a (2+1)D block's two
# convolutions share one intermediate width, computed from the block's input
# and output channels (torchvision's `midplanes`), where "paper" matches each
# convolution's parameters on its own (Tran et al. 2018).
CONVENTIONS = {
    "paper": {"norm_epsilon": 1e-3, "symmetric_padding": False, "block_midplanes": False},
    "torchvision": {"norm_epsilon": 1e-5, "symmetric_padding": True, "block_midplanes": True},
}
# The ops torchvision's video ResNets are made of (Conv3DNoTemporal, Conv3DSimple, Conv2Plus1D).
TORCHVISION_OPS = ("conv2d", "conv3d", "ts_conv3d", "conv2plus1d")

# Each kind is data: a stem op and one op per stage conv2_x ... conv5_x. A
# tuple of ops cycles over the network's blocks in order (P3D-A, B, C). A
# kind's `block` (if any) replaces the depth's block type by default.
KINDS = {
    # Tran et al. 2018's names: R2D stacks the L frames as the stem's 3L input channels, f-R2D
    # ("frame-based R2D") runs the same 2D network on every frame and pools time at the top.
    "r2d": {**_STEM_2D, "stage_ops": ("conv2d",) * 4, "fold_frames": True},
    "f_r2d": {**_STEM_2D, "stage_ops": ("conv2d",) * 4},
    **{f"mc{x}": {**_STEM_3D, "stage_ops": tuple("conv3d" if s < x else "conv2d" for s in range(2, 6))}
       for x in range(2, 6)},  # 3D before conv{x}_x, 2D from it on
    **{f"rmc{x}": {**_STEM_2D, "stage_ops": tuple("conv2d" if s < x else "conv3d" for s in range(2, 6))}
       for x in range(2, 6)},  # the reverse
    "r3d": {**_STEM_3D, "stage_ops": ("conv3d",) * 4},
    "r2plus1d": {"stem": "conv2plus1d", "stem_options": {"intermediate_filters": 45}, "stage_ops": ("conv2plus1d",) * 4},
    # P3D "starts with 2D convs then uses the proposed version" (Tran et al. 2018), and adapts
    # the bottleneck block of the 2D ResNet at every depth (Qiu et al. 2017).
    "p3d": {**_STEM_2D, "stage_ops": (_P3D_CYCLE,) * 4, "block": "bottleneck"},
}


def stage_ops(kind):
    """`(stem op, [op of conv2_x, ..., conv5_x])` of a kind; a tuple cycles over blocks.

    Example:
    >>> stage_ops("mc3")
    ('conv3d', ['conv3d', 'conv2d', 'conv2d', 'conv2d'])
    """
    check_choice("kind", kind, tuple(KINDS))
    return KINDS[kind]["stem"], list(KINDS[kind]["stage_ops"])


def _block_plan(depth, ops, temporal_strides, temporal_kernels):
    """Per block: (name, op, spatial stride, temporal stride, temporal kernel, stage)."""
    _, blocks = DEPTHS[depth]
    plan, block_index = [], 0
    for stage, (op, count) in enumerate(zip(ops, blocks)):
        for j in range(count):
            block_op = op[block_index % len(op)] if isinstance(op, tuple) else op
            block_index += 1
            down = stage > 0 and j == 0
            t_stride = 1
            if down:
                default = 2 if get_op(block_op).temporal_stride else 1
                t_stride = default if temporal_strides[stage] is None else temporal_strides[stage]
            plan.append((f"conv{stage + 2}_{j + 1}", block_op, 2 if down else 1, t_stride,
                         temporal_kernels[stage], stage))
    return plan


def _check_stage_ops(ops):
    checked = []
    for i, op in enumerate(ops):
        for name in op if isinstance(op, tuple) else (op,):
            if not isinstance(name, str):
                raise ValueError(f"`stage_ops[{i}]` must be an op name or a tuple of op names. "
                                 f"Received: stage_ops={ops!r}")
            get_op(name, f"stage_ops[{i}]")
        checked.append(op)
    return checked


def _convention_options(op, convention):
    """The op options that a convention sets on `op` ("paper": none, the ops' defaults)."""
    if convention == "paper" or op not in TORCHVISION_OPS:
        return {}
    rules = CONVENTIONS[convention]
    options = {"symmetric_padding": rules["symmetric_padding"]}
    if "norm_epsilon" in get_op(op).options:  # ops with a normalization of their own (the (2+1)D middle one)
        options["norm_epsilon"] = rules["norm_epsilon"]
    return options


def _check_torchvision(stem, plan, block_type, stem_pool):
    ops = [stem] + [op for _, op, *_ in plan]
    others = sorted({op for op in ops if op not in TORCHVISION_OPS})
    if others:
        raise ValueError(f"convention='torchvision' builds torchvision's ops only ({', '.join(TORCHVISION_OPS)}). "
                         f"Received ops: {', '.join(others)}")
    if block_type != "basic":
        raise ValueError(f"convention='torchvision' builds basic blocks only (torchvision's pretrained video "
                         f"ResNets). Received: block={block_type!r}")
    if stem_pool:
        raise ValueError("convention='torchvision' has no stem pooling (torchvision's video ResNets). "
                         "Received: stem_pool=True")


@records_build
def build_video_resnet_backbone(
    *,
    stem="conv3d",
    stage_ops=("conv3d",) * 4,
    depth=18,
    block=None,
    input_shape=(16, 112, 112, 3),
    temporal_strides=None,
    temporal_kernel_size=None,
    width_multiplier=1.0,
    stem_options=None,
    op_options=None,
    stem_pool=False,
    fold_frames=False,
    convention="paper",
    name=None,
):
    """A video ResNet's stem and stages conv2_x ... conv5_x: clips to feature maps.

    Args:
        stem: the stem's op (`7x7` spatial kernel, spatial stride 2; its
            temporal kernel is 3 for ops that have one).
        stage_ops: one op per stage; a tuple of ops cycles over the blocks
            of the network in order (P3D: `("p3d_a", "p3d_b", "p3d_c")`).
        depth: 10, 18, 34 (basic blocks) or 50 (bottleneck blocks).
        block: `"basic"` or `"bottleneck"` blocks at any depth (the P3D
            paper's blocks are bottlenecks); `None`: the depth's.
        input_shape: `(frames, height, width, channels)`.
        temporal_strides: temporal stride of the first block of conv3_x,
            conv4_x and conv5_x (an int or one per stage, conv2_x's unused);
            `None`: 2 where the block's op can stride in time, else 1.
        temporal_kernel_size: the blocks' temporal kernel (an int or one per
            stage); `None`: the op's default.
        width_multiplier: scales the channels of the stem and of every
            stage (64, 128, 256, 512 at 1.0), rounded.
        stem_options, op_options: options of the stem's op and of every
            block's op.
        stem_pool: a `1x3x3` max pooling with spatial stride 2 after the
            stem, as in 2D ResNets and the 3D ResNet-50 of SlowFast that
            Miao et al. 2021 uses (Tran et al. 2018's R3D at 112x112 has none).
        fold_frames: stack the clip's frames along the channels before the
            stem (`FoldFrames`; Tran et al. 2018's R2D): the network after it
            sees one image of `frames * channels` channels.
        convention: `"paper"` (Keras' batch-norm epsilon 1e-3, TensorFlow's
            "same" padding, R(2+1)D widths matched per convolution) or
            `"torchvision"` (epsilon 1e-5, symmetric padding, one R(2+1)D
            width per block: the network torchvision's checkpoints were
            trained as; basic blocks and the ops of `TORCHVISION_OPS` only,
            no `stem_pool`). See `CONVENTIONS`.
        name: model name.

    Returns:
        a `VideoModel` from clips to conv5_x's feature maps, stages
        `conv2_x ... conv5_x` (their last blocks' names).

    Example:
    >>> backbone = build_video_resnet_backbone(stage_ops=("conv2d", "conv2d", "conv3d", "conv3d"),
    ...                                        depth=10, input_shape=(8, 64, 64, 3))
    >>> list(backbone.stage_outputs)
    ['conv2_1', 'conv3_1', 'conv4_1', 'conv5_1']
    """
    # ---- arguments
    check_choice("depth", depth, tuple(DEPTHS))
    shape = check_input_shape(input_shape)
    ops = _check_stage_ops(check_per_stage("stage_ops", stage_ops, 4, kind=(str, tuple)))
    stem_spec = get_op(stem, "stem")
    stem_options = stem_spec.check_options(stem_options, "stem_options")
    t_strides = check_per_stage("temporal_strides", temporal_strides, 4, allow_none=True)
    t_kernels = check_per_stage("temporal_kernel_size", temporal_kernel_size, 4, allow_none=True)
    width_multiplier = check_width_multiplier(width_multiplier)
    plan = _block_plan(depth, ops, t_strides, t_kernels)
    check_op_plan([(n, get_op(op), t, k) for n, op, _, t, k, _ in plan])
    stem_pool = check_bool("stem_pool", stem_pool)
    fold_frames = check_bool("fold_frames", fold_frames)
    folded = (1, *shape[1:-1], shape[0] * shape[-1]) if fold_frames else shape
    check_strides_fit(folded, [("conv1", 1, 2)] + [("pool1", 1, 2)] * stem_pool + [(n, t, s) for n, _, s, t, _, _ in plan if s > 1 or t > 1])
    block_type = check_choice("block", block, BLOCKS) if block is not None else DEPTHS[depth][0]
    check_choice("convention", convention, tuple(CONVENTIONS))
    rules = CONVENTIONS[convention]
    if convention == "torchvision":
        _check_torchvision(stem, plan, block_type, stem_pool)

    # ---- functional graph
    inputs = keras.Input(shape=shape, name="clips")
    channels = [scale_channels(c, width_multiplier) for c in CHANNELS]
    x = FoldFrames(name="fold_frames")(inputs) if fold_frames else inputs
    x = stem_spec.build(channels[0], kernel_size=7, temporal_kernel_size=3 if stem_spec.temporal_kernel else None,
                        strides=2, use_bias=False, name="conv1",
                        **{**_convention_options(stem, convention), **stem_options})(x)
    x = normalization_layer("batch", name="conv1_bn", epsilon=rules["norm_epsilon"])(x)
    x = keras.layers.Activation("relu", name="conv1_relu")(x)
    if stem_pool:
        x = FrameMaxPooling3D((1, 3, 3), strides=(1, 2, 2), padding="same", name="pool1")(x)
    in_channels = channels[0]
    for block_name, op, stride, t_stride, t_kernel, stage in plan:
        options = _convention_options(op, convention)
        if rules["block_midplanes"] and "intermediate_filters" in get_op(op).options:
            kt = get_op(op).resolve_temporal_kernel(t_kernel)
            options["intermediate_filters"] = parameter_matched_filters((kt, 3, 3), in_channels, channels[stage])
        common = dict(op=op, strides=stride, temporal_strides=t_stride, temporal_kernel_size=t_kernel,
                      op_options={**options, **check_options("op_options", op_options)} if options else op_options,
                      norm_epsilon=rules["norm_epsilon"],
                      name=block_name)
        in_channels = channels[stage] * (4 if block_type == "bottleneck" else 1)
        if block_type == "basic":
            x = ResidualBasic(channels[stage], **common)(x)
        else:
            x = ResidualBottleneck(4 * channels[stage], channels[stage], use_bias=False, **common)(x)
    last = {stage: block_name for block_name, *_, stage in plan}
    return VideoModel(inputs, x, stage_names=[last[i] for i in range(4)], name=name or "video_resnet_backbone")


@records_build
def build_video_resnet(
    *,
    kind="r3d",
    depth=18,
    block=None,
    input_shape=(16, 112, 112, 3),
    num_classes=None,
    task=None,
    classifier_activation="softmax",
    stage_ops=None,
    temporal_strides=None,
    temporal_kernel_size=None,
    width_multiplier=1.0,
    head="pool",
    head_options=None,
    convention="paper",
    weights=None,
    frozen_stages=-1,
    name=None,
):
    """Builds a video ResNet of Tran et al. 2018's family.

    `kind` names an argument set of `build_video_resnet_backbone` (`KINDS`):
    the stem op and one op per stage; `stage_ops`, `temporal_strides` and
    `temporal_kernel_size` change it per stage.

    Args:
        kind: `r2d` (the frames stacked as the channels of one image, then
            2D convolutions), `f_r2d` (2D convolutions on every frame, time
            kept until the final pooling), `mc2`...`mc5` (3D
            convolutions before conv{x}_x, 2D from it on), `rmc2`...`rmc5`
            (the reverse), `r3d`, `r2plus1d`, or `p3d` (P3D-A, B, C bottleneck
            blocks in turn).
        depth: 10, 18, 34 (basic blocks) or 50 (bottleneck blocks); P3D
            has bottleneck blocks at every depth.
        block: `"basic"` or `"bottleneck"` at any depth (e.g. P3D with
            basic blocks); `None`: the kind's (P3D: bottleneck), else the
            depth's.
        input_shape: `(frames, height, width, channels)`.
        num_classes: classifier outputs (400 when neither `num_classes` nor
            `task` is given); or give `task`.
        task: a `stkeras.tasks.Task` or a registered task name.
        classifier_activation: activation of the classifier (`None` for logits).
        stage_ops, temporal_strides, temporal_kernel_size: override the
            kind's per-stage design (see `build_video_resnet_backbone`).
        width_multiplier: scales every convolution's channels.
        head: a registered head (default `"pool"`: global average pooling
            and the classifier `predictions`).
        head_options: the head's options.
        convention: `"paper"` or `"torchvision"`: the network torchvision's
            checkpoints were trained as (batch-norm epsilon 1e-5, symmetric
            padding, torchvision's R(2+1)D widths; see
            `build_video_resnet_backbone`).
        weights: `None` (random), a PyTorch checkpoint (`.pth`, `.pt`) of
            torchvision's video ResNet of this kind and depth (needs
            `convention="torchvision"`; read without PyTorch; with another
            `num_classes` than the checkpoint's, the classifier stays
            freshly initialized), or a file of `model.save_weights`.
        frozen_stages: MMAction2's convention: `-1` freezes nothing, `0` the
            stem (`conv1`, `conv1_bn`), `k` the stem and stages conv2_x ...
            conv{k+1}_x (`k` up to 4). Frozen layers are not trainable, and
            their batch normalizations use their moving statistics.
        name: model name (default: `"{kind}_{depth}"`).

    Returns:
        An uncompiled `VideoModel`.

    Example:
    >>> model = build_video_resnet(kind="r2plus1d", depth=18, input_shape=(8, 64, 64, 3), num_classes=10)
    >>> model.get_layer("conv5_2").output.shape
    (None, 1, 4, 4, 512)
    >>> tv = build_video_resnet(kind="r3d", input_shape=(8, 32, 32, 3), convention="torchvision", frozen_stages=1)
    >>> [tv.get_layer(name).trainable for name in ("conv1", "conv2_2", "conv3_1")]
    [False, False, True]

    Reference: Tran et al. 2018; Qiu et al. 2017.
    """
    # ---- arguments
    check_choice("kind", kind, tuple(KINDS))
    task = resolve_task(num_classes, task, default=400, classifier_activation=classifier_activation)
    head_options = check_options("head_options", head_options)
    frozen_stages = _check_frozen_stages(frozen_stages)
    weights = _check_weights(weights, convention)
    design = KINDS[kind]
    backbone = build_video_resnet_backbone(
        stem=design["stem"], stem_options=design["stem_options"], stage_ops=stage_ops or design["stage_ops"],
        fold_frames=design.get("fold_frames", False),
        depth=depth, block=design.get("block") if block is None else block, input_shape=input_shape, temporal_strides=temporal_strides,
        temporal_kernel_size=temporal_kernel_size, width_multiplier=width_multiplier, convention=convention,
    )
    model = backbone.with_head(head, task=task, name=name or f"{kind}_{depth}", **head_options)
    if weights is not None:
        _load(model, weights, kind=kind, depth=depth)
    freeze_stages(model, frozen_stages)
    return model


def _check_frozen_stages(frozen_stages):
    if isinstance(frozen_stages, bool) or not isinstance(frozen_stages, int) or not -1 <= frozen_stages <= len(STAGES):
        raise ValueError(f"`frozen_stages` must be an int from -1 (nothing frozen) through {len(STAGES)} (the stem "
                         f"and every stage). Received: frozen_stages={frozen_stages!r}")
    return frozen_stages


def _check_weights(weights, convention):
    from stkeras.models.video_resnet_torchvision import is_torch_checkpoint

    if weights is None:
        return None
    if not isinstance(weights, (str, os.PathLike)) or not os.path.isfile(weights):
        raise ValueError(f"`weights` must be None or the path of a weights file (a torchvision `.pth` checkpoint or "
                         f"a `.weights.h5` of `save_weights`). Received: weights={weights!r}")
    if is_torch_checkpoint(weights) and convention != "torchvision":
        raise ValueError(f"A torchvision checkpoint loads into convention='torchvision' only (the network it was "
                         f"trained as). Received: weights={os.fspath(weights)!r}, convention={convention!r}")
    return weights


def _load(model, weights, *, kind, depth):
    from stkeras.models.video_resnet_torchvision import is_torch_checkpoint
    from stkeras.models.video_resnet_torchvision import load_torchvision_weights

    if is_torch_checkpoint(weights):
        load_torchvision_weights(model, weights, kind=kind, depth=depth)
        return
    try:
        model.load_weights(weights)
    except Exception as error:  # h5py and Keras raise several types for a damaged or mismatched file
        raise ValueError(f"The weights file {os.fspath(weights)!r} cannot be loaded into model {model.name!r}: "
                         f"{error}") from None


def freeze_stages(model, frozen_stages):
    """Makes the stem and the first stages of a video ResNet untrainable (MMAction2's `frozen_stages`).

    Args:
        model: a model of `build_video_resnet` (or its backbone).
        frozen_stages: `-1`: nothing; `0`: the stem (`conv1`, `conv1_bn`);
            `k`: the stem and stages conv2_x ... conv{k+1}_x.

    Returns:
        the names of the layers frozen.

    Example:
    >>> model = build_video_resnet(kind="mc3", depth=10, input_shape=(8, 32, 32, 3))
    >>> freeze_stages(model, 2)
    ['conv1', 'conv1_bn', 'conv2_1', 'conv3_1']
    """
    frozen_stages = _check_frozen_stages(frozen_stages)
    prefixes = ("conv1",) * (frozen_stages >= 0) + tuple(f"conv{s + 2}_" for s in range(max(frozen_stages, 0)))
    names = []
    for layer in model.layers:
        if layer.name.startswith(prefixes) and layer.weights:
            layer.trainable = False
            names.append(layer.name)
    return names


register_family("video_resnet", backbone=build_video_resnet_backbone, builder=build_video_resnet, head="pool",
                paper="Tran et al. 2018")
