"""Courtney & Sreenivas' lipreading ResNet ConvLSTMs, as arguments of `build_res_convlstm`.

Stages are `(blocks, in_channels, mid_channels, out_channels[, op])`
(`stkeras.models.ResConvLSTM`); the reconstruction of Figure 3b's channels
is explained in `res_convlstm.py`.
"""

_PAPER = "Courtney & Sreenivas 2019"
_LIPREADING = {
    "input_shape": (29, 48, 48, 1),
    "stages": ((3, 1, 24, 48), (3, 48, 48, 96), (5, 96, 88, 176), (3, 176, 168, 336)),
    "spatial_reduction": "flatten",
    "lstm_units": 256,
    "dropout": 0.5,
    "num_classes": 500,
}

PRESETS = {
    "lipreading": {
        "paper": _PAPER,
        "description": "ResNet ConvLSTM for LRW words (Section 3.3), 29 frames of 48x48, 500 classes",
        "arguments": _LIPREADING,
    },
    # Section 3.4: ConvLSTMs at 12x12 and 6x6 become 2D convolutions, the 3x3 scale is removed.
    "lipreading_reduced": {
        "paper": _PAPER,
        "description": "the reduced ResNet ConvLSTM (Section 3.4): 2D convolutions at 12x12 and 6x6, no 3x3 scale",
        "arguments": {**_LIPREADING,
                      "stages": ((3, 1, 24, 48), (3, 48, 48, 96, "conv2d"), (5, 96, 88, 176, "conv2d"))},
    },
}
