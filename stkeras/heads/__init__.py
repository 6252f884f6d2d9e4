"""Heads: from a backbone's features to a task's outputs, in a registry.

Köpüklü et al.'s eleven spatiotemporal heads (twelve names with single-scale TRN)
are `FRAME_HEADS`.
"""

from stkeras.heads import pooling  # noqa: F401  (registers pool, temporal_pool, per_frame)
from stkeras.heads import recurrent  # noqa: F401  (registers lstm, gru, rnn_tanh, rnn_relu, blstm, convlstm)
from stkeras.heads import relational  # noqa: F401  (registers mlp, tsn, trn, trn_multiscale)
from stkeras.heads import fully_convolutional  # noqa: F401  (registers fcn2d, fcn3d)
from stkeras.heads.registry import HeadSpec
from stkeras.heads.registry import available_heads
from stkeras.heads.registry import build_head
from stkeras.heads.registry import clip_heads
from stkeras.heads.registry import get_head
from stkeras.heads.registry import register_head

FRAME_HEADS = ("mlp", "tsn", "trn", "trn_multiscale", "rnn_tanh", "rnn_relu", "lstm", "gru", "blstm", "convlstm",
                  "fcn2d", "fcn3d")
