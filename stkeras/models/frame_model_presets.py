"""Köpüklü et al.'s frame models, as arguments of `build_frame_model`: one head each on stkeras' small 2D
CNN (8 sampled frames of 32x32, the synthetic tasks) and on the paper's light backbone, SqueezeNet 1.1
with simple bypass (8 frames of 224x224, Jester's 27 classes; 13x13 feature maps)."""

from stkeras.heads import FRAME_HEADS

PRESETS = {
    **{
        f"frames_{head}": {
            "paper": "Köpüklü et al.",
            "description": f"small 2D CNN on 8 frames of 32x32, D=256, {head} head, 27 classes",
            "arguments": {"head": head, "input_shape": (8, 32, 32, 1), "num_classes": 27},
        }
        for head in FRAME_HEADS
    },
    **{
        f"squeezenet_{head}": {
            "paper": "Köpüklü et al.",
            "description": f"SqueezeNet 1.1 with simple bypass on 8 frames of 224x224, D=256, {head} head, "
                           "27 classes",
            "arguments": {"backbone": "squeezenet1_1", "backbone_options": {"simple_bypass": True}, "head": head,
                          "input_shape": (8, 224, 224, 3), "num_classes": 27},
        }
        for head in FRAME_HEADS
    },
}
