"""The search space of Köpüklü et al.'s frame models: the 2D backbone's width and the temporal head."""

from stkeras.heads import FRAME_HEADS
from stkeras.heads import available_heads
from stkeras.models.frame_model import build_frame_model
from stkeras.models.checks import scale_channels
from stkeras.tuning.hypermodel import TemporalHyperModel
from stkeras.tuning.hypermodel import check_heads
from stkeras.tuning.hypermodel import check_multipliers
from stkeras.validation import check_positive_int

SMALL_CNN_WIDTHS = (32, 64, 128)


class FrameModelHyperModel(TemporalHyperModel):
    """stkeras' small 2D CNN on each of N sampled frames, a projection to D features, and a searched head.

    Hyperparameters:
        width_multiplier: Choice of `width_multipliers`, default the first:
            scales the small CNN's channels (32, 64, 128 at 1.0).
        feature_dim: Choice of `feature_dims`, default the last: `D`,
            features per frame before the head.
        head: Choice of `heads` (default: Köpüklü et al.'s twelve), default
            `"lstm"`.
        learning_rate: Float, log-sampled in `learning_rates`, default
            `default_learning_rate`.

    Args:
        input_shape: the clips of sampled frames, `(N, height, width,
            channels)`.
        task: a `stkeras.tasks.Task` or a registered task name.
        heads, width_multipliers, feature_dims: what is searched.
        **kwargs: `total_steps`, `learning_rates`, `default_learning_rate`,
            `warmup_fraction`, `seed`, `name` (see `TemporalHyperModel`).

    Example:
    >>> import keras_tuner
    >>> hypermodel = FrameModelHyperModel(input_shape=(4, 32, 32, 1), heads=("mlp", "trn"))
    >>> hypermodel.build(keras_tuner.HyperParameters()).output.shape
    (None, 10)

    Reference: Köpüklü et al., Section 3 and Table 3.
    """

    def __init__(self, *, input_shape, task="digit", heads=FRAME_HEADS, width_multipliers=(1.0, 0.5),
                 feature_dims=(64, 128, 256), **kwargs):
        super().__init__(input_shape=input_shape, task=task, name=kwargs.pop("name", "frame_model"), **kwargs)
        self.heads = check_heads(heads, available_heads())
        self.width_multipliers = check_multipliers(width_multipliers)
        self.feature_dims = tuple(check_positive_int("feature_dims", d) for d in feature_dims)
        if not self.feature_dims:
            raise ValueError("`feature_dims` must name at least one feature size. Received: feature_dims=()")

    def build_model(self, hp):
        width = hp.Choice("width_multiplier", list(self.width_multipliers), default=self.width_multipliers[0])
        feature_dim = hp.Choice("feature_dim", list(self.feature_dims), default=self.feature_dims[-1])
        head = hp.Choice("head", list(self.heads), default="lstm" if "lstm" in self.heads else self.heads[0])
        widths = tuple(scale_channels(c, width) for c in SMALL_CNN_WIDTHS)
        return build_frame_model(backbone="small_cnn", head=head, feature_dim=feature_dim, task=self.task,
                                 input_shape=self.input_shape, backbone_options={"widths": widths})
