"""Writes torchvision's reference checkpoints and outputs for `test_torchvision_weights.py`.

Run as a script in its own process (`python torchvision_reference.py FOLDER`):
PyTorch's compiler stack (triton) crashes when it is loaded after
TensorFlow, so the tests never import torch themselves. The folder holds
`clips.npy` (NTHWC); the script writes, per kind of `KINDS`, `{kind}_18.pth`
(random weights and batch-norm statistics), `{kind}_logits.npy` and
`{kind}_features.npy` (the pooled features before `fc`) on those clips,
`r3d_18_legacy.pth` (the same r3d weights in torch.save's legacy format),
and `tensors.pth` / `tensors_legacy.pth` / `tensors_wrapped.pth` with their
expected values in `tensors.npz`.
"""

import os
import sys

import numpy as np
import torch
import torchvision.models.video as video

KINDS = {"r3d": video.r3d_18, "mc3": video.mc3_18, "r2plus1d": video.r2plus1d_18}


def _model(kind):
    torch.manual_seed(0)
    model = KINDS[kind](weights=None)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm3d):
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.2, 0.2)
                module.running_mean.uniform_(-0.5, 0.5)
                module.running_var.uniform_(0.5, 2.0)
        model.fc.weight.normal_(0, 0.1)
    return model.eval()


def main(folder):
    clips = torch.from_numpy(np.load(os.path.join(folder, "clips.npy")).transpose(0, 4, 1, 2, 3))  # NCTHW
    for kind in KINDS:
        model = _model(kind)
        torch.save(model.state_dict(), os.path.join(folder, f"{kind}_18.pth"))
        body = torch.nn.Sequential(model.stem, model.layer1, model.layer2, model.layer3, model.layer4, model.avgpool,
                                   torch.nn.Flatten())
        with torch.no_grad():
            np.save(os.path.join(folder, f"{kind}_logits.npy"), model(clips).numpy())
            np.save(os.path.join(folder, f"{kind}_features.npy"), body(clips).numpy())
        if kind == "r3d":
            torch.save(model.state_dict(), os.path.join(folder, "r3d_18_legacy.pth"),
                       _use_new_zipfile_serialization=False)
    tensors = {"conv.weight": torch.randn(4, 3, 1, 3, 3), "bn.num_batches_tracked": torch.tensor(7),
               "view": torch.randn(6, 4).t()[1:], "half": torch.randn(5).half(), "bf16": torch.randn(3).bfloat16()}
    torch.save(tensors, os.path.join(folder, "tensors.pth"))
    torch.save(tensors, os.path.join(folder, "tensors_legacy.pth"), _use_new_zipfile_serialization=False)
    torch.save({"epoch": 3, "state_dict": {f"module.{k}": v for k, v in tensors.items()}},
               os.path.join(folder, "tensors_wrapped.pth"))
    np.savez(os.path.join(folder, "tensors.npz"),
             **{k: (v.float() if v.dtype == torch.bfloat16 else v).numpy() for k, v in tensors.items()})


if __name__ == "__main__":
    main(sys.argv[1])
