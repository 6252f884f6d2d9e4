"""Courtney & Sreenivas 2022's four residual networks, base and XL, as arguments of `build_courtney_resnet`."""

_PAPER = "Courtney & Sreenivas 2022"
_TABLES = {"conv2d": "Table 1", "conv3d": "Table 2", "ts_conv3d": "Table 3", "convlstm": "Table 4"}
_NAMES = {"conv2d": "Conv2D + LSTM", "conv3d": "Conv3D + LSTM", "ts_conv3d": "TS-Conv3D + LSTM",
          "convlstm": "ConvLSTM"}
# The ConvLSTM network reads its pooled features at the last frame; the others end in two LSTMs.
_LSTM_LAYERS = {"conv2d": 2, "conv3d": 2, "ts_conv3d": 2, "convlstm": 0}

PRESETS = {
    f"{op}{suffix}": {
        "paper": _PAPER,
        "description": f"{_NAMES[op]}, {size} channels ({_TABLES[op]}), 10-way digit output",
        "arguments": {"op": op, "size": size, "lstm_layers": _LSTM_LAYERS[op]},
    }
    for op in _NAMES
    for size, suffix in (("base", ""), ("xl", "_xl"))
}
