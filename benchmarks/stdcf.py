"""STDCF vs Conv3D vs Rank1Conv3D: parameters, multiply-accumulates and training-step time.

Side by side in one run, at several channel widths, including STDCF's two
implementations (rebuilt kernel vs the paper's three convolutions):

    python benchmarks/stdcf.py [--widths 16 32 64 128] [--frames 16] [--size 28] [--batch 4]

Prints JSON lines and a table with ratios to Conv3D; Miao et al. 2021 predicts a
parameter/FLOP reduction of about (N / t) * (M / k^2) = 0.44 for M=6, N=2,
t=k=3 (the FLOP figure for the three-convolution form).
"""

import argparse
import json
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from stkeras.analysis import count_flops  # noqa: E402
from stkeras.layers import Rank1Conv3D  # noqa: E402
from stkeras.layers import STDCFConv3D  # noqa: E402

PEERS = {
    "conv3d": lambda c: keras.layers.Conv3D(c, 3, padding="same"),
    "rank1": lambda c: Rank1Conv3D(c, 3),
    "stdcf (kernel)": lambda c: STDCFConv3D(c, 3, num_spatial_atoms=6, num_temporal_atoms=2, implementation="kernel"),
    "stdcf (atoms)": lambda c: STDCFConv3D(c, 3, num_spatial_atoms=6, num_temporal_atoms=2, implementation="atoms"),
}


def measure(make_layer, width, shape, batch, repeats):
    keras.utils.clear_session()
    inputs = keras.Input((*shape, width))
    model = keras.Model(inputs, make_layer(width)(inputs))
    model.compile(optimizer=keras.optimizers.SGD(1e-3), loss="mse")
    x = np.random.default_rng(0).normal(size=(batch, *shape, width)).astype("float32")
    y = np.zeros(model.output.shape[1:], "float32")[None].repeat(batch, 0)
    for _ in range(2):
        model.train_on_batch(x, y)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        model.train_on_batch(x, y)
        times.append(time.perf_counter() - start)
    return {"params": model.count_params(), "macs": count_flops(model), "step_seconds": float(np.median(times))}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widths", type=int, nargs="+", default=[16, 32, 64, 128])
    parser.add_argument("--frames", type=int, default=16)
    parser.add_argument("--size", type=int, default=28)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    shape = (args.frames, args.size, args.size)
    device = "GPU" if tf.config.list_physical_devices("GPU") else f"CPU x{os.cpu_count()}"
    rows = []
    for width in args.widths:
        results = {peer: measure(make, width, shape, args.batch, args.repeats) for peer, make in PEERS.items()}
        for peer, r in results.items():
            print(json.dumps({"width": width, "peer": peer, "input": [*shape, width], "batch": args.batch,
                              "device": device, **r}), flush=True)
        rows.append((width, results))
    print(f"\n{args.frames}x{args.size}x{args.size} clips, C_in = C_out = width, batch {args.batch}, {device}; "
          "ratios to Conv3D (paper: about 0.44)")
    print("| width | layer | parameters | MACs per clip | train step (ms) | params / Conv3D | MACs / Conv3D | time / Conv3D |")
    print("|---|---|---|---|---|---|---|---|")
    for width, results in rows:
        base = results["conv3d"]
        for peer, r in results.items():
            print(f"| {width} | {peer} | {r['params']:,} | {r['macs'] / 1e6:.0f}M | {1000 * r['step_seconds']:.1f} | "
                  f"{r['params'] / base['params']:.2f} | {r['macs'] / base['macs']:.2f} | "
                  f"{r['step_seconds'] / base['step_seconds']:.2f} |")


if __name__ == "__main__":
    main()
