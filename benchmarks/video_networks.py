"""Video networks against their PyTorch peers: training and inference steps side by side, in one run.

    python benchmarks/video_networks.py [--repeats 3] [--rows x3d_s r2plus1d_18 ...]

stkeras' X3D-XS, X3D-S, S3D, R(2+1)D-18 and R3D-18 against the same networks
of PyTorchVideo (`create_x3d`, as its hub's `x3d_xs` and `x3d_s`) and
torchvision (`s3d`, `r2plus1d_18`, `r3d_18`), each on the clips of its row
(`ROWS`). A training step is a forward and backward pass and an SGD update
of every weight on one batch (Keras' `train_on_batch`; PyTorch's
`loss.backward()` and `optimizer.step()`), sparse cross-entropy on logits;
an inference step is the forward pass in inference mode (`predict_on_batch`;
`model.eval()` under `torch.inference_mode()`). Each row builds both peers
with random weights, runs warm-up steps (two of Keras', which traces its
step at the first, one of PyTorch's), then `--repeats` rounds
with the peers' steps interleaved, and reports medians. The last row runs
R(2+1)D-18 on X3D-S's clips, for the fine-tuning comparison. Prints one JSON
line per measurement, then a table of ratios (`torch / stkeras`: above 1,
stkeras is faster) and the machine's load before and after.

Needs torch, torchvision and pytorchvideo; torch is imported before
TensorFlow (PyTorch's compiler stack fails when loaded after it).
"""

import argparse
import gc
import json
import os
import platform

import numpy as np
import torch  # noqa: I001 (before TensorFlow)
import torchvision.models.video as tv_video
from pytorchvideo.models.x3d import create_x3d

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402

from stkeras import from_preset  # noqa: E402
from timing import median_times  # noqa: E402  (benchmarks/timing.py)

# row -> (stkeras preset, PyTorch peer, clip (frames, size), batch, what the row is)
ROWS = {
    "x3d_xs": ("x3d_xs", "x3d", (4, 160), 4, "X3D-XS at its clips"),
    "x3d_s": ("x3d_s", "x3d", (13, 160), 2, "X3D-S at its clips"),
    "s3d": ("s3d", "s3d", (16, 224), 1, "S3D, the smallest clip torchvision's s3d takes"),
    "r2plus1d_18": ("r2plus1d_18", "r2plus1d_18", (8, 112), 4, "R(2+1)D-18 at 8 of torchvision's 112x112 frames"),
    "r3d_18": ("r3d_18", "r3d_18", (8, 112), 4, "R3D-18 at 8 of torchvision's 112x112 frames"),
    "r2plus1d_18_x3d_s_clips": ("r2plus1d_18", "r2plus1d_18", (13, 160), 2, "R(2+1)D-18 at X3D-S's clips"),
}
CLASSES = 400


def _torch_model(peer, frames, size):
    if peer == "x3d":
        # PyTorchVideo's hub X3D-XS and X3D-S are create_x3d at their clip (the depth factor is 2.2 for both);
        # without the softmax, so that the loss reads logits as stkeras' does.
        return create_x3d(input_clip_length=frames, input_crop_size=size, head_activation=None)
    return getattr(tv_video, peer)(weights=None)


def _stkeras_model(preset, frames, size):
    # torchvision's video ResNet checkpoints are trained as the torchvision convention; X3D and S3D have one.
    extra = {"convention": "torchvision"} if preset.startswith("r") else {}
    return from_preset(preset, input_shape=(frames, size, size, 3), classifier_activation=None, **extra)


def measure(row, repeats):
    preset, peer, (frames, size), batch, _ = ROWS[row]
    keras.utils.clear_session()
    gc.collect()
    rng = np.random.default_rng(0)
    clips = rng.uniform(size=(batch, frames, size, size, 3)).astype("float32")
    labels = rng.integers(0, CLASSES, size=batch)

    model = _stkeras_model(preset, frames, size)
    model.compile(optimizer=keras.optimizers.SGD(0.01),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))

    torch.manual_seed(0)
    net = _torch_model(peer, frames, size)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.01)
    loss_fn = torch.nn.CrossEntropyLoss()
    x = torch.from_numpy(clips.transpose(0, 4, 1, 2, 3).copy())
    y = torch.from_numpy(labels)

    def torch_train():
        net.train()
        optimizer.zero_grad()
        loss = loss_fn(net(x), y)
        loss.backward()
        optimizer.step()

    def torch_infer():
        net.eval()
        with torch.inference_mode():
            net(x)

    steps = {
        "stkeras_train": lambda: model.train_on_batch(clips, labels),
        "torch_train": torch_train,
        "stkeras_infer": lambda: model.predict_on_batch(clips),
        "torch_infer": torch_infer,
    }
    # Keras traces its step at the first call: two warm-ups for stkeras, one for PyTorch.
    times = median_times(steps, repeats, warmups={name: 2 if name.startswith("stkeras") else 1 for name in steps})
    del model, net, optimizer
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rows", nargs="+", default=list(ROWS), choices=list(ROWS))
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1,
                        help="threads of both frameworks (default: one per core)")
    args = parser.parse_args()
    import tensorflow as tf

    torch.set_num_threads(args.threads)
    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
               platform.processor())
    machine = (f"{cpu}, {os.cpu_count()} cores, {args.threads} thread(s) per framework; TensorFlow {tf.__version__}, "
               f"Keras {keras.__version__}, torch {torch.__version__}")
    print(json.dumps({"machine": machine, "load_before": os.getloadavg()}), flush=True)
    results = {}
    for row in args.rows:
        results[row] = measure(row, args.repeats)
        preset, peer, (frames, size), batch, _ = ROWS[row]
        print(json.dumps({"row": row, "preset": preset, "peer": peer, "clip": [batch, frames, size, size, 3],
                          **{k: round(v, 4) for k, v in results[row].items()}, "load": os.getloadavg()}), flush=True)
    print(json.dumps({"load_after": os.getloadavg()}), flush=True)
    print(f"\n{machine}; medians of {args.repeats} interleaved rounds; torch / stkeras > 1: stkeras is faster")
    print("| row | clips | stkeras train (s) | torch train (s) | torch / stkeras | stkeras infer (s) | "
          "torch infer (s) | torch / stkeras |")
    print("|---|---|---|---|---|---|---|---|")
    for row, r in results.items():
        _, _, (frames, size), batch, text = ROWS[row]
        print(f"| {text} | {batch}×{frames}×{size}×{size} | {r['stkeras_train']:.3f} | {r['torch_train']:.3f} | "
              f"{r['torch_train'] / r['stkeras_train']:.2f}× | {r['stkeras_infer']:.3f} | {r['torch_infer']:.3f} | "
              f"{r['torch_infer'] / r['stkeras_infer']:.2f}× |")
    if {"x3d_s", "r2plus1d_18_x3d_s_clips"} <= set(results):
        ratio = results["r2plus1d_18_x3d_s_clips"]["stkeras_train"] / results["x3d_s"]["stkeras_train"]
        peers = results["r2plus1d_18_x3d_s_clips"]["torch_train"] / results["x3d_s"]["torch_train"]
        print(f"\nTraining step of R(2+1)D-18 over X3D-S's on X3D-S's clips: stkeras {ratio:.2f}× (goal: at least 5×), "
              f"torchvision over PyTorchVideo {peers:.2f}×")


if __name__ == "__main__":
    main()
