"""Miao et al. 2021's three-layer 3D CNNs for KTH, as arguments of `build_small_3d_cnn`."""

_PAPER = "Miao et al. 2021"

PRESETS = {
    f"small_3d_cnn_{conv}": {
        "paper": _PAPER,
        "description": f"the three-layer 3D CNN for KTH with {text}, 16 frames of 60x80, 6 classes",
        "arguments": {"conv": conv},
    }
    for conv, text in (("regular", "3D convolutions"), ("rank1", "rank-1 convolutions"),
                       ("stdcf", "STDCF convolutions"))
}
