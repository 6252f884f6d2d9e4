"""The search space of Courtney & Sreenivas 2022's residual networks: which op in which stage, how time is strided."""

from stkeras.models.courtney import NUM_STAGES
from stkeras.models.courtney import WIDTHS
from stkeras.models.courtney import build_courtney_resnet
from stkeras.tuning.staged import StagedHyperModel
from stkeras.tuning.stages import Stage
from stkeras.validation import check_choice

STAGES = tuple(Stage(f"res{i}") for i in range(1, NUM_STAGES + 1))


class CourtneyHyperModel(StagedHyperModel):
    """Courtney & Sreenivas 2022's eight-block residual network with its temporal design searched.

    The structure (blocks, channels of `width`, clip shape, task) is fixed;
    each stage res1 ... res4 gets an op from the registry, and the head is
    any clip head. `first_temporal_stage=5, head="lstm"` is the paper's
    Conv2D+LSTM, `res*_op="conv3d"` its Conv3D, a temporal stride of 2 its
    TS-Conv3D, `res*_op="convlstm", head="temporal_pool"` its ConvLSTM.

    Hyperparameters (`s` is res1 ... res4):
        first_temporal_stage: Int 1-5, default 1. Stages before it are
            per-frame `conv2d`; 5: no stage mixes time, only the head.
        {s}_op: Choice of `ops` (default: every registered op but the
            aliases of a temporal stride, `ts_conv3d`), default `"conv3d"`;
            active when `s` is at or after `first_temporal_stage`.
        {s}_temporal_kernel: Choice 3, 5, default 3; active when `{s}_op`
            has a temporal kernel.
        {s}_temporal_stride: Choice 1, 2 (on the stage's first block),
            default 1; active when `{s}_op` can stride in time.
        width_multiplier: Choice of `width_multipliers`, default the
            first: scales every block's channels.
        head: Choice of `heads` (default: every registered clip head),
            default `"lstm"`.
        learning_rate: Float, log-sampled in `learning_rates`, default
            `default_learning_rate`.

    A point whose temporal strides would leave less than one frame raises
    `keras_tuner.errors.FailedTrialError` before any layer is built.

    Args:
        input_shape: `(frames, height, width, channels)`.
        task: a `stkeras.tasks.Task` or a registered task name.
        width: `"base"` or `"xl"` (channels of Courtney & Sreenivas 2022's Tables 1-4).
        ops: the ops searched per stage.
        heads: the heads searched.
        width_multipliers: the channel multipliers searched.
        **kwargs: `total_steps`, `learning_rates`, `default_learning_rate`,
            `warmup_fraction`, `seed`, `name` (see `TemporalHyperModel`).

    Example:
    >>> import keras_tuner
    >>> hypermodel = CourtneyHyperModel(input_shape=(8, 32, 32, 1), ops=("conv2d", "conv3d", "convlstm"))
    >>> hypermodel.build(keras_tuner.HyperParameters()).get_layer("res3_1").op_layer.kernel_size
    (3, 3, 3)

    Reference: Courtney & Sreenivas 2022, Section 4, Tables 1-5.
    """

    STAGES = STAGES
    DEFAULT_HEAD = "lstm"

    def __init__(self, *, input_shape, task="digit", width="base", **kwargs):
        super().__init__(input_shape=input_shape, task=task, name=kwargs.pop("name", "courtney"), **kwargs)
        self.width = check_choice("width", width, tuple(WIDTHS))

    def build_model(self, hp):
        ops, kernels, strides, width, head = self.declare_design(hp)
        return build_courtney_resnet(
            op=ops, width=self.width, input_shape=self.input_shape, task=self.task, head=head,
            temporal_strides=strides, temporal_kernel_size=kernels, width_multiplier=width,
        )

