"""Residual blocks that wire stkeras layers together."""

from stkeras.blocks.basic import ResidualBasic
from stkeras.blocks.bottleneck import ResidualBottleneck
from stkeras.blocks.ops import OpSpec
from stkeras.blocks.ops import available_ops
from stkeras.blocks.ops import get_op
from stkeras.blocks.ops import register_op
