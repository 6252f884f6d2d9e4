"""Tran et al. 2018's video ResNets, as arguments of `build_video_resnet`.

Every kind at depth 18 (Tran et al.'s Table 2, plus Qiu et al.'s P3D), and
R3D and R(2+1)D at depths 10, 34 and 50 (Table 4's depths and the 50-layer
bottleneck networks). `build_video_resnet(kind=..., depth=...)` builds any
other combination.
"""

_PAPER = "Tran et al. 2018"
_KINDS = {
    "r2d": "2D convolutions only, time kept",
    **{f"mc{x}": f"3D convolutions before conv{x}_x, 2D from it on" for x in range(2, 6)},
    **{f"rmc{x}": f"2D convolutions before conv{x}_x, 3D from it on" for x in range(2, 6)},
    "r3d": "3D convolutions",
    "r2plus1d": "(2+1)D convolutions",
    "p3d": "Pseudo-3D blocks A, B, C in turn (Qiu et al. 2017)",
}
_DEPTHS = {("r3d", 10), ("r3d", 34), ("r3d", 50), ("r2plus1d", 10), ("r2plus1d", 34), ("r2plus1d", 50)}

PRESETS = {
    f"{kind}_{depth}": {
        "paper": _PAPER,
        "description": f"{depth}-layer ResNet: {text}; 16 frames of 112x112, 400 classes",
        "arguments": {"kind": kind, "depth": depth},
    }
    for kind, text in _KINDS.items()
    for depth in (10, 18, 34, 50)
    if depth == 18 or (kind, depth) in _DEPTHS
}
