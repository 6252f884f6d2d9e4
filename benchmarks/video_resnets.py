"""Parameters, multiply-accumulates and training-step time of Tran et al. 2018's video ResNets.

Every kind at one depth on the same input, side by side in one run:

    python benchmarks/video_resnets.py [--depth 18] [--frames 8] [--size 112] [--batch 2]

Prints one JSON line per kind and a table with ratios to R3D (Tran et al. 2018
claims R(2+1)D costs about as much as R3D).
"""

import argparse
import json
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from stkeras import build_video_resnet  # noqa: E402
from stkeras.analysis import count_flops  # noqa: E402
from stkeras.models.video_resnet import KINDS  # noqa: E402


def measure(kind, depth, shape, batch, repeats):
    keras.utils.clear_session()
    model = build_video_resnet(kind=kind, depth=depth, input_shape=shape, num_classes=400)
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="sparse_categorical_crossentropy")
    x = np.random.default_rng(0).uniform(size=(batch, *shape)).astype("float32")
    y = np.zeros((batch,), "int32")
    model.train_on_batch(x, y)
    model.train_on_batch(x, y)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        model.train_on_batch(x, y)
        times.append(time.perf_counter() - start)
    trainable = int(sum(np.prod(w.shape) for w in model.trainable_weights))
    return {"params": trainable, "macs": count_flops(model), "step_seconds": float(np.median(times))}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--depth", type=int, default=18)
    parser.add_argument("--frames", type=int, default=8)
    parser.add_argument("--size", type=int, default=112)
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    shape = (args.frames, args.size, args.size, 3)
    device = "GPU" if tf.config.list_physical_devices("GPU") else f"CPU x{os.cpu_count()}"
    rows = {}
    for kind in KINDS:
        rows[kind] = measure(kind, args.depth, shape, args.batch, args.repeats)
        print(json.dumps({"kind": kind, "depth": args.depth, "input": list(shape), "batch": args.batch,
                          "device": device, **rows[kind]}), flush=True)
    base = rows["r3d"]
    print(f"\nDepth {args.depth}, input {args.frames}x{args.size}x{args.size}x3, batch {args.batch}, {device}; "
          "ratios to R3D")
    print("| kind | parameters | MACs per clip | train step (s) | params / R3D | MACs / R3D | time / R3D |")
    print("|---|---|---|---|---|---|---|")
    for kind, r in rows.items():
        print(f"| {kind} | {r['params'] / 1e6:.1f}M | {r['macs'] / 1e9:.1f}G | {r['step_seconds']:.2f} | "
              f"{r['params'] / base['params']:.2f} | {r['macs'] / base['macs']:.2f} | "
              f"{r['step_seconds'] / base['step_seconds']:.2f} |")


if __name__ == "__main__":
    main()
