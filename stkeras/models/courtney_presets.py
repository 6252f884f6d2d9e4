"""Courtney & Sreenivas 2022's four residual networks, base and XL, as arguments of `build_courtney_resnet`.

The Conv2D, Conv3D and TS-Conv3D networks end in two LSTMs; the ConvLSTM
network reads its pooled features at the last frame (`lstm_layers=0`).
"""

_PAPER = "Courtney & Sreenivas 2022"
_TABLES = {"conv2d": "Table 1", "conv3d": "Table 2", "ts_conv3d": "Table 3", "convlstm": "Table 4"}
_NAMES = {"conv2d": "Conv2D + LSTM", "conv3d": "Conv3D + LSTM", "ts_conv3d": "TS-Conv3D + LSTM",
          "convlstm": "ConvLSTM"}
_LSTM_LAYERS = {"conv2d": 2, "conv3d": 2, "ts_conv3d": 2, "convlstm": 0}

PRESETS = {
    f"{op}{suffix}": {
        "paper": _PAPER,
        "description": f"{_NAMES[op]}, {width} channels ({_TABLES[op]}), 10-way digit output",
        "arguments": {"op": op, "width": width, "lstm_layers": _LSTM_LAYERS[op]},
    }
    for op in _NAMES
    for width, suffix in (("base", ""), ("xl", "_xl"))
}
