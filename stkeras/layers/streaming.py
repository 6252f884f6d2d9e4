"""The streaming protocol: how a layer runs over a clip one frame at a time.

`stkeras.deploy.to_streaming` turns a causal clip model into a step model
that takes one frame and the previous state. It never branches on class
names: every layer says how it streams, through one small protocol, as the
analysis protocol (`stkeras.analysis.rules`) says how a layer grows a
receptive field.

- `layer.streaming_rule()` returns a `StreamingRule`: whether the layer's
  output at frame `t` reads only frames `<= t` (`looks_ahead` is `None`) or
  why not, and whether its output keeps the time axis.
- A layer that keeps a state between frames (a recurrence, a buffer of the
  last frames) reads and writes it in its own `call` through
  `streaming_state(layer, initial)` and `set_streaming_state(layer, state)`
  while a step runs (`streaming_states(...)` is active); outside a step these
  do nothing and the layer runs over whole clips as always.
- A composite layer (a residual block, a factorized convolution) returns
  `StreamingRule.through(sublayers)`: it mixes frames only through those
  sub-layers, each streamed by its own rule (and keeping its own state).

Keras' own layers cannot carry the method, so this module gives them their
rules in a table keyed by type (`KERAS_RULES`); Keras' recurrent layers, whose
`call` cannot read a state here, get a `step` function that the step model
calls in their place. A layer with no rule is refused, never guessed.

Example:
>>> import keras
>>> streaming_rule(keras.layers.Dense(4)).looks_ahead is None
True
>>> print(streaming_rule(keras.layers.Bidirectional(keras.layers.LSTM(4))).looks_ahead)
it reads the frames backwards too, so its output at a frame depends on every later frame
"""

import contextlib
import dataclasses
import threading
from typing import Callable

import keras
from keras import ops


@dataclasses.dataclass(frozen=True)
class StreamingRule:
    """How one layer runs a frame at a time.

    Attributes:
        looks_ahead: `None` if the layer's output at frame `t` reads only
            input frames `<= t`; else a sentence saying why it reads later
            ones (or why it cannot be streamed).
        keeps_time: whether the output has the input's time axis (`False`:
            one output per clip, e.g. the last frame of a recurrence).
        sublayers: a composite's sub-layers through which it mixes frames.
        step: for a layer whose `call` cannot read a state here (Keras'
            recurrent layers): `step(layer, inputs) -> outputs`, called in
            its place on one frame `(batch, 1, ...)`.
    """

    looks_ahead: str = None
    keeps_time: bool = True
    sublayers: tuple = ()
    step: Callable = None

    @classmethod
    def per_frame(cls):
        """Each output frame reads its own input frame only."""
        return cls()

    @classmethod
    def refuse(cls, reason):
        """The layer reads later frames (or cannot be streamed), for `reason`."""
        return cls(looks_ahead=reason)

    @classmethod
    def through(cls, sublayers, keeps_time=True):
        """A composite that mixes frames only through `sublayers`."""
        return cls(sublayers=tuple(layer for layer in sublayers if layer is not None), keeps_time=keeps_time)


_ACTIVE = threading.local()


class StreamingStates:
    """The states of one streaming step: each stateful layer's tensors, in the order the layers first ran.

    A layer reads its state with `streaming_state(layer, initial)`; a layer
    with none yet (the first step, or a step model finding its states) gets
    `initial()` and its shapes are recorded. It writes its new state once per
    step with `set_streaming_state`.
    """

    def __init__(self, states=None):
        self.order = []  # layers, in the order they first read a state
        self.inputs = dict(states or {})  # id(layer) -> tuple of tensors
        self.outputs = {}
        self.layers = {}

    def read(self, layer, initial):
        key = id(layer)
        if key not in self.layers:
            self.layers[key] = layer
            self.order.append(layer)
        if key not in self.inputs:
            self.inputs[key] = tuple(initial())
        return self.inputs[key]

    def write(self, layer, state):
        key = id(layer)
        if key in self.outputs:
            raise ValueError(f"Layer {layer.path!r} ran twice in one streaming step: a layer called more than once "
                             "per frame cannot keep one state.")
        self.outputs[key] = tuple(state)


@contextlib.contextmanager
def streaming_states(states):
    """Runs a streaming step with `states` (a `StreamingStates`) active in this thread."""
    previous = getattr(_ACTIVE, "states", None)
    _ACTIVE.states = states
    try:
        yield states
    finally:
        _ACTIVE.states = previous


def is_streaming():
    """Whether a streaming step is running (layers then process one frame and keep their state)."""
    return getattr(_ACTIVE, "states", None) is not None


def streaming_state(layer, initial):
    """`layer`'s state in the running streaming step (`initial()` if it has none yet); `None` outside a step."""
    states = getattr(_ACTIVE, "states", None)
    return None if states is None else states.read(layer, initial)


def set_streaming_state(layer, state):
    """Records `layer`'s new state in the running streaming step."""
    _ACTIVE.states.write(layer, state)


# ----------------------------------------------------------------- Keras' own layers
def time_window_rule(kernel_size, strides, what):
    """Per-frame when the window spans one frame and does not stride in time; else it looks ahead."""
    if kernel_size[0] == 1 and strides[0] == 1:
        return StreamingRule.per_frame()
    if kernel_size[0] == 1:
        return StreamingRule.refuse(f"{what} strides {strides[0]} in time, and a step model gives an output at "
                                    "every frame")
    return StreamingRule.refuse(f"{what} spans {kernel_size[0]} frames centred on each frame, so its output at a "
                                "frame reads later frames")


def _rnn_step(layer, inputs):
    """One frame `(batch, 1, features...)` through a Keras recurrent layer's cell, its state carried."""
    frame = inputs[:, 0]
    sizes = layer.cell.state_size if isinstance(layer.cell.state_size, (list, tuple)) else [layer.cell.state_size]

    def initial():
        batch = ops.shape(frame)[0]
        return [ops.zeros((batch, size), frame.dtype) for size in sizes]

    states = list(streaming_state(layer, initial))
    output, new_states = layer.cell(frame, states, training=False)
    new_states = list(new_states) if isinstance(new_states, (list, tuple)) else [new_states]
    set_streaming_state(layer, new_states)
    return ops.expand_dims(output, 1) if layer.return_sequences else output


def _rnn_rule(layer):
    if layer.go_backwards:
        return StreamingRule.refuse("it reads the frames backwards (go_backwards=True), so its output depends on "
                                    "later frames")
    if getattr(layer, "return_state", False):
        return StreamingRule.refuse("it returns its state as an output, which a step model carries itself")
    return StreamingRule(keeps_time=layer.return_sequences, step=_rnn_step)


def _running_pool(reduce):
    """A global pooling over time (and space): a running mean or maximum carried from frame to frame."""

    def step(layer, inputs):
        frame = inputs[:, 0]
        axes = tuple(range(1, len(frame.shape) - 1))  # space, if any
        frame = reduce(frame, axis=axes) if axes else frame
        if reduce is ops.mean:
            total, count = streaming_state(layer, lambda: (ops.zeros_like(frame), ops.zeros_like(frame[:, :1])))
            total, count = total + frame, count + 1.0
            set_streaming_state(layer, (total, count))
            output = total / count
        else:
            (best,) = streaming_state(layer, lambda: (ops.full_like(frame, float("-inf")),))
            output = ops.maximum(best, frame)
            set_streaming_state(layer, (output,))
        if getattr(layer, "keepdims", False):
            output = ops.reshape(output, (-1,) + (1,) * (len(inputs.shape) - 2) + (output.shape[-1],))
        return output

    return lambda layer: (StreamingRule(keeps_time=False, step=step) if layer.data_format == "channels_last"
                          else StreamingRule.refuse("it pools channels-first clips"))


def _reshape_rule(layer):
    target = tuple(layer.target_shape)
    if target and target[0] == -1:
        return StreamingRule.per_frame()
    return StreamingRule.refuse(f"it reshapes the time axis away (target_shape={target}), so its output mixes "
                                "frames")


def _flatten_rule(layer):
    return StreamingRule.refuse("it flattens the frames into one vector, so its output reads every frame of the clip")


def _bidirectional_rule(layer):
    return StreamingRule.refuse("it reads the frames backwards too, so its output at a frame depends on every later "
                                "frame")


def _merge_rule(layer):
    axis = getattr(layer, "axis", -1)
    if axis == 1:
        return StreamingRule.refuse("it concatenates along the time axis")
    return StreamingRule.per_frame()


_PER_FRAME = lambda layer: StreamingRule.per_frame()  # noqa: E731

# Keras' own layer types -> a function of the layer returning its `StreamingRule`.
KERAS_RULES = {
    keras.layers.InputLayer: _PER_FRAME,
    # In inference a batch normalization is a fixed scale and shift per channel.
    keras.layers.BatchNormalization: lambda l: StreamingRule.per_frame() if l.axis != 1 else StreamingRule.refuse(
        "it normalizes each time step with its own statistics (axis=1)"),
    keras.layers.LayerNormalization: lambda l: StreamingRule.per_frame() if all(
        a == -1 or a >= 2 for a in l.axis) else StreamingRule.refuse(f"it normalizes over axes {l.axis}, which may "
                                                                      "include time"),
    keras.layers.Activation: _PER_FRAME,
    keras.layers.ReLU: _PER_FRAME,
    keras.layers.LeakyReLU: _PER_FRAME,
    keras.layers.Softmax: lambda l: StreamingRule.per_frame() if l.axis in (-1,) else StreamingRule.refuse(
        f"it normalizes over axis {l.axis}"),
    keras.layers.Dropout: _PER_FRAME,
    keras.layers.SpatialDropout1D: _PER_FRAME,
    keras.layers.SpatialDropout2D: _PER_FRAME,
    keras.layers.SpatialDropout3D: _PER_FRAME,
    keras.layers.GaussianNoise: _PER_FRAME,
    keras.layers.Rescaling: _PER_FRAME,
    keras.layers.Dense: _PER_FRAME,
    keras.layers.TimeDistributed: _PER_FRAME,
    keras.layers.Add: _merge_rule,
    keras.layers.Average: _merge_rule,
    keras.layers.Maximum: _merge_rule,
    keras.layers.Minimum: _merge_rule,
    keras.layers.Multiply: _merge_rule,
    keras.layers.Subtract: _merge_rule,
    keras.layers.Concatenate: _merge_rule,
    keras.layers.Conv3D: lambda l: time_window_rule(l.kernel_size, l.strides, "its kernel"),
    keras.layers.MaxPooling3D: lambda l: time_window_rule(l.pool_size, l.strides, "its pooling window"),
    keras.layers.AveragePooling3D: lambda l: time_window_rule(l.pool_size, l.strides, "its pooling window"),
    keras.layers.GlobalAveragePooling3D: _running_pool(ops.mean),
    keras.layers.GlobalMaxPooling3D: _running_pool(ops.max),
    keras.layers.GlobalAveragePooling1D: _running_pool(ops.mean),
    keras.layers.GlobalMaxPooling1D: _running_pool(ops.max),
    keras.layers.Reshape: _reshape_rule,
    keras.layers.Flatten: _flatten_rule,
    keras.layers.Bidirectional: _bidirectional_rule,
    keras.layers.LSTM: _rnn_rule,
    keras.layers.GRU: _rnn_rule,
    keras.layers.SimpleRNN: _rnn_rule,
}


def streaming_rule(layer):
    """The `StreamingRule` of `layer`: its own `streaming_rule()` first, then the table of Keras' types.

    A layer that follows neither is refused (`looks_ahead` says it has no
    rule), never guessed.
    """
    if hasattr(layer, "streaming_rule"):
        return layer.streaming_rule()
    for cls in type(layer).__mro__:
        if cls in KERAS_RULES:
            return KERAS_RULES[cls](layer)
    return StreamingRule.refuse(f"it has no streaming rule (a `streaming_rule()` method, see "
                                "stkeras.layers.streaming), so whether it reads later frames is not known")


def first_look_ahead(layer, path=None, top_level=True):
    """`(path, reason)` of the first layer in `layer` (itself or a sub-layer) that reads later frames, else `None`.

    A Keras recurrent layer inside a composite is refused: its `call` runs
    its own loop, which a step cannot give a state.
    """
    path = path or layer.name
    rule = streaming_rule(layer)
    if rule.looks_ahead is not None:
        return path, rule.looks_ahead
    if rule.step is not None and not top_level:
        return path, (f"it is a Keras recurrent layer inside {path.rsplit('/', 1)[0]!r}, and such a layer "
                      "carries a state only where the model calls it directly")
    for sublayer in rule.sublayers:
        found = first_look_ahead(sublayer, f"{path}/{sublayer.name}", top_level=False)
        if found is not None:
            return found
    return None
