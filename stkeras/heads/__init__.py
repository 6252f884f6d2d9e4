"""Heads: from a backbone's features to a task's outputs, in a registry."""

from stkeras.heads import pooling  # noqa: F401  (registers pool, temporal_pool, per_frame)
from stkeras.heads import recurrent  # noqa: F401  (registers lstm)
from stkeras.heads.registry import HeadSpec
from stkeras.heads.registry import available_heads
from stkeras.heads.registry import build_head
from stkeras.heads.registry import get_head
from stkeras.heads.registry import register_head
