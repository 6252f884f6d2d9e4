"""X3D-XS, S, M and L (Feichtenhofer 2020), as arguments of `build_x3d`.

Each is PyTorchVideo's network of the same name: `x3d_xs`, `x3d_s` and
`x3d_m` of `pytorchvideo.models.hub`, and X3D-L as PyTorchVideo's model zoo
builds it (`create_x3d(input_clip_length=16, input_crop_size=312,
depth_factor=5.0)`). The default input is the clip the network is built for
(PyTorchVideo's `input_clip_length` and `input_crop_size`, the paper's
Table 4 sizes); `pool_size` is the head's window at that size, so that a
larger clip is pooled in windows as PyTorchVideo does.

`weights` are the Kinetics-400 checkpoints of PyTorchVideo's model zoo
(`https://dl.fbaipublicfiles.com/pytorchvideo/model_zoo/kinetics/<file>`),
loaded without PyTorch by `from_preset(name, weights=path)`
(`x3d_pytorchvideo.py`). `preprocessing` is what they expect, from
PyTorchVideo's X3D recipe: frames sampled every `frame_step` frames of a
30 fps video, values in [0, 1], the short side resized to `resize` and the
centre `crop` cut, normalized with `mean` and `std`.
"""

_PAPER = "Feichtenhofer 2020"
_FILES = "https://dl.fbaipublicfiles.com/pytorchvideo/model_zoo/kinetics/"
_NORMALIZE = {"value_range": (0.0, 1.0), "mean": (0.45, 0.45, 0.45), "std": (0.225, 0.225, 0.225)}


def _preset(size, frames, crop, depth_factor, test_crop, frame_step, text):
    window = -(-crop // 32)
    return {
        "paper": _PAPER,
        "description": f"X3D-{size.upper()}: {text}; {frames} frames of {crop}x{crop}, 400 classes",
        "arguments": {"input_shape": (frames, crop, crop, 3), "depth_factor": depth_factor,
                      "pool_size": (frames, window, window)},
        "weights": (f"X3D_{size.upper()}.pyth",),
        "preprocessing": {"frames": frames, "frame_step": frame_step, "resize": test_crop, "crop": test_crop,
                          **_NORMALIZE, "source": f"{_FILES}X3D_{size.upper()}.pyth"},
    }


PRESETS = {
    "x3d_xs": _preset("xs", 4, 160, 2.2, 182, 12, "3, 5, 11, 7 blocks of channel-wise 3D convolutions"),
    "x3d_s": _preset("s", 13, 160, 2.2, 182, 6, "3, 5, 11, 7 blocks of channel-wise 3D convolutions"),
    "x3d_m": _preset("m", 16, 224, 2.2, 256, 5, "3, 5, 11, 7 blocks of channel-wise 3D convolutions"),
    "x3d_l": _preset("l", 16, 312, 5.0, 356, 5, "5, 10, 25, 15 blocks of channel-wise 3D convolutions"),
}
