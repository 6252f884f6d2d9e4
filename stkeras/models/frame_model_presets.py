"""Köpüklü et al.'s frame models: stkeras' small 2D CNN on 8 sampled frames and one head each,
as arguments of `build_frame_model`."""

from stkeras.heads import FRAME_HEADS

PRESETS = {
    f"frames_{head}": {
        "paper": "Köpüklü et al.",
        "description": f"small 2D CNN on 8 frames of 32x32, D=256, {head} head, 27 classes",
        "arguments": {"head": head, "num_segments": 8, "input_shape": (8, 32, 32, 1), "num_classes": 27},
    }
    for head in FRAME_HEADS
}
