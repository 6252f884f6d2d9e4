"""Truncated backpropagation through time (TBPTT) for recurrent video networks (Courtney & Sreenivas 2019, Section 4.1).

Each batch of sequences is cut into chunks of `chunk_length` frames. The
chunks run one after the other with every recurrent layer's states (the
hidden and cell states of each ConvLSTM, the shortcut ConvLSTMs included,
and of each LSTM) carried from one chunk into the next as constants, so the
forward pass is the full sequence's while gradients stop at chunk
boundaries. The gradients of all chunks are added up and the optimizer
makes one update per batch of sequences. States start at zero for every
batch. Memory grows with `chunk_length`, not with the number of frames.

The loss of a sequence is the one Keras' `fit` would compute:
- per-frame outputs `(batch, frames, units)` (e.g. `per_frame=True`):
  each chunk's loss is weighted by its share of the frames, so the total is
  the mean over all frames and `chunk_length >= frames` gives exactly the
  gradient of ordinary (full) backpropagation;
- one output per clip `(batch, units)`: the loss is taken on the output
  after the last chunk, and its gradient reaches back only through the last
  chunk (the earlier chunks only bring the states forward).

Layers other than the recurrent ones see one chunk at a time: batch
normalization uses each chunk's statistics in training, and a dropout mask
"shared by every frame" is drawn again for every chunk, as in a chunked
PyTorch loop such as the paper's. TBPTT is meant for networks whose only
memory is recurrent, such as the ConvLSTM networks: 3D convolutions and
pooling over several frames, backward-reading layers and ConvLSTMs with a
`state_reset_period` are refused.

TensorFlow backend only: the chunks' gradients are taken with `tf.GradientTape`.
"""

import keras
import numpy as np

from stkeras.backend_support import require_tensorflow
from stkeras.layers.conv_lstm import ConvLSTM2D
from stkeras.layers.time_reverse import TimeReverse
from stkeras.validation import check_positive_int


def recurrent_layers(model):
    """The recurrent layers of `model` whose states TBPTT carries, nested ones included, in creation order.

    stkeras' `ConvLSTM2D` and Keras' recurrent layers (`LSTM`, `GRU`,
    `SimpleRNN`, `keras.layers.ConvLSTM2D`, any `keras.layers.RNN`).

    Args:
        model: a Keras model.

    Returns:
        a list of layers.

    Raises:
        ValueError: if a layer reads time backwards (`go_backwards=True`,
            `Bidirectional`, `TimeReverse`): a backward pass over a chunk
            cannot carry its state to the next chunk; if a ConvLSTM resets
            its states (`state_reset_period`); if a 3D convolution or
            pooling spans or strides over frames; or if there is no
            recurrent layer.

    Example:
    >>> from stkeras.models import build_res_convlstm
    >>> model = build_res_convlstm(stages=[(1, 1, 4, 8)], input_shape=(None, 8, 8, 1), num_classes=2, lstm_units=4)
    >>> [layer.name for layer in recurrent_layers(model)]
    ['projection', 'op', 'lstm']
    """
    layers = model._flatten_layers(include_self=False, recursive=True)
    found = []
    for layer in layers:
        if isinstance(layer, (keras.layers.Bidirectional, TimeReverse)) or getattr(layer, "go_backwards", False):
            raise ValueError(
                f"Truncated backpropagation through time carries states forward in time; layer {layer.name!r} "
                f"({type(layer).__name__}) reads the frames backwards. Train a forward-reading network instead: for "
                "a copy from `stkeras.training.reverse_direction`, its inner network (the layer named "
                "'<forward name>_backward') on clips and targets reversed in time."
            )
        if _mixes_frames(layer):
            raise ValueError(
                f"Layer {layer.name!r} ({type(layer).__name__}) mixes neighbouring frames: cut into chunks, it "
                "would not see across chunk boundaries, and the chunks' outputs would not be the whole sequence's. "
                "Truncated backpropagation through time carries only the states of recurrent layers.")
        if getattr(layer, "state_reset_period", None) is not None:
            raise ValueError(
                f"Layer {layer.name!r} resets its states every {layer.state_reset_period} frames, counted from "
                "the first frame of each call: with chunks it would reset at other frames than on the whole "
                "sequence. Truncated backpropagation through time needs state_reset_period=None.")
        if isinstance(layer, (ConvLSTM2D, keras.layers.RNN)):
            found.append(layer)
    if not found:
        raise ValueError(f"Model {model.name!r} has no recurrent layer (ConvLSTM2D, LSTM, GRU, SimpleRNN): "
                         "truncated backpropagation through time has no state to carry.")
    return found


def _mixes_frames(layer):
    """Whether a 3D convolution or pooling layer spans or strides over more than one frame."""
    if isinstance(layer, keras.layers.Conv3D):
        return layer.kernel_size[0] > 1 or layer.strides[0] > 1
    if isinstance(layer, (keras.layers.MaxPooling3D, keras.layers.AveragePooling3D)):
        return layer.pool_size[0] > 1 or layer.strides[0] > 1
    return False


class _CarriedStates:
    """Makes the recurrent layers read their initial states from, and write their last states to, variables.

    This is the layers' own `stateful` mode, switched on for one batch size
    at a time and switched off again by `restore()`: the model keeps its
    weights and its config. Variables are read as constants, so the
    gradient of one chunk stops at the states the previous chunk left.
    """

    def __init__(self, layers):
        self.layers = layers
        self.saved = [self._attributes(layer) for layer in layers]
        self.by_batch = {}

    @staticmethod
    def _attributes(layer):
        if isinstance(layer, ConvLSTM2D):
            return {"stateful": layer.stateful, "_state_variables": layer._state_variables}
        return {"stateful": layer.stateful, "states": layer.states,
                "_expected_batch_size": getattr(layer, "_expected_batch_size", None)}

    @staticmethod
    def _zeros(layer, batch_size):
        if isinstance(layer, ConvLSTM2D):
            # The layer's internal (channels-last) state layout, as its own stateful mode keeps it.
            return [np.zeros((batch_size,) + tuple(layer._out_spatial) + (layer.filters,), "float32")] * 2
        return [keras.ops.convert_to_numpy(s) for s in layer.get_initial_state(batch_size)]

    def use(self, batch_size):
        """Switches the layers to the state variables of `batch_size` (created at the first use), set to zero."""
        if batch_size not in self.by_batch:
            self.by_batch[batch_size] = [
                [keras.Variable(zeros, trainable=False, name=f"{layer.name}_tbptt_state")
                 for zeros in self._zeros(layer, batch_size)]
                for layer in self.layers]
        for layer, variables in zip(self.layers, self.by_batch[batch_size]):
            for variable in variables:
                variable.assign(keras.ops.zeros_like(variable.value))
            layer.stateful = True
            if isinstance(layer, ConvLSTM2D):
                object.__setattr__(layer, "_state_variables", variables)  # untracked: not weights
            else:
                object.__setattr__(layer, "states", variables)
                object.__setattr__(layer, "_expected_batch_size", batch_size)

    def restore(self):
        for layer, attributes in zip(self.layers, self.saved):
            for name, value in attributes.items():
                object.__setattr__(layer, name, value)


class _Chunks:
    """Runs one model over the chunks of batches with carried states; shared by `tbptt_step`,
    `tbptt_fit` and `predict_in_chunks`."""

    def __init__(self, model, chunk_length):
        require_tensorflow("truncated backpropagation through time")
        import tensorflow as tf

        if not isinstance(model, keras.Model) or len(model.inputs or []) != 1 or len(model.outputs or []) != 1:
            raise TypeError(f"`model` must be a functional Keras model with one clip input and one output. "
                            f"Received: model={model!r}")
        self.tf = tf
        self.model = model
        self.chunk_length = check_positive_int("chunk_length", chunk_length)
        if len(model.input.shape) < 3:
            raise ValueError(f"`model` must take sequences (batch, frames, ...). Received input shape "
                             f"{tuple(model.input.shape)}")
        self.fixed_frames = model.input.shape[1]
        output_rank = len(model.output.shape)
        if output_rank not in (2, 3):
            raise ValueError(f"`model` must output (batch, frames, units) or (batch, units). Received output shape "
                             f"{tuple(model.output.shape)}")
        self.per_frame = output_rank == 3
        self.states = _CarriedStates(recurrent_layers(model))
        self.functions = {}

    def bounds(self, frames):
        """`(start, stop)` of each chunk of a sequence of `frames` frames."""
        bounds = [(start, min(start + self.chunk_length, frames)) for start in range(0, frames, self.chunk_length)]
        if self.fixed_frames is not None and any(stop - start != self.fixed_frames for start, stop in bounds):
            raise ValueError(
                f"`model` takes exactly {self.fixed_frames} frames, but chunk_length={self.chunk_length} cuts "
                f"sequences of {frames} frames into chunks of {[stop - start for start, stop in bounds]} frames. "
                "Build the model with a free number of frames, input_shape=(None, height, width, channels).")
        return bounds

    def function(self, name, batch_size):
        """The traced function `name` for one batch size (one set of state variables each)."""
        key = (name, batch_size)
        if key not in self.functions:
            model, tf = self.model, self.tf

            def forward(clips):
                return model(clips, training=True)

            def gradients(clips, targets, weight):
                with tf.GradientTape() as tape:
                    outputs = model(clips, training=True)
                    loss = model.compute_loss(x=clips, y=targets, y_pred=outputs, training=True)
                    # A LossScaleOptimizer (mixed precision) scales the loss and unscales the gradients.
                    weighted = model.optimizer.scale_loss(loss * weight)
                return loss, tape.gradient(weighted, model.trainable_variables)

            def predict(clips):
                return model(clips, training=False)

            self.functions[key] = tf.function({"forward": forward, "gradients": gradients, "predict": predict}[name])
        return self.functions[key]

    def step(self, clips, targets):
        """One update from one batch of sequences; returns the sequence loss (a float)."""
        model, tf = self.model, self.tf
        clips = tf.convert_to_tensor(clips)
        targets = tf.convert_to_tensor(targets)
        frames, batch_size = int(clips.shape[1]), int(clips.shape[0])
        if self.per_frame and (len(targets.shape) < 2 or targets.shape[1] != frames):
            raise ValueError(
                f"`model` outputs one prediction per frame, so the targets need one per frame: shape (batch, "
                f"{frames}, ...). Received targets of shape {tuple(targets.shape)} for clips of shape "
                f"{tuple(clips.shape)}. `stkeras.data.per_frame_targets` repeats a clip's label at every frame.")
        bounds = self.bounds(frames)
        sums, loss = None, 0.0
        self.states.use(batch_size)
        try:
            for index, (start, stop) in enumerate(bounds):
                chunk = clips[:, start:stop]
                if not self.per_frame and index < len(bounds) - 1:
                    self.function("forward", batch_size)(chunk)
                    continue
                weight = (stop - start) / frames if self.per_frame else 1.0
                chunk_targets = targets[:, start:stop] if self.per_frame else targets
                chunk_loss, grads = self.function("gradients", batch_size)(chunk, chunk_targets,
                                                                           tf.constant(weight, "float32"))
                loss += float(chunk_loss) * weight
                sums = list(grads) if sums is None else [
                    g if s is None else s if g is None else s + g for s, g in zip(sums, grads)]
        finally:
            self.states.restore()
        pairs = [(g, v) for g, v in zip(sums, model.trainable_variables) if g is not None]
        model.optimizer.apply_gradients(pairs)
        return loss

    def predict(self, clips):
        tf = self.tf
        clips = tf.convert_to_tensor(clips)
        batch_size = int(clips.shape[0])
        outputs = []
        self.states.use(batch_size)
        try:
            for start, stop in self.bounds(int(clips.shape[1])):
                outputs.append(self.function("predict", batch_size)(clips[:, start:stop]).numpy())
        finally:
            self.states.restore()
        return np.concatenate(outputs, axis=1) if self.per_frame else outputs[-1]


def _check_compiled(model):
    if getattr(model, "optimizer", None) is None:
        raise ValueError("Compile the model before truncated backpropagation through time: its optimizer and loss "
                         "are used (e.g. `compile_for_task(model, task)` or `model.compile(optimizer, loss)`).")


def tbptt_step(model, clips, targets, *, chunk_length):
    """One optimizer update of a compiled model from one batch of sequences, with truncated backpropagation.

    The sequences are cut into chunks of `chunk_length` frames (the last one
    may be shorter); every recurrent layer's states go from one chunk to the
    next, gradients stop at chunk boundaries, the chunks' gradients are
    added up and the model's optimizer applies them once. See the module
    docstring for the loss of per-frame and per-clip outputs.

    Args:
        model: a compiled functional model over `(batch, frames, ...)`
            sequences, with stkeras or Keras recurrent layers and a free
            number of frames (`input_shape=(None, h, w, c)`) unless
            `chunk_length` equals the model's frames.
        clips: array or tensor `(batch, frames, h, w, c)`.
        targets: `(batch, frames, ...)` for per-frame outputs, else `(batch, ...)`.
        chunk_length: frames per chunk, an int >= 1; at least the number of
            frames gives ordinary backpropagation through the whole sequence.

    Returns:
        the batch's loss (float): the mean of the chunks' losses weighted by
        their frames (per-frame outputs), or the last chunk's loss.

    Example:
    >>> import numpy as np
    >>> from stkeras.models import build_res_convlstm
    >>> model = build_res_convlstm(stages=[(1, 1, 4, 8)], input_shape=(None, 8, 8, 1), num_classes=2,
    ...                            lstm_units=4, per_frame=True)
    >>> model.compile("sgd", "sparse_categorical_crossentropy")
    >>> loss = tbptt_step(model, np.zeros((2, 6, 8, 8, 1), "float32"), np.zeros((2, 6), "int32"), chunk_length=2)

    Reference: Courtney & Sreenivas 2019, Section 4.1.
    """
    _check_compiled(model)
    return _Chunks(model, chunk_length).step(clips, targets)


def predict_in_chunks(model, clips, *, chunk_length):
    """The model's outputs when the sequences are fed `chunk_length` frames at a time with the states carried.

    Equal to `model(clips)` for a model whose only memory is recurrent: the
    check that TBPTT's forward pass is the full sequence's.

    Args:
        model: a functional model as for `tbptt_step` (need not be compiled).
        clips: array or tensor `(batch, frames, h, w, c)`.
        chunk_length: frames per chunk, an int >= 1.

    Returns:
        numpy outputs: every frame's, chunks joined `(batch, frames, units)`,
        or the output after the last chunk `(batch, units)`.

    Example:
    >>> import numpy as np
    >>> from stkeras.models import build_res_convlstm
    >>> model = build_res_convlstm(stages=[(1, 1, 4, 8)], input_shape=(None, 8, 8, 1), num_classes=2,
    ...                            lstm_units=4, per_frame=True)
    >>> clips = np.random.default_rng(0).random((2, 6, 8, 8, 1), "float32")
    >>> bool(np.allclose(predict_in_chunks(model, clips, chunk_length=4), model(clips), atol=1e-5))
    True
    """
    return _Chunks(model, chunk_length).predict(clips)


def tbptt_fit(model, dataset, *, chunk_length, epochs=1, validation_data=None, callbacks=None, verbose="auto"):
    """Trains a compiled model with truncated backpropagation through time, one update per batch of sequences.

    Courtney & Sreenivas 2019 compute gradients every 8 frames and update
    once at the end of each sequence: `chunk_length=8`.

    Args:
        model: a compiled model, as for `tbptt_step`.
        dataset: an iterable (e.g. `tf.data.Dataset`) of `(clips, targets)`
            batches (further elements are ignored). Batches may differ in
            size and in number of frames.
        chunk_length: frames per chunk, an int >= 1.
        epochs: passes over `dataset`, an int >= 1.
        validation_data: optional dataset evaluated with `model.evaluate`
            (whole sequences) after every epoch.
        callbacks: optional list of Keras callbacks, called as `fit` calls
            them (e.g. `ReduceLROnPlateau("val_loss")`, `EarlyStopping`,
            `ModelCheckpoint`); the batch logs hold the epoch's mean loss so far.
        verbose: `"auto"` or 1 (a progress bar), 2 (one line per epoch), 0 (silent).

    Returns:
        a history dict like Keras': `"loss"` (the mean batch loss of each
        epoch) and, with validation data, `"val_"` + each evaluated metric.

    Example:
    >>> model = from_preset("lipreading", input_shape=(None, 48, 48, 1), per_frame=True)  # doctest: +SKIP
    >>> compile_for_task(model, "digit", learning_rate=1e-4)  # doctest: +SKIP
    >>> history = tbptt_fit(model, per_frame_targets(train), chunk_length=8, epochs=10)  # doctest: +SKIP

    Reference: Courtney & Sreenivas 2019, Section 4.1.
    """
    _check_compiled(model)
    check_positive_int("epochs", epochs)
    if verbose not in ("auto", 0, 1, 2, True, False):
        raise ValueError(f"`verbose` must be 'auto', 0, 1 or 2. Received: verbose={verbose!r}")
    if callbacks is not None and not isinstance(callbacks, (list, tuple)):
        raise TypeError(f"`callbacks` must be None or a list of keras.callbacks.Callback. "
                        f"Received: callbacks={callbacks!r}")
    show = verbose == "auto" or bool(verbose)
    chunks = _Chunks(model, chunk_length)
    history = keras.callbacks.History()
    callback_list = keras.callbacks.CallbackList(list(callbacks or []) + [history], add_progbar=show, model=model,
                                                 verbose=1 if verbose in ("auto", True) else int(verbose),
                                                 epochs=epochs, steps=None)
    model.stop_training = False
    callback_list.on_train_begin()
    logs = {}
    for epoch in range(epochs):
        callback_list.on_epoch_begin(epoch)
        losses = []
        for step, batch in enumerate(dataset):
            if not isinstance(batch, (tuple, list)) or len(batch) < 2:
                raise ValueError("`dataset` must yield (clips, targets[, ...]) batches. "
                                 f"Received a batch of type {type(batch).__name__}")
            callback_list.on_train_batch_begin(step)
            losses.append(chunks.step(batch[0], batch[1]))
            callback_list.on_train_batch_end(step, {"loss": float(np.mean(losses))})
        if not losses:
            raise ValueError("`dataset` yielded no batches.")
        logs = {"loss": float(np.mean(losses))}
        if validation_data is not None:
            scores = model.evaluate(validation_data, verbose=0, return_dict=True)
            logs.update({f"val_{name}": float(value) for name, value in scores.items()})
        callback_list.on_epoch_end(epoch, logs)
        if model.stop_training:
            break
    callback_list.on_train_end(logs)
    return history.history
