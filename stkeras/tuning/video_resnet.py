"""The search space of Tran et al. 2018's video ResNets: which stages are 3D, (2+1)D, P3D or 2D."""

from stkeras.models.video_resnet import DEPTHS
from stkeras.models.video_resnet import build_video_resnet_backbone
from stkeras.tuning.staged import StagedHyperModel
from stkeras.tuning.stages import Stage
from stkeras.validation import check_choice

# The stem (conv1) takes an op but no searched kernel or stride; conv2_x
# never strides; conv3_x ... conv5_x stride on their first block.
STAGES = (
    Stage("conv1", temporal_kernel=False, temporal_stride=False),
    Stage("conv2_x", temporal_stride=False),
    Stage("conv3_x"),
    Stage("conv4_x"),
    Stage("conv5_x"),
)


class VideoResNetHyperModel(StagedHyperModel):
    """A video ResNet (Tran et al. 2018) of fixed depth with the op of its stem and of every stage searched.

    Tran et al. 2018's kinds are points of the space: R3D is `first_temporal_stage=1`
    with every op `conv3d` (temporal stride 2 in conv3_x ... conv5_x), MCx
    is `first_temporal_stage=1` with 3D ops before conv{x}_x and `conv2d`
    from it on, rMCx is `first_temporal_stage=x` (the stem is stage 1,
    conv{x}_x stage x) with `conv3d` after, R2D is `first_temporal_stage=6`,
    R(2+1)D every op `conv2plus1d`. P3D blocks are the ops `p3d_a`, `p3d_b`,
    `p3d_c`, chosen per stage (the paper's A-B-C cycle is `build_video_resnet(kind="p3d")`).

    Hyperparameters (`s` is conv1, conv2_x, conv3_x, conv4_x, conv5_x):
        first_temporal_stage: Int 1-6, default 1. Stages before it are
            per-frame `conv2d`; 6: no stage mixes time.
        {s}_op: Choice of `ops` (default: every registered op but
            `ts_conv3d`), default `"conv3d"`; active when `s` is at or after
            `first_temporal_stage`.
        {s}_temporal_kernel: Choice 3, 5, default 3, for conv2_x ...
            conv5_x; active when `{s}_op` has a temporal kernel (the stem's
            is 3).
        {s}_temporal_stride: Choice 1, 2, default 1, for conv3_x ...
            conv5_x (their first block); active when `{s}_op` can stride in
            time.
        width_multiplier: Choice of `width_multipliers`, default the first
            (channels 64, 128, 256, 512 at 1.0).
        head: Choice of `heads` (default: every registered clip head),
            default `"pool"`.
        learning_rate: Float, log-sampled in `learning_rates`, default
            `default_learning_rate`.

    Args:
        input_shape: `(frames, height, width, channels)`.
        task: a `stkeras.tasks.Task` or a registered task name.
        depth: 10, 18, 34 or 50.
        ops, heads, width_multipliers: what is searched.
        **kwargs: `total_steps`, `learning_rates`, `default_learning_rate`,
            `warmup_fraction`, `seed`, `name` (see `TemporalHyperModel`).

    Example:
    >>> import keras_tuner
    >>> hp = keras_tuner.HyperParameters()
    >>> hp.Fixed("first_temporal_stage", 3)  # rMC3: conv1 and conv2_x per frame
    3
    >>> model = VideoResNetHyperModel(input_shape=(8, 32, 32, 1), depth=10, width_multipliers=(0.25,)).build(hp)
    >>> model.get_layer("conv2_1").op1.kernel_size, model.get_layer("conv3_1").op1.kernel_size
    ((1, 3, 3), (3, 3, 3))

    Reference: Tran et al. 2018, Sections 3.1-3.5.
    """

    STAGES = STAGES
    DEFAULT_HEAD = "pool"

    def __init__(self, *, input_shape, task="digit", depth=10, **kwargs):
        super().__init__(input_shape=input_shape, task=task, name=kwargs.pop("name", "video_resnet"), **kwargs)
        self.depth = check_choice("depth", depth, tuple(DEPTHS))

    def build_model(self, hp):
        ops, kernels, strides, width, head = self.declare_design(hp)
        backbone = build_video_resnet_backbone(
            stem=ops[0], stage_ops=ops[1:], depth=self.depth, input_shape=self.input_shape,
            temporal_strides=strides[1:], temporal_kernel_size=kernels[1:], width_multiplier=width,
        )
        return backbone.with_head(head, task=self.task, name=f"video_resnet_{self.depth}")
