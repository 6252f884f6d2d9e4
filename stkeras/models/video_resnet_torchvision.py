"""torchvision's video ResNet checkpoints in stkeras' video ResNets: the name tables and the loader.

torchvision's `r3d_18`, `mc3_18` and `r2plus1d_18` (Kinetics-400, files
`r3d_18-b3b3357e.pth`, `mc3_18-a90a0ba3.pth`, `r2plus1d_18-91a641e6.pth`)
are `build_video_resnet(kind=..., depth=18, convention="torchvision")`.
Each kind's table maps torchvision's module names to stkeras layer paths;
`{l}` is torchvision's stage (`layer1` ... `layer4`, stkeras' conv2_x ...
conv5_x: `{s}` = `{l}` + 1) and `{b}` its block from 0 (stkeras' `{n}` from
1). A new checkpoint family is one more table. The tensors are read without
PyTorch (`stkeras.weights.read_torch_checkpoint`) and converted by
`stkeras.weights.mapping`.

Example:
>>> names = torchvision_names("r2plus1d", depth=18)
>>> names["layer2.0.conv1.0.3"], names["layer2.0.downsample.1"], names["stem.3"]
('conv3_1/op1/temporal', 'conv3_1/projection_bn', 'conv1/temporal')
"""

import os

from stkeras.models.video_resnet import DEPTHS
from stkeras.weights.mapping import load_mapped_weights
from stkeras.weights.mapping import mismatched_classifier
from stkeras.weights.torch_checkpoint import read_torch_checkpoint

# torchvision's BasicBlock: conv1 = (op, BN, ReLU), conv2 = (op, BN), downsample = (1x1x1 conv, BN).
_BLOCK = {
    "layer{l}.{b}.conv1.0": "conv{s}_{n}/op1",
    "layer{l}.{b}.conv1.1": "conv{s}_{n}/op1_bn",
    "layer{l}.{b}.conv2.0": "conv{s}_{n}/op2",
    "layer{l}.{b}.conv2.1": "conv{s}_{n}/op2_bn",
    "layer{l}.{b}.downsample.0": "conv{s}_{n}/projection",
    "layer{l}.{b}.downsample.1": "conv{s}_{n}/projection_bn",
}
# torchvision's Conv2Plus1D: (1xkxk conv, BN, ReLU, tx1x1 conv) in place of each op.
_BLOCK_2PLUS1D = {
    **{key: value for key, value in _BLOCK.items() if ".conv" not in key or key.endswith(".1")},
    **{f"layer{{l}}.{{b}}.conv{i}.0.{j}": f"conv{{s}}_{{n}}/op{i}/{part}"
       for i in (1, 2) for j, part in ((0, "spatial"), (1, "spatial_bn"), (3, "temporal"))},
}
_BASIC_STEM = {"stem.0": "conv1", "stem.1": "conv1_bn"}  # (3x7x7 conv, BN, ReLU)
_HEAD = {"fc": "predictions"}

# kind -> {"stem": ..., "block": ..., "head": ...}. mc2 ... mc5 are torchvision's VideoResNet with
# Conv3DSimple before stage conv{x}_x and Conv3DNoTemporal from it on (mc3_18 is its pretrained one).
TABLES = {
    "r3d": {"stem": _BASIC_STEM, "block": _BLOCK, "head": _HEAD},
    **{f"mc{x}": {"stem": _BASIC_STEM, "block": _BLOCK, "head": _HEAD} for x in range(2, 6)},
    "r2plus1d": {
        # R2Plus1dStem: (1x7x7 conv to 45, BN, ReLU, 3x1x1 conv, BN, ReLU).
        "stem": {"stem.0": "conv1/spatial", "stem.1": "conv1/spatial_bn", "stem.3": "conv1/temporal",
                 "stem.4": "conv1_bn"},
        "block": _BLOCK_2PLUS1D,
        "head": _HEAD,
    },
}


def torchvision_names(kind, *, depth=18):
    """`{torchvision module: stkeras layer path}` of a kind's network at a depth of basic blocks.

    Args:
        kind: a kind of `TABLES` (`"r3d"`, `"mc2"` ... `"mc5"`, `"r2plus1d"`).
        depth: 10, 18 or 34.
    """
    if kind not in TABLES:
        raise ValueError(f"No torchvision weights table for kind {kind!r}. Kinds with one: "
                         f"{', '.join(map(repr, TABLES))}. Received: kind={kind!r}")
    block_type, counts = DEPTHS.get(depth, (None, ()))
    if block_type != "basic":
        basic = ", ".join(str(d) for d, (b, _) in DEPTHS.items() if b == "basic")
        raise ValueError(f"torchvision's video ResNets have basic blocks: depth must be one of {basic}. "
                         f"Received: depth={depth!r}")
    table = {**TABLES[kind]["stem"], **TABLES[kind]["head"]}
    for stage, count in enumerate(counts, start=1):
        for block in range(count):
            for source, target in TABLES[kind]["block"].items():
                table[source.format(l=stage, b=block)] = target.format(s=stage + 1, n=block + 1)
    return table


def load_torchvision_weights(model, path, *, kind, depth=18):
    """Loads a torchvision video ResNet checkpoint into a model of `convention="torchvision"`.

    The classifier (`fc`) loads when its shape is the model's
    `predictions` layer's; with another number of classes it is left as
    initialized (fine-tuning) and the rest loads.

    Args:
        model: `build_video_resnet(kind=kind, depth=depth, convention="torchvision")`.
        path: a `.pth` file of torchvision's `state_dict` (PyTorch is not needed).
        kind, depth: the model's.

    Returns:
        the paths of the model weights loaded.

    Raises:
        ValueError: naming the file and what does not fit.
    """
    table = torchvision_names(kind, depth=depth)
    state = read_torch_checkpoint(path)
    skip = mismatched_classifier(model, state, "fc")  # another number of classes: a new classifier
    return load_mapped_weights(model, state, table, source=os.fspath(path), skip=skip)
