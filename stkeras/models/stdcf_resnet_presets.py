"""Miao et al. 2021's STDCF 3D ResNets, as arguments of `build_stdcf_resnet`.

No setting of a standard ResNet-50 matches both numbers of Miao et al.'s
Table 3; the three presets say which one each matches.
"""

_PAPER = "Miao et al. 2021"
# SlowFast's 3D ResNet-50, which Miao et al. follow: a max-pooled 3x7x7 stem, no temporal downsampling, 8 frames.
_SLOWFAST_R50 = {"depth": 50, "stem_pool": True, "temporal_strides": 1, "input_shape": (8, 224, 224, 3)}

PRESETS = {
    "stdcf_r50": {
        "paper": _PAPER,
        "description": "STDCF 3D ResNet-50, M=6, N=2 (the text): 28.2M parameters, 52.9G MACs per 8x256x256 clip",
        "arguments": {**_SLOWFAST_R50, "num_spatial_atoms": 6, "num_temporal_atoms": 2},
    },
    "stdcf_r50_18m": {
        "paper": _PAPER,
        "description": "STDCF 3D ResNet-50, M=2, N=2: Table 3's parameter count (18.1M; paper 18.5M)",
        "arguments": {**_SLOWFAST_R50, "num_spatial_atoms": 2, "num_temporal_atoms": 2},
    },
    "stdcf_r50_r3d": {
        "paper": _PAPER,
        "description": "STDCF on Tran et al.'s R3D-50: no max pooling, temporal stride 2, 16 frames",
        "arguments": {"depth": 50, "stem_pool": False, "temporal_strides": 2, "input_shape": (16, 224, 224, 3),
                      "num_spatial_atoms": 6, "num_temporal_atoms": 2},
    },
}
