"""Courtney & Sreenivas 2019's bidirectional model as the paper trains it (Section 4.1).

"A bidirectional version of the ResNet based model is created by separately
training a reverse direction network initialized with the already trained
forward direction network. [...] tested together with the forward direction
network." So: train a forward model; `reverse_direction` gives a copy that
reads clips backwards and starts from the forward weights; train it on its
own; `average_directions` averages the two at test time.

`build_res_convlstm(bidirectional=True)` (or `from_preset("lipreading", bidirectional=True)`)
is the alternative: both directions in one model, trained jointly from
scratch.

Example:
>>> import numpy as np
>>> from stkeras.models import ResConvLSTM, build_res_convlstm
>>> forward = build_res_convlstm(stages=[ResConvLSTM(1, 1, 4, 8)], input_shape=(4, 8, 8, 1), num_classes=3,
...                                 lstm_units=4)
>>> backward = reverse_direction(forward)   # then compile and fit it
>>> both = average_directions(forward, backward)
>>> clips = np.random.default_rng(0).uniform(size=(2, 4, 8, 8, 1)).astype("float32")
>>> both.predict(clips, verbose=0).shape
(2, 3)
"""

import keras

from stkeras.layers.time_reverse import TimeReverse


def _check_model(argument, model):
    if not isinstance(model, keras.Model) or len(getattr(model, "inputs", None) or ()) != 1:
        raise TypeError(f"`{argument}` must be a functional Keras model with one input (clips). "
                        f"Received: {argument}={model!r}")
    if len(model.inputs[0].shape) != 5:
        raise ValueError(f"`{argument}` must take clips (batch, frames, height, width, channels). Received: "
                         f"input shape {tuple(model.inputs[0].shape)}")
    if len(model.outputs) != 1:
        raise ValueError(f"`{argument}` must have one output. Received: {len(model.outputs)} outputs")


def reverse_direction(forward, *, name=None):
    """A network that reads clips from the last frame to the first, initialized with `forward`'s weights.

    The copy has the same architecture and its own weights, so training it
    leaves `forward` as it is. Per-frame outputs `(batch, frames, ...)` are
    put back in the clip's order, so the two directions' outputs align.

    Args:
        forward: the trained forward-direction model (functional, one clip
            input, one output).
        name: the new model's name (default: `<forward>_reverse`).

    Returns:
        an uncompiled `keras.Model` over clips.
    """
    _check_model("forward", forward)
    config = forward.get_config()
    config["name"] = f"{forward.name}_backward"
    core = forward.__class__.from_config(config)
    core.set_weights(forward.get_weights())
    clips = keras.Input(shape=tuple(forward.inputs[0].shape[1:]), name="clips")
    outputs = core(TimeReverse(name="reverse_clips")(clips))
    if len(outputs.shape) == 3:  # per-frame outputs: back in the clip's order
        outputs = TimeReverse(name="reverse_outputs")(outputs)
    return keras.Model(clips, outputs, name=name or f"{forward.name}_reverse")


def average_directions(forward, backward, *, name=None):
    """The forward and the reverse-direction networks tested together: their outputs averaged.

    Args:
        forward: the forward-direction model.
        backward: the reverse-direction model from `reverse_direction`
            (trained separately).
        name: the new model's name (default: `<forward>_bidirectional`).

    Returns:
        an uncompiled `keras.Model` sharing both models' layers.
    """
    _check_model("forward", forward)
    _check_model("backward", backward)
    if tuple(forward.inputs[0].shape[1:]) != tuple(backward.inputs[0].shape[1:]) or tuple(
            forward.outputs[0].shape[1:]) != tuple(backward.outputs[0].shape[1:]):
        raise ValueError(
            "`forward` and `backward` must take the same clips and give the same outputs. Received: "
            f"{tuple(forward.inputs[0].shape)} -> {tuple(forward.outputs[0].shape)} and "
            f"{tuple(backward.inputs[0].shape)} -> {tuple(backward.outputs[0].shape)}")
    if forward.name == backward.name:
        raise ValueError(f"`forward` and `backward` must have different names. Received: {forward.name!r} twice")
    clips = keras.Input(shape=tuple(forward.inputs[0].shape[1:]), name="clips")
    outputs = keras.layers.Average(name="predictions")([forward(clips), backward(clips)])
    return keras.Model(clips, outputs, name=name or f"{forward.name}_bidirectional")
