"""Reading activations inside residual blocks: layer paths and the exposed-op clone.

A block's specialized op is a sub-layer of the block (`res3_1/op`), not a
node of the model's graph, so its activation cannot be read from the model
as it is. `expose_ops` returns a clone of the model, sharing its layers and
weights, in which every chosen block runs as three nodes: `<block>_in` (up to
the op), `<block>_op` (the op itself) and `<block>` (the rest, with the
block's name). The op's output is then a graph tensor on the path to the
model's outputs, so it can be read, differentiated (Grad-CAM), or targeted
by name (`penultimate_layer="res3_1_op"`).
"""

import keras


def _is_block(layer):
    return all(hasattr(layer, m) for m in ("call_before_op", "call_after_op", "op_layer"))


def find_layer(model, path):
    """The layer at `path`: a layer name, or `"<block>/<sub-layer>"` (e.g. `"res3_1/op"`).

    Example:
    >>> from stkeras import build_conv3d_lstm
    >>> find_layer(build_conv3d_lstm(input_shape=(8, 32, 32, 1)), "res3_1/op").kernel_size
    (3, 3, 3)
    """
    if not isinstance(path, str) or not path:
        raise ValueError(f"`path` must be a layer name or 'block/sub_layer'. Received: path={path!r}")
    head, _, rest = path.partition("/")
    layer = model.get_layer(head)
    shape = tuple(layer.input.shape) if rest else None
    while rest:
        part, _, rest = rest.partition("/")
        if not hasattr(layer, "paths"):
            raise ValueError(f"Layer {layer.name!r} has no sub-layers. Received: path={path!r}")
        # Sub-layers are not graph nodes: their input shapes come from `paths`.
        subs = {sub.name: (sub, sub_in) for p in layer.paths(shape) for sub, sub_in, _ in p}
        if part not in subs:
            raise ValueError(f"Layer {layer.name!r} has no sub-layer {part!r} (it has: "
                             f"{', '.join(subs)}). Received: path={path!r}")
        layer, shape = subs[part]
    return layer


def block_names(model):
    """Names of the model's layers whose op can be exposed, in model order."""
    return [layer.name for layer in model.layers if _is_block(layer)]


class _BlockPart(keras.layers.Layer):
    """One part of a block's call as a graph node (analysis clones only; not saved)."""

    def __init__(self, block, part, **kwargs):
        super().__init__(**kwargs)
        self.block, self.part = block, part

    def call(self, inputs, training=None):
        if self.part == "before":
            return list(self.block.call_before_op(inputs, training=training))
        op_outputs, skip = inputs
        return self.block.call_after_op(op_outputs, skip, training=training)


class _Op(keras.layers.Layer):
    """A block's op as its own graph node named `<block>_op` (analysis clones only)."""

    def __init__(self, op, **kwargs):
        super().__init__(**kwargs)
        self.op = op

    def call(self, inputs, training=None):
        return self.op(inputs, training=training)


def expose_ops(model, blocks=None):
    """A clone of `model` in which the ops of `blocks` are graph nodes `<block>_op`.

    The clone shares the model's layers and weights and gives the same
    outputs; it is for reading activations, not for saving.

    Args:
        model: a functional model with residual blocks.
        blocks: block names (default: every block, see `block_names`).

    Returns:
        the clone; `clone.get_layer("res3_1_op").output` is the op's output.

    Example:
    >>> from stkeras import build_conv3d_lstm
    >>> model = build_conv3d_lstm(input_shape=(8, 32, 32, 1))
    >>> exposed = expose_ops(model, ["res3_1"])
    >>> exposed.get_layer("res3_1_op").output.shape
    (None, 8, 4, 4, 16)
    """
    available = block_names(model)
    blocks = available if blocks is None else list(blocks)
    unknown = [b for b in blocks if b not in available]
    if unknown:
        raise ValueError(f"`blocks` must name residual blocks of the model ({', '.join(available)}). "
                         f"Received: blocks={blocks!r}")

    def call_function(layer, *args, **kwargs):
        if layer.name not in blocks:
            return layer(*args, **kwargs)
        training = kwargs.get("training")
        op_inputs, skip = _BlockPart(layer, "before", name=f"{layer.name}_in")(args[0], training=training)
        op_outputs = _Op(layer.op_layer, name=f"{layer.name}_op")(op_inputs, training=training)
        return _BlockPart(layer, "after", name=layer.name)([op_outputs, skip], training=training)

    return keras.models.clone_model(model, clone_function=lambda layer: layer, call_function=call_function)
