"""Courtney & Sreenivas' VGG-M ConvLSTM, as arguments of `build_vggm_convlstm`."""

PRESETS = {
    "vggm_convlstm": {
        "paper": "Courtney & Sreenivas 2019",
        "description": "VGG-M with ConvLSTMs in conv2-conv5 (Section 3.2), 29 frames of 48x48, 500 classes",
        "arguments": {"input_shape": (29, 48, 48, 1), "num_classes": 500},
    },
}
