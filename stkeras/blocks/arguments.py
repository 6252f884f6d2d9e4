"""The arguments shared by the residual blocks, checked once for both.

`ResidualBasic(filters, ...)` and `ResidualBottleneck(filters,
bottleneck_filters, ...)` take the same keyword arguments after their
channel arguments (`BLOCK_ARGUMENTS`, in this order). Each is checked here,
and only here, so a bad value raises the same `ValueError` (naming the
argument, the value received and what is allowed) from either block. The
skip path (`shortcut`) is resolved and built here too.

Op sub-layers follow one rule in both blocks: a block with one op names it
`op` (the bottleneck; its attribute is `op_layer`, since `op` holds the op's
registry name), a block with several names them `op1`, `op2`, ... in call
order (the basic block; attributes of the same names). In both,
`op_layer` is the op whose output meets the skip path (the one
`stkeras.models.expose_ops` exposes) and `op_layers` all of them in call
order. The names are also the attribute paths of saved weights, so they are
kept as they were.

Example:
>>> from stkeras.blocks import ResidualBasic
>>> ResidualBasic(8, placement="middle")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
ValueError: Unknown `placement`: 'middle'. Allowed values: 'post', 'pre'.
"""

import keras

from stkeras.blocks.ops import get_op
from stkeras.layers.conv_lstm import ConvLSTM2D
from stkeras.layers.frame_conv import FrameConv3D
from stkeras.layers.normalization import check_normalization
from stkeras.validation import check_choice
from stkeras.validation import check_number
from stkeras.validation import check_positive_int

SHORTCUTS = ("auto", "identity", "conv", "convlstm")
PLACEMENTS = ("post", "pre")

# The keyword arguments of both blocks, in signature order. Their defaults are
# the same in both but one: `use_bias` (basic: False, bottleneck: True), each
# what the models built on that block rely on.
BLOCK_ARGUMENTS = (
    "op", "strides", "temporal_strides", "kernel_size", "temporal_kernel_size", "shortcut", "normalization",
    "placement", "activation", "use_bias", "op_options", "norm_momentum", "norm_epsilon",
)


def check_block_arguments(*, op, strides, temporal_strides, kernel_size, temporal_kernel_size, shortcut,
                          normalization, placement, activation, use_bias, op_options, norm_momentum,
                          norm_epsilon):
    """Checks the arguments common to the residual blocks.

    Returns:
        a dict of the checked values under the argument names, with
        `temporal_strides=None` resolved to the op's default and
        `activation` as a function.

    Raises:
        ValueError (TypeError for `op_options` not a dict): a value that no
        block accepts, naming the argument and the value received.
    """
    spec = get_op(op)
    strides = check_positive_int("strides", strides)
    if temporal_strides is None:
        temporal_strides = spec.default_temporal_strides(strides)
    temporal_strides = check_positive_int("temporal_strides", temporal_strides)
    kernel_size = check_positive_int("kernel_size", kernel_size)
    spec.resolve_temporal_kernel(temporal_kernel_size)
    shortcut = check_choice("shortcut", shortcut, SHORTCUTS)
    if shortcut == "identity" and (strides > 1 or temporal_strides > 1):
        raise ValueError(
            "shortcut='identity' cannot be used with a strided block. "
            f"Received: strides={strides}, temporal_strides={temporal_strides}"
        )
    if shortcut == "convlstm" and temporal_strides != 1:
        raise ValueError(
            f"shortcut='convlstm' cannot stride in time. Received: temporal_strides={temporal_strides}"
        )
    normalization = check_normalization(normalization)
    placement = check_choice("placement", placement, PLACEMENTS)
    try:
        activation = keras.activations.get(activation)
    except (ValueError, TypeError):
        raise ValueError(
            "`activation` must be None, an activation's name such as 'relu', or a function. "
            f"Received: activation={activation!r}"
        ) from None
    return {
        "op": op,
        "strides": strides,
        "temporal_strides": temporal_strides,
        "kernel_size": kernel_size,
        "temporal_kernel_size": temporal_kernel_size,
        "shortcut": shortcut,
        "normalization": normalization,
        "placement": placement,
        "activation": activation,
        "use_bias": bool(use_bias),
        "op_options": spec.check_options(op_options),
        "norm_momentum": check_number("norm_momentum", norm_momentum, 0, 1),
        "norm_epsilon": check_number("norm_epsilon", norm_epsilon, 0),
    }


def block_config(block):
    """The shared arguments of `block` as `get_config` stores them."""
    config = {name: getattr(block, name) for name in BLOCK_ARGUMENTS}
    config["activation"] = keras.activations.serialize(block.activation)
    config["op_options"] = dict(block.op_options)
    return config


def build_projection(block, in_channels):
    """The skip-path layer of `block` for inputs of `in_channels` channels.

    `shortcut="auto"` is an open skip unless the block strides or changes
    the channels, then a strided 1x1x1 convolution (`"conv"`).

    Returns:
        the layer named `"projection"`, or `None` for an open skip.
    """
    strided = block.strides > 1 or block.temporal_strides > 1
    shortcut = block.shortcut
    if shortcut == "auto":
        shortcut = "conv" if strided or in_channels != block.filters else "identity"
    if shortcut == "identity":
        if in_channels != block.filters:
            raise ValueError(
                "shortcut='identity' needs as many input channels as `filters`. "
                f"Received: input channels={in_channels}, filters={block.filters}"
            )
        return None
    if shortcut == "convlstm":
        # A scale's ConvLSTMs are reset together (Courtney & Sreenivas 2019, Figure 5).
        return ConvLSTM2D(
            block.filters, 1, strides=block.strides, padding="same", use_bias=block.use_bias,
            return_sequences=True, state_reset_period=block.op_options.get("state_reset_period"),
            name="projection", dtype=block.dtype_policy,
        )
    return FrameConv3D(
        block.filters, 1, strides=(block.temporal_strides, block.strides, block.strides),
        use_bias=block.use_bias, name="projection", dtype=block.dtype_policy,
    )


def without_legacy_temporal_kernel(config):
    """Configs saved before ops declared their capabilities stored
    `temporal_kernel_size=3` for every op; ops without a temporal kernel now
    refuse it, so such a saved value is read as the op's default."""
    config = dict(config)
    op = config.get("op")
    if isinstance(op, str) and not get_op(op).temporal_kernel and config.get("temporal_kernel_size") == 3:
        config["temporal_kernel_size"] = None
    return config
