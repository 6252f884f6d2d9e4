"""Writes PyTorchVideo's X3D and torchvision's S3D reference checkpoints and outputs for `test_x3d_s3d_weights.py`.

Run as a script in its own process (`python x3d_s3d_reference.py FOLDER`):
the tests never import torch themselves (PyTorch's compiler stack crashes
when it is loaded after TensorFlow). The models are the peers' own, built by
`pytorchvideo.models.x3d.create_x3d` (as `pytorchvideo.models.hub.x3d_xs`,
`x3d_s` and X3D-L are) and `torchvision.models.video.s3d`, with random
weights and batch-norm statistics, in evaluation mode. The folder holds the
clips (`{name}_clips.npy`, NTHWC) of `CASES`; the script writes per case
`{name}.pyth` (X3D: PyTorchVideo's checkpoint layout, the `state_dict` under
`"model_state"` beside an epoch and a config string) or `{name}.pth`
(torchvision's `state_dict`), the outputs `{name}_outputs.npy` and the
features before the classifier `{name}_features.npy`.
"""

import os
import sys

import numpy as np
import torch
import torchvision.models.video as video
from pytorchvideo.models.x3d import create_x3d

# name -> (builder arguments, what the case checks); clips are (batch, frames, size, size, 3).
CASES = {
    # X3D-XS and X3D-S (PyTorchVideo's hub models at a smaller crop: the same weights), and X3D-L's depth.
    "x3d_xs": {"clip": (2, 4, 64, 64), "x3d": {"input_clip_length": 4, "input_crop_size": 64}},
    "x3d_s": {"clip": (1, 13, 64, 64), "x3d": {"input_clip_length": 13, "input_crop_size": 64}},
    "x3d_l": {"clip": (1, 4, 64, 64), "x3d": {"input_clip_length": 4, "input_crop_size": 64, "depth_factor": 5.0}},
    # Logits (no softmax) of a model built for 64x64 run on 96x96 clips: the head pools 2x2 windows.
    "x3d_xs_windows": {"clip": (1, 4, 96, 96),
                       "x3d": {"input_clip_length": 4, "input_crop_size": 64, "head_activation": None}},
    # torchvision's s3d as it is, at the smallest clip its 2x7x7 average pooling takes.
    "s3d": {"clip": (1, 13, 209, 209), "s3d": {}},
    # ... and with the pooling window 2x2x2 on 24 frames of 96x96: 2x2x2 windows averaged.
    "s3d_windows": {"clip": (1, 24, 96, 96), "s3d": {"avgpool": (2, 2, 2)}},
}


def _randomize_norms(model):
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm3d):
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.2, 0.2)
                module.running_mean.uniform_(-0.5, 0.5)
                module.running_var.uniform_(0.5, 2.0)
    return model


def _x3d(arguments):
    torch.manual_seed(0)
    model = _randomize_norms(create_x3d(**arguments))
    with torch.no_grad():
        model.blocks[5].proj.weight.normal_(0, 0.1)
    head = model.blocks[5]
    body = torch.nn.Sequential(*model.blocks[:5], head.pool)  # ... ProjectedPool: fc1's output per window
    return model.eval(), lambda clips: body(clips).mean(dim=(2, 3, 4))


def _s3d(arguments):
    torch.manual_seed(0)
    model = _randomize_norms(video.s3d(weights=None))
    if "avgpool" in arguments:
        model.avgpool = torch.nn.AvgPool3d(arguments["avgpool"], stride=1)
    with torch.no_grad():
        model.classifier[1].weight.normal_(0, 0.1)
    body = torch.nn.Sequential(model.features, model.avgpool)
    return model.eval(), lambda clips: body(clips).mean(dim=(2, 3, 4))


def main(folder):
    for name, case in CASES.items():
        clips = torch.from_numpy(np.load(os.path.join(folder, f"{name}_clips.npy")).transpose(0, 4, 1, 2, 3))
        if "x3d" in case:
            model, features = _x3d(case["x3d"])
            state = {"model_state": model.state_dict(), "epoch": 300, "cfg": "MODEL:\n  ARCH: x3d\n"}
            torch.save(state, os.path.join(folder, f"{name}.pyth"))
        else:
            model, features = _s3d(case["s3d"])
            torch.save(model.state_dict(), os.path.join(folder, f"{name}.pth"))
        with torch.no_grad():
            np.save(os.path.join(folder, f"{name}_outputs.npy"), model(clips).numpy())
            np.save(os.path.join(folder, f"{name}_features.npy"), features(clips).numpy())
    # A plain state_dict of X3D-XS (no "model_state" around it).
    torch.save(torch.load(os.path.join(folder, "x3d_xs.pyth"))["model_state"], os.path.join(folder, "x3d_xs_plain.pt"))


if __name__ == "__main__":
    main(sys.argv[1])
