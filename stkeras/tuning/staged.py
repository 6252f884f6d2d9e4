"""The shared part of the per-stage design spaces: ops, widths and heads checked once, declared once."""

from stkeras.tuning.hypermodel import TemporalHyperModel
from stkeras.tuning.hypermodel import check_heads
from stkeras.tuning.hypermodel import check_multipliers
from stkeras.tuning.stages import declare_stages
from stkeras.tuning.stages import searchable_ops


class StagedHyperModel(TemporalHyperModel):
    """A `TemporalHyperModel` whose networks have stages with a searched op, a width multiplier and a head.

    Subclasses set `STAGES` (a tuple of `Stage`) and `DEFAULT_HEAD`, and
    build their network from `declare_design(hp)` in `build_model`.

    Args:
        ops: ops searched per stage (default: `searchable_ops()`).
        heads: heads searched (default: every clip head).
        width_multipliers: channel multipliers searched; the first is the default.
        **kwargs: see `TemporalHyperModel`.
    """

    STAGES = ()
    DEFAULT_HEAD = None

    def __init__(self, *, ops=None, heads=None, width_multipliers=(1.0, 0.5), **kwargs):
        super().__init__(**kwargs)
        self.ops = searchable_ops(ops)
        self.heads = check_heads(heads)
        self.width_multipliers = check_multipliers(width_multipliers)

    def declare_design(self, hp):
        """Declares every stage's op, kernel and stride, `width_multiplier` and `head`.

        Returns:
            `(ops, kernels, strides, width, head)`: per-stage tuples (see
            `declare_stages`), the multiplier and the head's name.
        """
        ops, kernels, strides = declare_stages(hp, self.STAGES, self.ops)
        width = hp.Choice("width_multiplier", list(self.width_multipliers), default=self.width_multipliers[0])
        default = self.DEFAULT_HEAD if self.DEFAULT_HEAD in self.heads else self.heads[0]
        head = hp.Choice("head", list(self.heads), default=default)
        return ops, kernels, strides, width, head
