"""PyTorchVideo's X3D checkpoints in stkeras' X3D: the name table and the loader.

PyTorchVideo's `x3d_xs`, `x3d_s`, `x3d_m` (`pytorchvideo.models.hub`) and
`create_x3d(input_clip_length=16, input_crop_size=312, depth_factor=5.0)`
(X3D-L) are `build_x3d` with the arguments of the presets of the same names.
Their Kinetics-400 checkpoints (`X3D_XS.pyth`, `X3D_S.pyth`, `X3D_M.pyth`,
`X3D_L.pyth` in PyTorchVideo's model zoo) are dicts holding the
`state_dict` under `"model_state"`; a plain `state_dict` of the same model
loads too. The table maps PyTorchVideo's module names to stkeras layer
paths: `{s}` is PyTorchVideo's stage (`blocks.1` ... `blocks.4`, stkeras'
res2 ... res5) and `{b}` its block from 0 (stkeras' `{n}` from 1). The
tensors are read without PyTorch (`stkeras.weights.read_torch_checkpoint`).
PySlowFast's X3D checkpoints (`x3d_s.pyth` there) name their modules
otherwise and would be one more table.

Example:
>>> names = pytorchvideo_names((3, 5, 11, 7))
>>> names["blocks.0.conv.conv_t"], names["blocks.2.res_blocks.0.branch2.norm_b.1.block.0"]
('conv1_spatial', 'res3_1/squeeze_excitation/reduce')
"""

import os

from stkeras.models.x3d import STAGES
from stkeras.weights.mapping import load_mapped_weights
from stkeras.weights.mapping import mismatched_classifier
from stkeras.weights.torch_checkpoint import read_torch_checkpoint

# PyTorchVideo's stem is Conv2plus1d(conv_t=the 1x3x3 convolution, conv_xy=the 5x1x1 one): the names are swapped.
STEM = {"blocks.0.conv.conv_t": "conv1_spatial", "blocks.0.conv.conv_xy": "conv1_temporal",
        "blocks.0.norm": "conv1_bn"}
# ResBlock(branch1_conv, branch1_norm, branch2=BottleneckBlock(conv_a, norm_a, conv_b, norm_b=(BN, SE), conv_c, norm_c)).
BLOCK = {
    "branch1_conv": "projection",
    "branch1_norm": "projection_bn",
    "branch2.conv_a": "reduce",
    "branch2.norm_a": "reduce_bn",
    "branch2.conv_b": "op",
    "branch2.norm_b.0": "op_bn",
    "branch2.norm_b.1.block.0": "squeeze_excitation/reduce",
    "branch2.norm_b.1.block.2": "squeeze_excitation/expand",
    "branch2.conv_c": "expand",
    "branch2.norm_c": "expand_bn",
}
# ResNetBasicHead(pool=ProjectedPool(pre_conv, pre_norm, post_conv), proj).
HEAD = {"blocks.5.pool.pre_conv": "conv5", "blocks.5.pool.pre_norm": "conv5_bn", "blocks.5.pool.post_conv": "fc1",
        "blocks.5.proj": "predictions"}
CLASSIFIER = "blocks.5.proj"


def pytorchvideo_names(blocks):
    """`{PyTorchVideo module: stkeras layer path}` of an X3D with `blocks` per stage res2 ... res5.

    Args:
        blocks: four block counts, e.g. `(3, 5, 11, 7)` for X3D-XS, S and M.
    """
    table = {**STEM, **HEAD}
    for stage, count in enumerate(blocks, start=1):
        for block in range(count):
            for source, target in BLOCK.items():
                table[f"blocks.{stage}.res_blocks.{block}.{source}"] = f"{STAGES[stage - 1]}_{block + 1}/{target}"
    return table


def model_blocks(model):
    """Blocks per stage res2 ... res5 of a built X3D (from its layer names)."""
    names = {layer.name for layer in model.layers}
    return tuple(sum(1 for n in names if n.startswith(f"{stage}_") and n[len(stage) + 1:].isdigit())
                 for stage in STAGES)


def load_pytorchvideo_weights(model, path):
    """Loads a PyTorchVideo X3D checkpoint into a model of `build_x3d` with the same design.

    The classifier (`blocks.5.proj`) loads when its shape is the model's
    `predictions` layer's; with another number of classes it is left as
    initialized (fine-tuning) and the rest loads.

    Args:
        model: `build_x3d(...)` (e.g. `from_preset("x3d_s")`).
        path: a `.pyth` / `.pth` / `.pt` file (PyTorch is not needed).

    Returns:
        the paths of the model weights loaded.

    Raises:
        ValueError: naming the file and what does not fit.
    """
    state = read_torch_checkpoint(path)
    skip = mismatched_classifier(model, state, CLASSIFIER)
    return load_mapped_weights(model, state, pytorchvideo_names(model_blocks(model)), source=os.fspath(path),
                               skip=skip)

