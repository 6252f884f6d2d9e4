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
(`"atoms"`); rank-1 layers count their two convolutions.
"""

import math

import keras
import numpy as np

from stkeras.layers.conv_lstm import ConvLSTM2D


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


def _positions(shape):
    """Number of positions a per-position op visits: all but batch and channels."""
    return int(np.prod([d for d in shape[1:-1]])) if len(shape) > 2 else 1


def layer_flops(layer, input_shape, output_shape):
    """MACs of one layer for one sample; `None` for layers without products.

    Args:
        layer: a Keras layer.
        input_shape, output_shape: shapes including the batch axis.
    """
    name = type(layer).__name__
    if isinstance(layer, ConvLSTM2D) or name == "ConvLSTM2D":
        frames = input_shape[1]
        out_positions = int(np.prod(output_shape[-3:-1])) if layer.data_format == "channels_last" else int(np.prod(output_shape[-2:]))
        k = int(np.prod(layer.kernel_size))
        channels = input_shape[-1] if layer.data_format == "channels_last" else input_shape[2]
        return frames * out_positions * k * 4 * layer.filters * (channels + layer.filters)
    if hasattr(layer, "paths"):
        # Blocks and factorized ops: each distinct sub-layer once (P3D-C's
        # spatial convolution sits on two paths but runs once).
        seen = {}
        for path in layer.paths(input_shape).values():
            for sub, sub_in, sub_out in path:
                seen.setdefault(id(sub), (sub, sub_in, sub_out))
        return sum(layer_flops(sub, i, o) or 0 for sub, i, o in seen.values())
    if isinstance(layer, keras.layers.TimeDistributed):
        inner_in = (1,) + tuple(input_shape[2:])
        inner_out = (1,) + tuple(output_shape[2:])
        inner = layer_flops(layer.layer, inner_in, inner_out)
        return None if inner is None else inner * input_shape[0] * input_shape[1]
    if isinstance(layer, keras.layers.Bidirectional):
        return (layer_flops(layer.forward_layer, input_shape, output_shape) or 0) * 2
    if name == "STDCFConv3D":
        t, kh, kw = layer.kernel_size
        c_in, c_out = input_shape[-1], layer.filters
        m, n = layer.num_spatial_atoms, layer.num_temporal_atoms
        out_t, out_h, out_w = output_shape[1:4]
        if layer.implementation == "atoms":
            spatial = input_shape[1] * out_h * out_w * c_in * m * kh * kw
            temporal = out_t * out_h * out_w * c_in * m * n * t
            return spatial + temporal + out_t * out_h * out_w * c_in * m * n * c_out
        rebuild = c_in * c_out * m * n * t * kh * kw
        return rebuild + out_t * out_h * out_w * t * kh * kw * c_in * c_out
    if name == "Rank1Conv3D":
        t, kh, kw = layer.kernel_size
        c_in, c_out = input_shape[-1], layer.filters
        out_t, out_h, out_w = output_shape[1:4]
        return input_shape[1] * out_h * out_w * kh * kw * c_in * c_out + out_t * out_h * out_w * t * c_out * c_out
    if name in ("Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose"):
        channels_in = input_shape[-1]
        groups = getattr(layer, "groups", 1)
        return _positions(output_shape) * math.prod(layer.kernel_size) * channels_in // groups * layer.filters
    if name in ("DepthwiseConv1D", "DepthwiseConv2D"):
        return _positions(output_shape) * output_shape[-1] * math.prod(layer.kernel_size)
    if name in ("SeparableConv1D", "SeparableConv2D"):
        channels_in = input_shape[-1]
        depthwise = _positions(output_shape) * channels_in * layer.depth_multiplier * math.prod(layer.kernel_size)
        pointwise = _positions(output_shape) * channels_in * layer.depth_multiplier * layer.filters
        return depthwise + pointwise
    if name == "Dense":
        return _positions(input_shape) * input_shape[-1] * layer.units
    if name in ("LSTM", "GRU", "SimpleRNN"):
        gates = {"LSTM": 4, "GRU": 3, "SimpleRNN": 1}[name]
        units = layer.units
        return input_shape[1] * gates * (input_shape[-1] * units + units * units)
    return None


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
        in_shape = (1,) + tuple(layer.input.shape[1:])
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
