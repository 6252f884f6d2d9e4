"""A fast, drop-in replacement for `keras.layers.ConvLSTM2D`."""

import keras
import numpy as np
from keras import ops

from stkeras.layers.shapes import conv_output_size
from stkeras.validation import check_choice
from stkeras.validation import check_dilation_fits
from stkeras.validation import check_positive_int
from stkeras.validation import check_rate
from stkeras.validation import normalize_tuple


@keras.saving.register_keras_serializable(package="stkeras")
class ConvLSTM2D(keras.layers.Layer):
    """2D convolutional LSTM, numerically equal to Keras' own and faster to train.

    Same constructor arguments, weights (`kernel` `(kh, kw, C, 4F)`,
    `recurrent_kernel` `(kh, kw, F, 4F)`, `bias` `(4F,)`), gate order
    (input, forget, cell, output) and outputs as `keras.layers.ConvLSTM2D`, so
    `layer.set_weights(keras_layer.get_weights())` reproduces its outputs.

    It is faster to train because the recurrence is unrolled over the frames
    when their number is static (no symbolic loop; XLA is not used, as it is
    much slower on CPU), with one convolution for all four gates of the input
    and one for the recurrent state per frame, where Keras' cell runs eight
    and a `while` loop. Each frame's input convolution sits next to its step,
    so a frame's tensors stay in cache (measured faster on CPU than one
    batched convolution over all frames). When the number of frames is
    dynamic, a `keras.ops.scan` loop over a batched input convolution is used.

    Args:
        filters: number of output channels (and of hidden/cell channels).
        kernel_size: int or tuple of 2 ints, the convolution window of both
            the input and the recurrent convolutions.
        strides: int or tuple of 2 ints, stride of the input convolution. The
            recurrent convolution always has stride 1 and `"same"` padding.
        padding: `"valid"` or `"same"`, padding of the input convolution.
        data_format: `"channels_last"` (`(batch, time, h, w, c)`) or
            `"channels_first"` (`(batch, time, c, h, w)`); defaults to
            `keras.config.image_data_format()`.
        dilation_rate: int or tuple of 2 ints, dilation of the input
            convolution (incompatible with `strides > 1`, as in Keras).
        activation: activation of the cell candidate and the output.
        recurrent_activation: activation of the input, forget and output gates.
        use_bias: whether the input convolution has a bias.
        kernel_initializer, recurrent_initializer, bias_initializer: initializers.
        unit_forget_bias: add 1 to the forget-gate bias at initialization.
        kernel_regularizer, recurrent_regularizer, bias_regularizer, activity_regularizer: regularizers.
        kernel_constraint, recurrent_constraint, bias_constraint: constraints.
        dropout: fraction of input units dropped (one mask per gate, the same
            for every frame of a sequence, as Keras does).
        recurrent_dropout: fraction of hidden units dropped before the
            recurrent convolution (one mask per gate and sequence).
        seed: seed of the dropout masks.
        return_sequences: return the output of every frame, else the last.
        return_state: also return the last hidden and cell states.
        go_backwards: process the frames in reverse order; the returned
            sequence is then in processing order, as in Keras.
        stateful: carry the last states of a batch into the next batch (needs
            a static batch size); `reset_state()` clears them.
        unroll: `None` (default) unrolls the recurrence when the number of
            frames is static and loops otherwise; `False` always loops;
            `True` requires a static number of frames.
        zero_output_for_mask: output zeros (instead of the previous output) at
            masked frames.
        state_reset_period: `None` or an int `k >= 1`: the hidden and cell
            states are set to zero before every `k`-th frame (frames `k, 2k,
            ...` in processing order), so that the layer sees at most `k`
            frames of context. Used for Courtney & Sreenivas 2019's sensitivity analysis.

    Call arguments:
        sequences: a 5D tensor of frames.
        initial_state: optional list `[h, c]` of initial states.
        mask: optional boolean tensor `(batch, time)`; masked frames keep the
            previous states.
        training: whether dropout is active.

    Example:
    >>> import numpy as np
    >>> layer = ConvLSTM2D(8, 3, padding="same", state_reset_period=4)
    >>> layer(np.zeros((2, 12, 16, 16, 3), "float32")).shape
    TensorShape([2, 16, 16, 8])

    Reference: Shi et al. 2015 (the ConvLSTM); state reset from Courtney &
    Sreenivas 2019, *Using deep convolutional LSTM networks for learning
    spatiotemporal features*, Section 5.1.
    """

    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        data_format=None,
        dilation_rate=1,
        activation="tanh",
        recurrent_activation="sigmoid",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        unit_forget_bias=True,
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        unroll=None,
        zero_output_for_mask=False,
        state_reset_period=None,
        **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.filters = check_positive_int("filters", filters)
        self.kernel_size = normalize_tuple(kernel_size, 2, "kernel_size")
        self.strides = normalize_tuple(strides, 2, "strides")
        self.padding = check_choice("padding", padding.lower() if isinstance(padding, str) else padding,
                                    ("valid", "same"))
        data_format = data_format or keras.config.image_data_format()
        self.data_format = check_choice(
            "data_format", data_format, ("channels_last", "channels_first")
        )
        self.dilation_rate = normalize_tuple(dilation_rate, 2, "dilation_rate")
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                "Specifying `strides > 1` is not compatible with "
                "`dilation_rate > 1`. Please provide `strides=1` or "
                "`dilation_rate=1`. "
                f"Received: strides={self.strides} and "
                f"dilation_rate={self.dilation_rate}"
            )
        self.activation = keras.activations.get(activation)
        self.recurrent_activation = keras.activations.get(recurrent_activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.recurrent_initializer = keras.initializers.get(recurrent_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.unit_forget_bias = bool(unit_forget_bias)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = keras.regularizers.get(recurrent_regularizer)
        self.bias_regularizer = keras.regularizers.get(bias_regularizer)
        self.kernel_constraint = keras.constraints.get(kernel_constraint)
        self.recurrent_constraint = keras.constraints.get(recurrent_constraint)
        self.bias_constraint = keras.constraints.get(bias_constraint)
        self.dropout = float(check_rate("dropout", dropout))
        self.recurrent_dropout = float(check_rate("recurrent_dropout", recurrent_dropout))
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed=seed)
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        if unroll not in (None, True, False):
            raise ValueError(
                f"`unroll` must be None, True or False. Received: unroll={unroll!r}"
            )
        self.unroll = unroll
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.state_reset_period = check_positive_int(
            "state_reset_period", state_reset_period, allow_none=True
        )
        self.supports_masking = True
        self.input_spec = keras.layers.InputSpec(ndim=5)
        # Stateful state variables are kept out of the layer's weights, as in
        # Keras' RNN: they are not parameters and are not saved.
        object.__setattr__(self, "_state_variables", None)

    # ------------------------------------------------------------------ build
    def _split_shape(self, sequences_shape):
        """Returns (spatial dims, channels) of a channels-first/last shape."""
        if self.data_format == "channels_first":
            return tuple(sequences_shape[3:]), sequences_shape[2]
        return tuple(sequences_shape[2:4]), sequences_shape[4]

    def _conv_output_spatial(self, spatial):
        return conv_output_size(spatial, self.kernel_size, self.strides, self.padding, self.dilation_rate)

    def build(self, sequences_shape, initial_state_shape=None):
        if len(sequences_shape) != 5:
            raise ValueError(
                "ConvLSTM2D expects 5D inputs (batch, time, height, width, "
                f"channels). Received: input_shape={sequences_shape}"
            )
        spatial, channels = self._split_shape(sequences_shape)
        if self.unroll is True and sequences_shape[1] is None:
            raise ValueError(
                "Cannot unroll ConvLSTM2D when the number of frames is not "
                f"static. Received: input_shape={sequences_shape}"
            )
        if None in spatial:
            raise ValueError(
                "ConvLSTM2D needs static height and width. "
                f"Received: input_shape={sequences_shape}"
            )
        if channels is None:
            raise ValueError(
                "The channel dimension of the inputs should be defined. "
                f"Received: input_shape={sequences_shape}"
            )
        out_spatial = self._conv_output_spatial(spatial)
        if min(out_spatial) < 1:
            raise ValueError(
                f"ConvLSTM2D with kernel_size={self.kernel_size}, "
                f"dilation_rate={self.dilation_rate} and padding='valid' needs "
                f"frames of at least that size. Received: input_shape={sequences_shape}"
            )
        check_dilation_fits(self.name, self.kernel_size, self.dilation_rate, self.padding, spatial)
        self._out_spatial = out_spatial
        self.input_dim = channels
        self.kernel = self.add_weight(
            shape=self.kernel_size + (channels, 4 * self.filters),
            initializer=self.kernel_initializer,
            name="kernel",
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.recurrent_kernel = self.add_weight(
            shape=self.kernel_size + (self.filters, 4 * self.filters),
            initializer=self.recurrent_initializer,
            name="recurrent_kernel",
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
        )
        if self.use_bias:
            if self.unit_forget_bias:
                base = self.bias_initializer

                def bias_initializer(_, *args, **kwargs):
                    return ops.concatenate(
                        [
                            base((self.filters,), *args, **kwargs),
                            keras.initializers.get("ones")(
                                (self.filters,), *args, **kwargs
                            ),
                            base((self.filters * 2,), *args, **kwargs),
                        ]
                    )

            else:
                bias_initializer = self.bias_initializer
            self.bias = self.add_weight(
                shape=(4 * self.filters,),
                initializer=bias_initializer,
                name="bias",
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        else:
            self.bias = None
        if self.stateful:
            batch = sequences_shape[0]
            if batch is None:
                raise ValueError(
                    "When using `stateful=True`, the batch size must be static. "
                    f"Received: input_shape={sequences_shape}"
                )
            _refuse_replicas()
            shape = (batch,) + out_spatial + (self.filters,)
            object.__setattr__(
                self,
                "_state_variables",
                [
                    keras.Variable(
                        ops.zeros(shape), trainable=False, name=f"{n}_state"
                    )
                    for n in ("hidden", "cell")
                ],
            )

    def reset_state(self):
        """Sets the states of a stateful layer back to zero."""
        for variable in self._state_variables or []:
            variable.assign(ops.zeros_like(variable.value))

    def reset_states(self):
        """Alias of `reset_state()` (the name Keras also accepts)."""
        self.reset_state()

    # ------------------------------------------------------------------- call
    def _dropout_masks(self, shape_like, rate):
        ones = ops.ones_like(shape_like)
        return [
            keras.random.dropout(ones, rate=rate, seed=self.seed_generator)
            for _ in range(4)
        ]

    def _input_dropout_masks(self, x, training):
        """One dropout mask per gate, shared by every frame, or None."""
        if training and 0.0 < self.dropout < 1.0:
            return self._dropout_masks(x[:, 0], self.dropout)
        return None

    def _project(self, x, input_masks):
        """Input convolution plus bias of one frame `(B, H, W, C)` or of
        every frame `(B, T, H, W, C)`, the latter as one batched convolution
        over `B * T` images; returns `(B, H', W', 4F)` or `(B * T, H', W', 4F)`."""
        every_frame = len(x.shape) == 5

        def convolve(kernel, mask):
            frames = x
            if mask is not None:
                frames = frames * (ops.expand_dims(mask, 1) if every_frame else mask)
            if every_frame:
                frames = ops.reshape(frames, (-1,) + tuple(x.shape[2:]))
            return self._conv_frames(frames, kernel)

        if input_masks is None:
            projected = convolve(self.kernel, None)
        else:
            kernels = ops.split(self.kernel, 4, axis=-1)
            projected = ops.concatenate(
                [convolve(k, m) for k, m in zip(kernels, input_masks)], axis=-1
            )
        if self.use_bias:
            projected = projected + self.bias
        return projected

    def _input_projection(self, x, input_masks):
        """Input convolution of every frame at once: (B, T, H', W', 4F)."""
        batch, steps = ops.shape(x)[0], ops.shape(x)[1]
        static_steps = x.shape[1]
        return ops.reshape(
            self._project(x, input_masks),
            (batch, static_steps if static_steps is not None else steps)
            + self._out_spatial
            + (4 * self.filters,),
        )

    def _conv_frames(self, frames, kernel):
        return ops.conv(
            frames,
            kernel,
            strides=self.strides,
            padding=self.padding,
            data_format="channels_last",
            dilation_rate=self.dilation_rate,
        )

    def _recurrent_projection(self, h, recurrent_masks):
        if recurrent_masks is None:
            return ops.conv(h, self.recurrent_kernel, strides=1, padding="same")
        kernels = ops.split(self.recurrent_kernel, 4, axis=-1)
        return ops.concatenate(
            [
                ops.conv(h * mask, kernel, strides=1, padding="same")
                for mask, kernel in zip(recurrent_masks, kernels)
            ],
            axis=-1,
        )

    def _gates(self, z, c):
        z_i, z_f, z_c, z_o = ops.split(z, 4, axis=-1)
        i = self.recurrent_activation(z_i)
        f = self.recurrent_activation(z_f)
        c = f * c + i * self.activation(z_c)
        o = self.recurrent_activation(z_o)
        return o * self.activation(c), c

    def call(self, sequences, initial_state=None, mask=None, training=False):
        x = sequences
        if self.data_format == "channels_first":
            x = ops.transpose(x, (0, 1, 3, 4, 2))
        if mask is not None:
            mask = ops.cast(mask, "bool")
        if self.go_backwards:
            x = ops.flip(x, axis=1)
            mask = None if mask is None else ops.flip(mask, axis=1)
        batch = ops.shape(x)[0]
        state_shape = (batch,) + self._out_spatial + (self.filters,)

        states_are_zero = False
        if initial_state is not None:
            h, c = [ops.convert_to_tensor(s, dtype=self.compute_dtype) for s in initial_state]
            if self.data_format == "channels_first":
                h, c = ops.transpose(h, (0, 2, 3, 1)), ops.transpose(c, (0, 2, 3, 1))
        elif self.stateful:
            h, c = [ops.cast(v.value, self.compute_dtype) for v in self._state_variables]
        else:
            h = ops.zeros(state_shape, dtype=self.compute_dtype)
            c = ops.zeros(state_shape, dtype=self.compute_dtype)
            states_are_zero = True

        recurrent_masks = None
        if training and 0.0 < self.recurrent_dropout < 1.0:
            recurrent_masks = self._dropout_masks(h, self.recurrent_dropout)

        input_masks = self._input_dropout_masks(x, training)
        steps = x.shape[1]
        if self.unroll is True and steps is None:
            raise ValueError(
                "Cannot unroll ConvLSTM2D when the number of frames is not "
                f"static. Received: input_shape={sequences.shape}"
            )
        if steps is not None and self.unroll is not False:
            outputs, h, c = self._unrolled(
                x, input_masks, mask, h, c, recurrent_masks, states_are_zero
            )
        else:
            projected = self._input_projection(x, input_masks)
            outputs, h, c = self._looped(projected, mask, h, c, recurrent_masks)

        if self.stateful:
            for variable, value in zip(self._state_variables, (h, c)):
                variable.assign(ops.cast(value, variable.dtype))

        if self.data_format == "channels_first":
            outputs = ops.transpose(
                outputs, (0, 1, 4, 2, 3) if self.return_sequences else (0, 3, 1, 2)
            )
            h, c = ops.transpose(h, (0, 3, 1, 2)), ops.transpose(c, (0, 3, 1, 2))
        if self.return_state:
            return outputs, h, c
        return outputs

    def _resets_before(self, t):
        period = self.state_reset_period
        return period is not None and t > 0 and t % period == 0

    def _unrolled(self, x, input_masks, mask, h, c, recurrent_masks, states_are_zero):
        # Each frame's input convolution is its own op, next to its step:
        # a frame's tensors stay in cache, which measured faster on CPU than
        # one batched convolution over all frames.
        frames = ops.unstack(x, axis=1)
        frame_masks = None if mask is None else ops.unstack(mask, axis=1)
        zeros = ops.zeros_like(h)
        output = zeros
        outputs = []
        for t, frame in enumerate(frames):
            z = self._project(frame, input_masks)
            if self._resets_before(t):
                h, c, states_are_zero = zeros, zeros, True
            if not states_are_zero:
                z = z + self._recurrent_projection(h, recurrent_masks)
            new_h, new_c = self._gates(z, c)
            states_are_zero = False
            if frame_masks is None:
                h, c, output = new_h, new_c, new_h
            else:
                keep = ops.reshape(frame_masks[t], (-1, 1, 1, 1))
                held = zeros if self.zero_output_for_mask else output
                output = ops.where(keep, new_h, held)
                h = ops.where(keep, new_h, h)
                c = ops.where(keep, new_c, c)
            if self.return_sequences:
                outputs.append(output)
        if self.return_sequences:
            return ops.stack(outputs, axis=1), h, c
        return output, h, c

    def _looped(self, projected, mask, h, c, recurrent_masks):
        frames = ops.moveaxis(projected, 1, 0)
        frame_masks = None if mask is None else ops.moveaxis(mask, 1, 0)
        period = self.state_reset_period

        def step(carry, z):
            h, c, output, t = carry
            if period is not None:
                # Zero the states before frames k, 2k, ...
                alive = ops.cast(
                    ops.logical_or(ops.equal(t, 0), ops.not_equal(t % period, 0)),
                    h.dtype,
                )
                h, c = h * alive, c * alive
            new_h, new_c = self._gates(
                z + self._recurrent_projection(h, recurrent_masks), c
            )
            if frame_masks is None:
                h, c, output = new_h, new_c, new_h
            else:
                # The mask is read by index: Keras' TensorFlow scan fails on
                # several sequences of dynamic length.
                keep = ops.reshape(ops.take(frame_masks, t, axis=0), (-1, 1, 1, 1))
                held = ops.zeros_like(output) if self.zero_output_for_mask else output
                output = ops.where(keep, new_h, held)
                h = ops.where(keep, new_h, h)
                c = ops.where(keep, new_c, c)
            carry = (h, c, output, t + 1)
            # Keras' TensorFlow scan needs the per-step output to have the
            # structure of the carry; the outputs are its third entry.
            return carry, carry

        init = (h, c, ops.zeros_like(h), ops.convert_to_tensor(0, "int32"))
        (h, c, output, _), history = ops.scan(step, init, frames)
        if self.return_sequences:
            return ops.moveaxis(history[2], 0, 1), h, c
        return output, h, c

    # ---------------------------------------------------------------- shapes
    def grow_receptive_field(self, field):
        """Analysis protocol: the input convolution's window, and every frame so far.

        The recurrent convolution, which spreads the field further over time,
        is not counted (as in Courtney & Sreenivas 2022's tables).
        """
        kh, kw = self.kernel_size
        sh, sw = self.strides
        dh, dw = self.dilation_rate
        return field.convolve((1, kh, kw), (1, sh, sw), (1, dh, dw), self.padding).see_all_frames()

    def count_macs(self, input_shape, output_shape):
        """Analysis protocol: `H' W' k_h k_w 4F (C + F)` per frame."""
        frames = input_shape[1]
        if self.data_format == "channels_last":
            positions, channels = int(np.prod(output_shape[-3:-1])), input_shape[-1]
        else:
            positions, channels = int(np.prod(output_shape[-2:])), input_shape[2]
        return frames * positions * int(np.prod(self.kernel_size)) * 4 * self.filters * (channels + self.filters)

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        spatial, _ = self._split_shape(sequences_shape)
        out_spatial = self._conv_output_spatial(spatial)
        if self.data_format == "channels_first":
            frame = (self.filters,) + out_spatial
        else:
            frame = out_spatial + (self.filters,)
        batch = sequences_shape[0]
        if self.return_sequences:
            output_shape = (batch, sequences_shape[1]) + frame
        else:
            output_shape = (batch,) + frame
        if self.return_state:
            return output_shape, (batch,) + frame, (batch,) + frame
        return output_shape

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        output_mask = mask if self.return_sequences else None
        if self.return_state:
            return [output_mask, None, None]
        return output_mask

    # ---------------------------------------------------------------- config
    def get_config(self):
        serialize = keras.saving.serialize_keras_object
        config = {
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
            "activation": keras.activations.serialize(self.activation),
            "recurrent_activation": keras.activations.serialize(
                self.recurrent_activation
            ),
            "use_bias": self.use_bias,
            "kernel_initializer": serialize(self.kernel_initializer),
            "recurrent_initializer": serialize(self.recurrent_initializer),
            "bias_initializer": serialize(self.bias_initializer),
            "unit_forget_bias": self.unit_forget_bias,
            "kernel_regularizer": serialize(self.kernel_regularizer),
            "recurrent_regularizer": serialize(self.recurrent_regularizer),
            "bias_regularizer": serialize(self.bias_regularizer),
            "activity_regularizer": serialize(self.activity_regularizer),
            "kernel_constraint": serialize(self.kernel_constraint),
            "recurrent_constraint": serialize(self.recurrent_constraint),
            "bias_constraint": serialize(self.bias_constraint),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask,
            "state_reset_period": self.state_reset_period,
        }
        return {**super().get_config(), **config}


def _refuse_replicas():
    """A stateful layer's states hold one batch; replicas would each see part of it."""
    if keras.backend.backend() != "tensorflow":
        return
    import tensorflow as tf

    replicas = tf.distribute.get_strategy().num_replicas_in_sync if tf.distribute.has_strategy() else 1
    if replicas > 1:
        raise ValueError(
            f"A stateful ConvLSTM2D cannot be built under a strategy with {replicas} replicas: its states hold "
            "one whole batch, which the replicas split. Build and train it on one device."
        )
