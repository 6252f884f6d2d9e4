"""torchvision's S3D checkpoint in stkeras' S3D: the name table and the loader.

torchvision's `s3d` (Kinetics-400, file `s3d-d76dad2f.pth`) is
`build_s3d()`. The table maps torchvision's module names (`features.N...`,
`classifier.1`) to stkeras layer paths; a separable convolution
(`TemporalSeparableConv`: a `1xkxk` and a `kx1x1` convolution, each with
batch normalization and ReLU) is stkeras' `conv2plus1d` op (`spatial`,
`spatial_bn`, `temporal`) and the batch normalization after it. The
tensors are read without PyTorch (`stkeras.weights.read_torch_checkpoint`).

Example:
>>> names = torchvision_names()
>>> names["features.0.1.0"], names["features.8.branch1.1.1.1"], names["classifier.1"]
('conv1/temporal', 'mixed_4b_branch1_bn', 'predictions')
"""

import os

from stkeras.models.s3d import INCEPTION
from stkeras.weights.mapping import load_mapped_weights
from stkeras.weights.mapping import mismatched_classifier
from stkeras.weights.torch_checkpoint import read_torch_checkpoint


def _separable(source, target):
    """torchvision's TemporalSeparableConv at `source` -> the op and its normalization at `target`."""
    return {f"{source}.0.0": f"{target}/spatial", f"{source}.0.1": f"{target}/spatial_bn",
            f"{source}.1.0": f"{target}/temporal", f"{source}.1.1": f"{target}_bn"}


def _conv(source, target):
    """torchvision's Conv3dNormActivation (a 1x1x1 convolution, BN, ReLU) at `source`."""
    return {f"{source}.0": target, f"{source}.1": f"{target}_bn"}


# torchvision's `S3D.features`: the index of each Inception block (the max poolings are 1, 4, 7 and 13).
INCEPTION_INDEX = dict(zip(INCEPTION, (5, 6, 8, 9, 10, 11, 12, 14, 15)))


def torchvision_names():
    """`{torchvision module: stkeras layer path}` of S3D."""
    table = {**_separable("features.0", "conv1"), **_conv("features.2", "conv2"), **_separable("features.3", "conv3"),
             "classifier.1": "predictions"}
    for block, index in INCEPTION_INDEX.items():
        source = f"features.{index}"
        table.update(_conv(f"{source}.branch0", f"{block}_branch0"))
        for branch in (1, 2):
            table.update(_conv(f"{source}.branch{branch}.0", f"{block}_branch{branch}_reduce"))
            table.update(_separable(f"{source}.branch{branch}.1", f"{block}_branch{branch}"))
        table.update(_conv(f"{source}.branch3.1", f"{block}_branch3"))
    return table


def load_torchvision_weights(model, path):
    """Loads torchvision's S3D checkpoint into a model of `build_s3d`.

    The classifier (`classifier.1`) loads when its shape is the model's
    `predictions` layer's; with another number of classes it is left as
    initialized (fine-tuning) and the rest loads.

    Args:
        model: `build_s3d(...)` (e.g. `from_preset("s3d")`).
        path: a `.pth` file of torchvision's `state_dict` (PyTorch is not needed).

    Returns:
        the paths of the model weights loaded.

    Raises:
        ValueError: naming the file and what does not fit.
    """
    state = read_torch_checkpoint(path)
    skip = mismatched_classifier(model, state, "classifier.1")
    return load_mapped_weights(model, state, torchvision_names(), source=os.fspath(path), skip=skip)

