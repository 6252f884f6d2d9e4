"""The model an artifact holds: uint8 RGB frames in, the preprocessing inside, the task's outputs out."""

import keras

from stkeras.deploy.frame_preprocessing import FramePreprocessing
from stkeras.deploy.frame_preprocessing import preprocessing_config
from stkeras.deploy.streaming import StreamingModel
from stkeras.validation import check_positive_int
from stkeras.validation import normalize_tuple


def _unrolled_config(config):
    """A recurrent layer's config with `unroll=True` (and a wrapped one's), or `None` if it has no `unroll`."""
    changed = False
    if "unroll" in config and config["unroll"] is not True:
        config["unroll"], changed = True, True
    for key in ("layer", "backward_layer"):
        inner = config.get(key)
        if isinstance(inner, dict) and "unroll" in inner.get("config", {}) and inner["config"]["unroll"] is not True:
            inner["config"]["unroll"], changed = True, True
    return config if changed else None


def unrolled(model, frames=None):
    """`model` with its recurrent layers unrolled over a known number of frames (same weights): a graph without loops.

    Keras' `LSTM`, `GRU` and `SimpleRNN` run a `while` loop over a list of
    tensors, which LiteRT's built-in ops and OpenVINO's converter do not
    hold; unrolled over a known number of frames they are plain ops (as
    stkeras' `ConvLSTM2D` is when it knows them). A model without such
    layers is returned as it is.

    Args:
        model: a functional model over clips.
        frames: the number of frames, for a model built for any number.

    Example:
    >>> inputs = keras.Input((3, 2))
    >>> model = keras.Model(inputs, keras.layers.LSTM(4, name="lstm")(inputs))
    >>> unrolled(model).get_layer("lstm").unroll
    True
    """
    pairs = []

    def clone(layer):
        config = _unrolled_config(layer.get_config())
        if config is None:
            return layer
        copy = type(layer).from_config(config)
        pairs.append((layer, copy))
        return copy

    if not any(_unrolled_config(layer.get_config()) is not None for layer in model.layers):
        return model
    shape = tuple(model.inputs[0].shape[1:])
    inputs = None
    if shape[0] is None:
        if frames is None:
            raise ValueError(f"Model {model.name!r} takes any number of frames: give `frames` to unroll it over.")
        inputs = keras.Input((frames, *shape[1:]), dtype=model.inputs[0].dtype)
    copy = keras.models.clone_model(model, input_tensors=inputs, clone_function=clone)
    for layer, twin in pairs:
        twin.set_weights(layer.get_weights())
    return copy


def _frame_size(frame_size, model_size):
    if frame_size is None:
        return tuple(model_size)
    return tuple(check_positive_int("frame_size", size) for size in normalize_tuple(frame_size, 2, "frame_size"))


def deployable_model(model, *, preprocessing=None, frame_size=None, frames=None):
    """`model` behind its preprocessing: uint8 RGB frames in, the model's outputs out.

    For a clip model the input is `(batch, frames, height, width, 3)`; for a
    `StreamingModel` it is one frame `(batch, height, width, 3)` and the
    states, and the outputs are followed by the new states.

    Args:
        model: a clip model or a `StreamingModel`.
        preprocessing: the model's preprocessing (see `FramePreprocessing.for_model`).
        frame_size: `(height, width)` of the frames the artifact takes;
            other sizes than the model's are resized and centre-cropped
            inside. Default: the model's frame size.
        frames: frames per clip, for a model whose number of frames is not
            fixed (default: the model's, else the preprocessing's `frames`).

    Returns:
        a functional `keras.Model` (no Lambda layers; it saves and loads
        with `safe_mode=True`).
    """
    streaming = isinstance(model, StreamingModel)
    clip_model = model.clip_model if streaming else model
    shape = tuple(clip_model.inputs[0].shape[1:])
    if None in shape[1:]:
        raise ValueError(f"Model {clip_model.name!r} has no fixed frame size: input shape {shape}.")
    size = _frame_size(frame_size, shape[1:3])
    preprocess = FramePreprocessing.for_model(clip_model, preprocessing)
    if streaming:
        frame = keras.Input((*size, 3), dtype="uint8", name="frame")
        states = [keras.Input(spec_shape, dtype=dtype, name=f"state_{i}")
                  for i, (_, spec_shape, dtype) in enumerate(model.state_specs)]
        clip = keras.layers.Reshape((1, *size, 3), name="one_frame")(frame)
        image = keras.layers.Reshape(shape[1:], name="frame_input")(preprocess(clip))
        outputs = model([image, *states])
        names = [f"output_{i}" for i in range(model.num_outputs)] + [f"new_state_{i}" for i in range(len(states))]
        outputs = [keras.layers.Identity(name=name)(output) for name, output in zip(names, outputs)]
        return keras.Model([frame, *states], outputs, name=f"{model.name}_deployed")
    count = shape[0] or frames or preprocessing_config(preprocessing).get("frames")
    if count is None:
        raise ValueError(f"Model {clip_model.name!r} takes any number of frames: give `frames`, the number the "
                         "artifact takes.")
    check_positive_int("frames", count)
    if shape[0] is not None and frames is not None and frames != shape[0]:
        raise ValueError(f"Model {clip_model.name!r} takes {shape[0]} frames. Received: frames={frames!r}")
    clips = keras.Input((count, *size, 3), dtype="uint8", name="frames")
    outputs = unrolled(clip_model, count)(preprocess(clips))
    return keras.Model(clips, outputs, name=f"{clip_model.name}_deployed")
