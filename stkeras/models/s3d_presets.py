"""S3D (Xie et al. 2018) as torchvision's `s3d`, the argument set of `build_s3d`.

`weights` is torchvision's Kinetics-400 checkpoint
(`torchvision.models.video.S3D_Weights.KINETICS400_V1`, downloaded from
`https://download.pytorch.org/models/<file>`), loaded without PyTorch by
`from_preset("s3d", weights=path)` (`s3d_torchvision.py`). `preprocessing`
is what it expects, from torchvision's `S3D_Weights.transforms()` and its
recipe: clips of `frames` frames at `frame_rate` frames per second, values
in [0, 1], every frame resized to `resize` (height, width) and the centre
`crop` cut, normalized with `mean` and `std`.
"""

PRESETS = {
    "s3d": {
        "paper": "Xie et al. 2018",
        "description": "S3D: Inception blocks of separable 1x3x3 then 3x1x1 convolutions; 64 frames of 224x224, "
                       "400 classes",
        "arguments": {},
        "weights": ("s3d-d76dad2f.pth",),
        "preprocessing": {"frames": 128, "frame_rate": 15, "resize": (256, 256), "crop": 224,
                          "value_range": (0.0, 1.0), "mean": (0.43216, 0.394666, 0.37645),
                          "std": (0.22803, 0.22145, 0.216989), "source": "https://download.pytorch.org/models/"
                                                                          "s3d-d76dad2f.pth"},
    },
}
