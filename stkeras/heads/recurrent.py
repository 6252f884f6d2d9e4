"""Recurrent heads: RNN (tanh, ReLU), LSTM, GRU and B-LSTM over frame features, and ConvLSTM over feature maps.

The vector heads read one feature vector per frame (feature maps are averaged
over space first), run stacked recurrent layers and put the task's output
layer on the last output (Köpüklü et al., Section 3.3; Courtney & Sreenivas 2022's and Courtney & Sreenivas 2019's
LSTM heads are the `lstm` head with their own sizes).

Parameters differ from PyTorch's where Keras' layers have one bias vector
per gate and PyTorch's two: per layer, `SimpleRNN` and `LSTM` have `units`
and `4 units` biases fewer than `torch.nn.RNN` and `torch.nn.LSTM`; `GRU`
(`reset_after=True`, Keras' default) has both, as PyTorch has.
"""

import keras

from stkeras.heads.registry import register_head
from stkeras.layers.conv_lstm import ConvLSTM2D
from stkeras.validation import check_positive_int
from stkeras.validation import check_rate

# head name -> (layer name, factory of one recurrent layer with `units` outputs)
RECURRENT_LAYERS = {
    "lstm": ("lstm", lambda units, **kw: keras.layers.LSTM(units, **kw)),
    "gru": ("gru", lambda units, **kw: keras.layers.GRU(units, **kw)),
    "rnn_tanh": ("rnn", lambda units, **kw: keras.layers.SimpleRNN(units, activation="tanh", **kw)),
    "rnn_relu": ("rnn", lambda units, **kw: keras.layers.SimpleRNN(units, activation="relu", **kw)),
    "blstm": ("blstm", lambda units, name, return_sequences: keras.layers.Bidirectional(
        keras.layers.LSTM(units // 2, return_sequences=return_sequences), name=name)),
}
DESCRIPTIONS = {
    "lstm": "stacked LSTMs over frame features, dense output on the last (Courtney & Sreenivas 2022, 001, 002)",
    "gru": "stacked GRUs over frame features, dense output on the last (Köpüklü et al.)",
    "rnn_tanh": "stacked tanh RNNs over frame features, dense output on the last (Köpüklü et al.)",
    "rnn_relu": "stacked ReLU RNNs over frame features, dense output on the last (Köpüklü et al.)",
    "blstm": "bidirectional LSTMs, half the units per direction, dense output on [last forward, first backward] "
             "(Köpüklü et al.)",
}


def check_recurrent_units(units, *, kind="lstm", argument="units"):
    """Checks the units of one recurrent layer.

    The one check of a recurrent head's size: the heads call it, and
    builders that expose the size under their own name pass that name.

    Args:
        units: outputs of the layer (split between two directions for `"blstm"`).
        kind: the head (`"lstm"`, `"gru"`, `"rnn_tanh"`, `"rnn_relu"`, `"blstm"`).
        argument: the name the caller gave the units, used in errors.

    Example:
    >>> check_recurrent_units(256)
    256
    """
    check_positive_int(argument, units, minimum=2 if kind == "blstm" else 1)
    if kind == "blstm" and units % 2:
        raise ValueError(f"`{argument}` of a B-LSTM head is split between two directions: it must be even. "
                         f"Received: {argument}={units}")
    return units


def _recurrent_head(kind):
    layer_name, make_layer = RECURRENT_LAYERS[kind]

    def head(features, *, task, output_name, prefix="", layers=1, units=256, dropout=0.0, per_frame=False):
        check_positive_int("layers", layers)
        check_recurrent_units(units, kind=kind)
        check_rate("dropout", dropout)
        x = features
        if dropout:
            x = keras.layers.SpatialDropout1D(dropout, name=f"{prefix}dropout")(x)
        for i in range(layers):
            name = f"{prefix}{layer_name}" if layers == 1 else f"{prefix}{layer_name}{i + 1}"
            x = make_layer(units, name=name, return_sequences=per_frame or i < layers - 1)(x)
        return task.outputs(x, output_name)

    head.__name__ = f"{kind}_head"
    head.__doc__ = f"""{DESCRIPTIONS[kind].capitalize()}.

    Args:
        layers: recurrent layers (named `{layer_name}` if one, else
            `{layer_name}1`, `{layer_name}2`, ...).
        units: outputs of every layer{' (half per direction)' if kind == 'blstm' else ''}; 256 in Köpüklü et al.
        dropout: rate of a dropout before the recurrent layers that drops
            whole feature channels for the whole sequence (0: none).
        per_frame: output at every frame `(B, T, units)` instead of after
            the last frame.
    """
    return head


for _kind in RECURRENT_LAYERS:
    register_head(_kind, input="vectors", description=DESCRIPTIONS[_kind])(_recurrent_head(_kind))


@register_head("convlstm", input="clips", description="ConvLSTM over feature maps, last output averaged over space, "
                                                      "dense output (Köpüklü et al.)")
def convlstm_head(features, *, task, output_name, prefix="", filters=256, kernel_size=3):
    """A ConvLSTM over the frames' feature maps, its last output averaged over space, then the output.

    Köpüklü et al. keeps the backbone's spatial resolution (no pooling; a 1x1
    convolution to `D` channels) and runs one ConvLSTM with `D` hidden
    channels and a 3x3 kernel; the reference code's cell has one bias per
    gate, as Keras' has.

    Args:
        filters: hidden channels (256 in Köpüklü et al.).
        kernel_size: the ConvLSTM's spatial kernel.
    """
    check_positive_int("filters", filters)
    x = ConvLSTM2D(filters, kernel_size, padding="same", name=f"{prefix}convlstm")(features)
    x = keras.layers.GlobalAveragePooling2D(name=f"{prefix}pool")(x)
    return task.outputs(x, output_name)
