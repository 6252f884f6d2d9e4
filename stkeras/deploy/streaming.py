"""Streaming: a causal clip model run one frame at a time, its state carried from frame to frame.

`to_streaming(model)` walks the clip model's functional graph and asks every
layer how it streams (`stkeras.layers.streaming`): per frame, with a state
(a recurrence's hidden and cell maps, a causal convolution's last frames, a
running mean), or not at all, because its output at a frame reads later
frames. The step model runs the clip model's own layers (the same weights) on
one frame and gives, at every frame, what the clip model gives there: its
per-frame outputs, or, for a model with one output per clip, its output on
the clip that ends at that frame.
"""

import keras
import numpy as np
from keras import ops

from stkeras.layers.streaming import StreamingStates
from stkeras.layers.streaming import first_look_ahead
from stkeras.layers.streaming import streaming_rule
from stkeras.layers.streaming import streaming_states


class NotCausalError(ValueError):
    """A model that cannot run frame by frame: the message names the layer that reads later frames and why."""


def _as_list(value):
    return list(value) if isinstance(value, (list, tuple)) else [value]


def streaming_plan(model):
    """`[(layer, rule or None)]` in graph order, and whether each model output keeps the time axis.

    Raises:
        NotCausalError: naming the first layer (or sub-layer) whose output
            at a frame reads later frames, and why.
    """
    if not isinstance(model, keras.Model) or not hasattr(model, "_operations") or len(model.inputs) != 1:
        raise ValueError(f"`to_streaming` takes a functional model with one clip input. Received: {model!r}")
    if len(model.inputs[0].shape) != 5:
        raise ValueError(f"`to_streaming` takes a model over clips (batch, frames, height, width, channels). "
                         f"Received: input shape {tuple(model.inputs[0].shape)}")
    timed = {id(model.inputs[0]): True}
    plan = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        inputs = _as_list(layer.input)
        with_time = any(timed.get(id(t), False) for t in inputs)
        rule = None
        if with_time:
            found = first_look_ahead(layer)
            if found is not None:
                path, reason = found
                raise NotCausalError(f"Model {model.name!r} cannot run frame by frame: layer {path!r} "
                                     f"({type(_sublayer(layer, path)).__name__}): {reason}.")
            rule = streaming_rule(layer)
        for tensor in _as_list(layer.output):
            timed[id(tensor)] = with_time and rule.keeps_time
        plan.append((layer, rule))
    return plan, [timed[id(t)] for t in model.outputs]


class _Untracked:
    """Attributes Keras' tracking leaves alone (the plan holds the clip model's layers, tracked there)."""

    def __init__(self, **values):
        self.__dict__.update(values)


def _state_name(layer):
    """A state's name prefix: the layer's path (`res1_1.op`)."""
    return (layer.path or layer.name).replace("/", ".")


def _sublayer(layer, path):
    """The (sub-)layer at `path` (`block/op`) under `layer`."""
    for name in path.split("/")[1:]:
        layer = next(sub for sub in streaming_rule(layer).sublayers if sub.name == name)
    return layer


@keras.saving.register_keras_serializable(package="stkeras")
class StreamingModel(keras.Model):
    """A causal clip model as a step model: one frame and the previous state in, the frame's outputs and the new state out.

    Built by `to_streaming(model)`. It shares the clip model's layers and
    weights. Its inputs are `[frame, *states]`, a frame `(batch, height,
    width, channels)` and the states `state_specs` lists (zeros at the start
    of a clip: `initial_state(batch_size)`); its outputs are `[*outputs,
    *new_states]`, where `outputs` are the clip model's outputs at this
    frame: a per-frame output's frame, or a per-clip output on the frames so
    far.

    Args:
        model: the clip model (functional, one clip input).

    Example:
    >>> import numpy as np
    >>> from stkeras.models import build_convlstm_resnet
    >>> clip_model = build_convlstm_resnet(input_shape=(4, 16, 16, 1), num_classes=3, width_multiplier=0.25)
    >>> step = StreamingModel(clip_model)
    >>> clips = np.random.default_rng(0).random((1, 4, 16, 16, 1), "float32")
    >>> outputs, states = step.stream(clips)
    >>> bool(np.allclose(outputs[:, -1], clip_model(clips), atol=1e-5))
    True
    """

    def __init__(self, model, **kwargs):
        kwargs.setdefault("name", f"{model.name}_streaming")
        super().__init__(**kwargs)
        plan, keep_time = streaming_plan(model)
        self._plan = _Untracked(steps=plan, outputs_keep_time=keep_time, state_layers=[], state_specs=[])
        self.clip_model = model
        self.frame_shape = tuple(model.inputs[0].shape[2:])
        if None in self.frame_shape:
            raise ValueError(f"`to_streaming` needs the frame size of model {model.name!r}. Received: input shape "
                             f"{tuple(model.inputs[0].shape)}")
        self._find_states()

    def _find_states(self):
        """Runs one frame with no state: each stateful layer makes its zeros, which give the states' specs."""
        states = StreamingStates()
        self._step(ops.zeros((1, *self.frame_shape), self.clip_model.inputs[0].dtype), states)
        self._plan.state_layers = list(states.order)
        self._plan.state_specs = []
        for layer in self.state_layers:
            for i, tensor in enumerate(states.inputs[id(layer)]):
                self._plan.state_specs.append((f"{_state_name(layer)}.{i}", tuple(tensor.shape[1:]),
                                         keras.backend.standardize_dtype(tensor.dtype)))

    def _step(self, frame, states):
        values = {id(self.clip_model.inputs[0]): ops.expand_dims(frame, 1)}
        with streaming_states(states):
            for layer, rule in self._plan.steps:
                arguments = layer.input
                inputs = [values[id(t)] for t in _as_list(arguments)]
                inputs = inputs if isinstance(arguments, (list, tuple)) else inputs[0]
                if rule is not None and rule.step is not None:
                    outputs = rule.step(layer, inputs)
                else:
                    outputs = layer(inputs, training=False)
                for tensor, value in zip(_as_list(layer.output), _as_list(outputs)):
                    values[id(tensor)] = value
        outputs = []
        for tensor, keeps_time in zip(self.clip_model.outputs, self._plan.outputs_keep_time):
            value = values[id(tensor)]
            outputs.append(value[:, 0] if keeps_time else value)
        return outputs

    def call(self, inputs, training=False):
        """`[frame, *states]` to `[*outputs, *new_states]` (see the class)."""
        inputs = _as_list(inputs)
        frame, flat = inputs[0], inputs[1:]
        if len(flat) != len(self.state_specs):
            raise ValueError(f"{self.name!r} takes a frame and {len(self.state_specs)} states. Received "
                             f"{len(flat)} states.")
        given, start = {}, 0
        for layer in self.state_layers:
            count = sum(1 for name, *_ in self.state_specs if name.startswith(f"{_state_name(layer)}."))
            given[id(layer)] = tuple(flat[start:start + count])
            start += count
        states = StreamingStates(given)
        outputs = self._step(frame, states)
        missing = [layer.path for layer in self.state_layers if id(layer) not in states.outputs]
        if missing:
            raise ValueError(f"Layers {missing} kept no state in this step.")
        new_states = [tensor for layer in self.state_layers for tensor in states.outputs[id(layer)]]
        return outputs + new_states

    @property
    def state_layers(self):
        """The layers that keep a state, in the order they run."""
        return self._plan.state_layers

    @property
    def state_specs(self):
        """`[(name, shape without the batch axis, dtype)]` of the states, in input order."""
        return self._plan.state_specs

    @property
    def outputs_keep_time(self):
        """For each clip-model output: whether it is per frame (`True`) or per clip."""
        return self._plan.outputs_keep_time

    @property
    def num_outputs(self):
        """How many of the step's outputs are the clip model's (the rest are the new states)."""
        return len(self.clip_model.outputs)

    def initial_state(self, batch_size=1):
        """The states at the start of a clip: zeros, a list of NumPy arrays in `state_specs` order."""
        return [np.zeros((batch_size, *shape), dtype) for _, shape, dtype in self.state_specs]

    def stream(self, frames, states=None):
        """Runs the step model over `frames` `(batch, time, height, width, channels)`, frame by frame.

        Args:
            frames: clips (NumPy).
            states: the states to start from (default: `initial_state`).

        Returns:
            `(outputs, states)`: the first model output at every frame
            `(batch, time, ...)` (NumPy) and the last states.
        """
        frames = np.asarray(frames)
        states = self.initial_state(len(frames)) if states is None else list(states)
        outputs = []
        for t in range(frames.shape[1]):
            results = self.predict_on_batch([frames[:, t], *states])
            results = _as_list(results)
            outputs.append(np.asarray(results[0]))
            states = [np.asarray(s) for s in results[self.num_outputs:]]
        return np.stack(outputs, axis=1), states

    def compute_output_spec(self, inputs, training=False):
        inputs = _as_list(inputs)
        batch = inputs[0].shape[0]
        outputs = []
        for tensor, keeps_time in zip(self.clip_model.outputs, self._plan.outputs_keep_time):
            shape = tuple(tensor.shape)
            outputs.append(keras.KerasTensor((batch, *shape[2:]) if keeps_time else (batch, *shape[1:]),
                                             dtype=tensor.dtype))
        return outputs + [keras.KerasTensor((batch, *shape), dtype=dtype) for _, shape, dtype in self.state_specs]

    def get_config(self):
        return {"name": self.name, "model": keras.saving.serialize_keras_object(self.clip_model)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        return cls(keras.saving.deserialize_keras_object(config.pop("model")), **config)


def to_streaming(model):
    """A causal clip model as a `StreamingModel`: one frame and the previous state in, that frame's outputs out.

    Causal networks stream: Courtney & Sreenivas 2022's ConvLSTM ResNet and
    Conv2D + LSTM, Courtney & Sreenivas 2019's ResNet ConvLSTM and VGG-M
    ConvLSTM, Köpüklü et al.'s frame models with a recurrent (or averaging)
    head, and 3D-convolution networks built with `temporal_padding="causal"`
    (their temporal kernels then keep the last frames as a state, as
    MoViNet's stream buffers).

    Args:
        model: a functional clip model with one input.

    Returns:
        a `StreamingModel` sharing `model`'s layers and weights.

    Raises:
        NotCausalError: (a `ValueError`) naming the first layer whose output
            at a frame reads later frames (a centred temporal kernel, a
            bidirectional recurrence, a head over the whole clip) and why.

    Example:
    >>> from stkeras.models import build_courtney_resnet
    >>> model = build_courtney_resnet(op="conv3d", input_shape=(4, 16, 16, 1), num_classes=3,
    ...                               op_options={"temporal_padding": "causal"}, width_multiplier=0.25)
    >>> [name for name, shape, dtype in to_streaming(model).state_specs][:2]
    ['res1_1.op.0', 'res2_1.op.0']
    """
    return StreamingModel(model)
