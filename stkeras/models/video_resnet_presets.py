"""Tran et al. 2018's video ResNets, as arguments of `build_video_resnet`.

Every kind at depth 18 (Tran et al.'s Table 2, plus Qiu et al.'s P3D), and
R3D and R(2+1)D at depths 10, 34 and 50 (Table 4's depths and the 50-layer
bottleneck networks). `build_video_resnet(kind=..., depth=...)` builds any
other combination.

`r3d_18`, `mc3_18` and `r2plus1d_18` declare torchvision's Kinetics-400
checkpoints (`weights`, file names as torchvision publishes them): a `.pth`
given to `from_preset(name, weights=path)` builds the network with
`convention="torchvision"` (`weights_arguments`) and loads it, without
PyTorch (`video_resnet_torchvision.py`); the model carries the checkpoint's
preprocessing (`weights_preprocessing`), which the data pipeline applies.
"""

_PAPER = "Tran et al. 2018"
_KINDS = {
    "r2d": "the frames stacked as channels, then 2D convolutions",
    "f_r2d": "2D convolutions on every frame, time pooled at the top",
    **{f"mc{x}": f"3D convolutions before conv{x}_x, 2D from it on" for x in range(2, 6)},
    **{f"rmc{x}": f"2D convolutions before conv{x}_x, 3D from it on" for x in range(2, 6)},
    "r3d": "3D convolutions",
    "r2plus1d": "(2+1)D convolutions",
    "p3d": "Pseudo-3D bottleneck blocks A, B, C in turn (Qiu et al. 2017)",
}
# torchvision's checkpoints (`torchvision.models.video.*_Weights.KINETICS400_V1`).
_TORCHVISION = {"r3d_18": "r3d_18-b3b3357e.pth", "mc3_18": "mc3_18-a90a0ba3.pth",
                "r2plus1d_18": "r2plus1d_18-91a641e6.pth"}
# How torchvision's Kinetics checkpoints see clips (`torchvision.models.video.R3D_18_Weights.KINETICS400_V1
# .transforms()`): frames resized to 128x171 (the short side to 128), the centre 112x112, values in [0, 1]
# normalized with Kinetics' mean and standard deviation.
_TORCHVISION_CLIPS = {"resize": 128, "crop": (112, 112), "mean": (0.43216, 0.394666, 0.37645),
                      "std": (0.22803, 0.22145, 0.216989)}
_DEPTHS = {("r3d", 10), ("r3d", 34), ("r3d", 50), ("r2plus1d", 10), ("r2plus1d", 34), ("r2plus1d", 50)}

PRESETS = {
    f"{kind}_{depth}": {
        "paper": _PAPER,
        "description": f"{depth}-layer ResNet: {text}; 16 frames of 112x112, 400 classes",
        "arguments": {"kind": kind, "depth": depth},
        **({"weights": (_TORCHVISION[f"{kind}_{depth}"],), "weights_arguments": {"convention": "torchvision"},
            "weights_preprocessing": _TORCHVISION_CLIPS} if f"{kind}_{depth}" in _TORCHVISION else {}),
    }
    for kind, text in _KINDS.items()
    for depth in (10, 18, 34, 50)
    if depth == 18 or (kind, depth) in _DEPTHS
}
