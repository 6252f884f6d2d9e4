"""The analysis protocol: how a layer grows a receptive field and what it multiplies.

A layer takes part in `receptive_field` and `count_flops` through one small
protocol, so that the analysis never branches on class names and a layer
written outside stkeras works as soon as it follows it:

- a leaf layer has `grow_receptive_field(field) -> Field` (using the `Field`
  methods `convolve`, `cover`, `last_frame`, `see_all_frames`) and
  `count_macs(input_shape, output_shape) -> int` (multiply-accumulates for one
  sample, shapes with a batch axis of 1);
- a composite layer (residual blocks, factorized ops) has
  `paths(input_shape)`: a tuple of parallel paths, each a tuple of
  `(sub_layer, input_shape, output_shape)`; its field is the largest over the
  paths and its MACs the sum over its distinct sub-layers.

Keras' own layers cannot carry methods, so this module gives them the same two
rules in a table keyed by type (`KERAS_RULES`). A layer with no rule is
unknown: reported as unknown, never guessed.

Example:
>>> import keras
>>> field = Field.of_clip((8, 32, 32))
>>> rule_for(keras.layers.Conv3D(4, 3, strides=(1, 2, 2))).grow(field).rf
(3, 3, 3)
"""

import dataclasses
import math

import keras
import numpy as np

_AXES = ("t", "h", "w")


@dataclasses.dataclass(frozen=True)
class Field:
    """Receptive field of one tensor, per axis `(t, h, w)`; `None` where absent.

    Attributes:
        size: output positions per axis.
        rf: field in input units (frames, pixels) per axis.
        jump: distance between neighbouring positions, in input units.
        recurrent_layers: recurrent layers passed (each sees every frame so far).
    """

    size: tuple
    rf: tuple
    jump: tuple
    recurrent_layers: int = 0

    @classmethod
    def of_clip(cls, sizes):
        """The field of a clip input with `(t, h, w)` positions (any may be None)."""
        return cls(size=tuple(sizes), rf=(1, 1, 1), jump=(1, 1, 1))

    @classmethod
    def of_sequence(cls, frames):
        """The field of a sequence input `(frames, features)`: time only."""
        return cls(size=(frames, None, None), rf=(1, None, None), jump=(1, 1, 1))

    @property
    def all_frames(self):
        """Whether a recurrent layer has seen every frame so far."""
        return self.recurrent_layers > 0

    def _grow(self, i, kernel, stride, dilation, padding):
        if self.size[i] is None and self.rf[i] is None:
            return self
        rf, jump, n = list(self.rf), list(self.jump), list(self.size)
        rf[i] = rf[i] + (kernel - 1) * dilation * jump[i]
        jump[i] = jump[i] * stride
        if n[i] is not None:
            n[i] = -(-n[i] // stride) if padding == "same" else (n[i] - (kernel - 1) * dilation - 1) // stride + 1
        return dataclasses.replace(self, size=tuple(n), rf=tuple(rf), jump=tuple(jump))

    def convolve(self, kernel, strides, dilation=(1, 1, 1), padding="same"):
        """A window of `kernel` taps per axis `(t, h, w)`, with strides and dilation."""
        field = self
        for i, (k, s, d) in enumerate(zip(kernel, strides, dilation)):
            if (k, s) != (1, 1):
                field = field._grow(i, k, s, d, padding)
        return field

    def cover(self, *axes):
        """Global pooling over `axes` (of `"t"`, `"h"`, `"w"`): the union of every position's field."""
        field = self
        for axis in axes:
            i = _AXES.index(axis)
            if field.size[i] is None:
                continue
            rf, n = list(field.rf), list(field.size)
            rf[i] = rf[i] + (n[i] - 1) * field.jump[i]
            n[i] = 1
            field = dataclasses.replace(field, size=tuple(n), rf=tuple(rf))
        return field

    def last_frame(self):
        """Keeps only the last time position (its field is unchanged)."""
        return dataclasses.replace(self, size=(1,) + tuple(self.size[1:]))

    def see_all_frames(self):
        """A recurrent layer: every output position has seen every frame so far."""
        return dataclasses.replace(self, recurrent_layers=self.recurrent_layers + 1)

    def merge(self, other):
        """Two paths added or concatenated: the larger field per axis."""
        return Field(
            size=self.size,
            rf=tuple(None if a is None else max(a, b) for a, b in zip(self.rf, other.rf)),
            jump=self.jump,
            recurrent_layers=max(self.recurrent_layers, other.recurrent_layers),
        )


@dataclasses.dataclass(frozen=True)
class Rule:
    """How one layer grows a field and what it multiplies.

    Attributes:
        grow: `grow(field) -> Field`.
        macs: `macs(input_shape, output_shape) -> int` or `None` (no products).
        composite: the layer has `paths()` (the analysis follows its sub-layers).
    """

    grow: object
    macs: object
    composite: bool = False


def _per_axis(values, rank):
    """A 1D / 2D / 3D layer's per-axis values placed on `(t, h, w)`."""
    values = tuple(values)
    return {1: values + (1, 1), 2: (1,) + values, 3: values}[rank]


def _window(kernel, strides, dilation, padding):
    rank = len(kernel)
    return lambda field: field.convolve(
        _per_axis(kernel, rank), _per_axis(strides, rank), _per_axis(dilation, rank), padding
    )


def _positions(shape):
    """Positions a per-position op visits: all axes but batch and channels."""
    return int(np.prod(shape[1:-1])) if len(shape) > 2 else 1


def _conv_macs(layer):
    def macs(input_shape, output_shape):
        groups = getattr(layer, "groups", 1)
        return _positions(output_shape) * math.prod(layer.kernel_size) * input_shape[-1] // groups * layer.filters
    return macs


def _depthwise_macs(layer):
    return lambda i, o: _positions(o) * o[-1] * math.prod(layer.kernel_size)


def _separable_macs(layer):
    def macs(input_shape, output_shape):
        depthwise = input_shape[-1] * layer.depth_multiplier
        return _positions(output_shape) * depthwise * (math.prod(layer.kernel_size) + layer.filters)
    return macs


def _recurrent_macs(layer, gates):
    return lambda i, o: i[1] * gates * (i[-1] * layer.units + layer.units * layer.units)


def _keras_conv_lstm(layer):
    kernel, strides, dilation = layer.kernel_size, layer.strides, layer.dilation_rate

    def grow(field):
        return field.convolve((1,) + tuple(kernel), (1,) + tuple(strides), (1,) + tuple(dilation),
                              layer.padding).see_all_frames()

    def macs(input_shape, output_shape):
        positions = int(np.prod(output_shape[-3:-1]))
        return input_shape[1] * positions * math.prod(kernel) * 4 * layer.filters * (input_shape[-1] + layer.filters)

    return Rule(grow, macs)


def _time_distributed(layer):
    inner = rule_for(layer.layer)
    if inner is None:
        return None

    def macs(input_shape, output_shape):
        value = inner.macs((1,) + tuple(input_shape[2:]), (1,) + tuple(output_shape[2:])) if inner.macs else None
        return None if value is None else value * input_shape[0] * input_shape[1]

    return Rule(inner.grow, macs)


def _bidirectional(layer):
    inner = rule_for(layer.forward_layer)
    return Rule(lambda f: f.see_all_frames(), lambda i, o: 2 * (inner.macs(i, o) or 0))


_PASS = Rule(lambda field: field, None)

# Keras' own layer types -> a function of the layer returning its `Rule`.
KERAS_RULES = {
    keras.layers.InputLayer: lambda l: _PASS,
    keras.layers.BatchNormalization: lambda l: _PASS,
    keras.layers.LayerNormalization: lambda l: _PASS,
    keras.layers.GroupNormalization: lambda l: _PASS,
    keras.layers.Activation: lambda l: _PASS,
    keras.layers.ReLU: lambda l: _PASS,
    keras.layers.LeakyReLU: lambda l: _PASS,
    keras.layers.Softmax: lambda l: _PASS,
    keras.layers.Dropout: lambda l: _PASS,
    keras.layers.SpatialDropout1D: lambda l: _PASS,
    keras.layers.SpatialDropout2D: lambda l: _PASS,
    keras.layers.SpatialDropout3D: lambda l: _PASS,
    keras.layers.GaussianNoise: lambda l: _PASS,
    keras.layers.Rescaling: lambda l: _PASS,
    keras.layers.Dense: lambda l: Rule(lambda f: f, lambda i, o: _positions(i) * i[-1] * l.units),
    keras.layers.Conv1D: lambda l: Rule(_window(l.kernel_size, l.strides, l.dilation_rate, l.padding), _conv_macs(l)),
    keras.layers.Conv2D: lambda l: Rule(_window(l.kernel_size, l.strides, l.dilation_rate, l.padding), _conv_macs(l)),
    keras.layers.Conv3D: lambda l: Rule(_window(l.kernel_size, l.strides, l.dilation_rate, l.padding), _conv_macs(l)),
    keras.layers.DepthwiseConv2D: lambda l: Rule(
        _window(l.kernel_size, l.strides, l.dilation_rate, l.padding), _depthwise_macs(l)),
    keras.layers.SeparableConv2D: lambda l: Rule(
        _window(l.kernel_size, l.strides, l.dilation_rate, l.padding), _separable_macs(l)),
    keras.layers.MaxPooling1D: lambda l: Rule(_window(l.pool_size, l.strides, (1,), l.padding), None),
    keras.layers.AveragePooling1D: lambda l: Rule(_window(l.pool_size, l.strides, (1,), l.padding), None),
    keras.layers.MaxPooling2D: lambda l: Rule(_window(l.pool_size, l.strides, (1, 1), l.padding), None),
    keras.layers.AveragePooling2D: lambda l: Rule(_window(l.pool_size, l.strides, (1, 1), l.padding), None),
    keras.layers.MaxPooling3D: lambda l: Rule(_window(l.pool_size, l.strides, (1, 1, 1), l.padding), None),
    keras.layers.AveragePooling3D: lambda l: Rule(_window(l.pool_size, l.strides, (1, 1, 1), l.padding), None),
    keras.layers.GlobalAveragePooling1D: lambda l: Rule(lambda f: f.cover("t"), None),
    keras.layers.GlobalMaxPooling1D: lambda l: Rule(lambda f: f.cover("t"), None),
    keras.layers.GlobalAveragePooling2D: lambda l: Rule(lambda f: f.cover("h", "w"), None),
    keras.layers.GlobalMaxPooling2D: lambda l: Rule(lambda f: f.cover("h", "w"), None),
    keras.layers.GlobalAveragePooling3D: lambda l: Rule(lambda f: f.cover("t", "h", "w"), None),
    keras.layers.GlobalMaxPooling3D: lambda l: Rule(lambda f: f.cover("t", "h", "w"), None),
    keras.layers.Flatten: lambda l: Rule(lambda f: f.cover("h", "w"), None),
    keras.layers.LSTM: lambda l: Rule(lambda f: f.see_all_frames(), _recurrent_macs(l, 4)),
    keras.layers.GRU: lambda l: Rule(lambda f: f.see_all_frames(), _recurrent_macs(l, 3)),
    keras.layers.SimpleRNN: lambda l: Rule(lambda f: f.see_all_frames(), _recurrent_macs(l, 1)),
    keras.layers.Bidirectional: _bidirectional,
    keras.layers.ConvLSTM2D: _keras_conv_lstm,
    keras.layers.TimeDistributed: _time_distributed,
}

# Layers that combine several inputs of the same positions.
MERGES = (
    keras.layers.Add, keras.layers.Average, keras.layers.Maximum, keras.layers.Minimum,
    keras.layers.Multiply, keras.layers.Subtract, keras.layers.Concatenate,
)


def rule_for(layer):
    """The analysis `Rule` of `layer`, or `None` if it follows no protocol.

    The layer's own methods come first (`grow_receptive_field` and
    `count_macs`, or `paths`), then the table of Keras' types.
    """
    if hasattr(layer, "grow_receptive_field"):
        macs = getattr(layer, "count_macs", None)
        return Rule(layer.grow_receptive_field, macs)
    if hasattr(layer, "paths"):
        return Rule(None, None, composite=True)
    for cls in type(layer).__mro__:
        if cls in KERAS_RULES:
            return KERAS_RULES[cls](layer)
    return None
