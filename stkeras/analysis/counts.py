"""Parameter counts by block and multiply-accumulate (FLOP) counts per clip.

FLOP convention: `count_flops` returns multiply-accumulates (MACs) for one
clip (batch size 1), counting the products of convolutions (2D, 3D, 1D,
depthwise, separable; dilation and padding change nothing, strides reduce the
outputs), dense layers (per position they are applied to), and recurrent
layers at every time step: LSTM `4 (i u + u u)`, GRU `3 (i u + u u)`,
SimpleRNN `i u + u u` per step, ConvLSTM `H' W' k_h k_w 4F (C + F)` per step.
Biases, normalization, activations, gates' elementwise products and pooling
are not counted. FLOPs in the "2 x MACs" sense are twice these numbers.
STDCF layers count what their implementation computes: the kernel rebuild
plus one 3D convolution (`"kernel"`), or the paper's three convolutions
(`"atoms"`); rank-1 layers count their two convolutions. Each layer's count
comes from the analysis protocol (`stkeras.analysis.rules`).
"""

import keras
import numpy as np

from stkeras.analysis.rules import rule_for


def _weights(layer, trainable):
    weights = layer.trainable_weights if trainable else layer.non_trainable_weights
    return int(sum(np.prod(w.shape) for w in weights))


def count_params(model, by="block"):
    """Trainable and non-trainable parameters per top-level layer (block).

    Args:
        model: a Keras model.
        by: `"block"` (one entry per top-level layer that has weights, in
            model order; residual blocks count everything inside them) or
            `"total"`.

    Returns:
        dict `{name: {"trainable": int, "non_trainable": int}}`; with
        `by="total"`, a single entry `"total"`.

    Example:
    >>> from stkeras import build_conv2d_lstm
    >>> count_params(build_conv2d_lstm())["lstm1"]["trainable"]
    131584
    """
    if by not in ("block", "total"):
        raise ValueError(f"Unknown `by`: {by!r}. Allowed values: 'block', 'total'.")
    if by == "total":
        return {"total": {"trainable": _weights(model, True), "non_trainable": _weights(model, False)}}
    counts = {}
    for layer in model.layers:
        trainable, frozen = _weights(layer, True), _weights(layer, False)
        if trainable or frozen:
            counts[layer.name] = {"trainable": trainable, "non_trainable": frozen}
    return counts


def layer_flops(layer, input_shape, output_shape):
    """MACs of one layer for one sample; `None` for layers without products
    or that follow no analysis protocol.

    Args:
        layer: a Keras layer.
        input_shape, output_shape: shapes including the batch axis.
    """
    rule = rule_for(layer)
    if rule is None:
        return None
    if rule.composite:
        # Each distinct sub-layer once (P3D-C's spatial convolution sits on
        # two paths but runs once).
        seen = {}
        for path in layer.paths(input_shape):
            for sub, sub_in, sub_out in path:
                seen.setdefault(id(sub), (sub, sub_in, sub_out))
        return sum(layer_flops(sub, i, o) or 0 for sub, i, o in seen.values())
    return None if rule.macs is None else rule.macs(input_shape, output_shape)


def count_flops(model, input_shape=None, by_layer=False):
    """Multiply-accumulates per clip (see the module docstring for the convention).

    Args:
        model: a functional Keras model.
        input_shape: the input without the batch axis, for models with
            `None` dimensions (the model is then called on that shape).
        by_layer: also return a dict `{layer name: MACs}`.

    Returns:
        int total MACs, or `(total, per_layer)` with `by_layer=True`.

    Example:
    >>> inputs = keras.Input((8, 16, 16, 3))
    >>> outputs = keras.layers.Conv3D(4, 3, padding="same")(inputs)
    >>> count_flops(keras.Model(inputs, outputs)) == 8 * 16 * 16 * 27 * 3 * 4
    True
    """
    if input_shape is not None:
        # Rebuild the same graph (fresh weights: only shapes matter) on a
        # static input shape.
        config = model.get_config()
        inputs = [c for c in config["layers"] if c["class_name"] == "InputLayer"]
        if len(inputs) != 1:
            raise ValueError("`input_shape` is supported for functional models with one input.")
        inputs[0]["config"]["batch_shape"] = [None] + list(input_shape)
        model = keras.Model.from_config(config)
    per_layer = {}
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        first = layer.input[0] if isinstance(layer.input, (list, tuple)) else layer.input  # merges: same positions
        in_shape = (1,) + tuple(first.shape[1:])
        out_shape = (1,) + tuple(layer.output.shape[1:])
        if any(d is None for d in in_shape + out_shape):
            raise ValueError(
                f"Layer {layer.name!r} has a dynamic shape {layer.input.shape}; pass "
                "`input_shape` with every dimension."
            )
        macs = layer_flops(layer, in_shape, out_shape)
        if macs:
            per_layer[layer.name] = int(macs)
    total = sum(per_layer.values())
    return (total, per_layer) if by_layer else total
