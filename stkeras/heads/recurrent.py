"""The recurrent head: spatial pooling per frame, LSTMs over time, the output layer."""

import keras

from stkeras.heads.pooling import spatial_pool
from stkeras.heads.registry import register_head
from stkeras.validation import check_positive_int
from stkeras.validation import check_rate


@register_head("lstm", description="spatial average per frame, [dropout], stacked LSTMs, dense output")
def lstm_head(features, *, task, output_name, prefix="", layers=2, units=128, dropout=0.0, per_frame=False):
    """Spatial average per frame, stacked LSTMs, then the task's output layer.

    Seed 000's Conv2D / Conv3D / TS-Conv3D models end with two LSTMs of 128
    (base) or 144 (XL) units; seed 002's ResNet ConvLSTM with one LSTM of 256
    units after a dropout with one mask per sequence.

    Args:
        layers: number of LSTM layers (named `lstm` if one, else
            `lstm1`, `lstm2`, ...).
        units: units of every LSTM.
        dropout: rate of a dropout before the LSTMs that drops whole feature
            channels for the whole sequence (0: none).
        per_frame: output at every frame `(B, T, units)` instead of after
            the last frame.
    """
    check_positive_int("layers", layers)
    check_positive_int("units", units)
    check_rate("dropout", dropout)
    x = spatial_pool(features, prefix)
    if dropout:
        x = keras.layers.SpatialDropout1D(dropout, name=f"{prefix}dropout")(x)
    for i in range(layers):
        name = f"{prefix}lstm" if layers == 1 else f"{prefix}lstm{i + 1}"
        x = keras.layers.LSTM(units, return_sequences=per_frame or i < layers - 1, name=name)(x)
    return keras.layers.Dense(task.units, activation=task.activation, name=output_name)(x)
