"""One training step of FusedBatchNormalization vs Keras' BatchNormalization, per layer and in Courtney & Sreenivas 2022's models.

`FusedBatchNormalization` folds frames into the batch and runs TensorFlow's
fused batch-norm kernel (forward and gradient). Measured side by side in
one run: forward + backward + Adam update, median of `--repeats` steps after
two warm-up steps, the peers interleaved, with the memory setting the
command line uses (`stkeras.allocator.keep_freed_memory`). Peers:

- `fused`: stkeras as it builds its models;
- `keras`: every FusedBatchNormalization replaced by Keras' layer;
- `none`: no normalization at all (the floor batch norm could reach).

Prints one JSON line per measurement and a table with ratios (> 1 means
the fused layer is faster).

    python benchmarks/batch_norm.py [--repeats 7] [--skip-models]
"""

import argparse
import os
from unittest import mock

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import stkeras  # noqa: E402
from stkeras.allocator import keep_freed_memory  # noqa: E402
from stkeras.layers import FusedBatchNormalization  # noqa: E402
from timing import median_times  # noqa: E402
from timing import run_cases  # noqa: E402  (benchmarks/timing.py)

# The modules whose blocks build FusedBatchNormalization layers; a peer swaps them all.
USERS = ("stkeras.blocks.bottleneck", "stkeras.blocks.basic", "stkeras.layers.pseudo3d",
         "stkeras.layers.conv2plus1d")


def _identity(**kwargs):
    return keras.layers.Identity(name=kwargs.get("name"))


PEERS = {"fused": FusedBatchNormalization, "keras": keras.layers.BatchNormalization, "none": _identity}


def train_step(model, x, y):
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    return lambda: model.train_on_batch(x, y)


def layer_case(shape, repeats):
    x = np.random.default_rng(0).normal(size=shape).astype("float32")
    steps = {}
    for peer, cls in PEERS.items():
        inputs = keras.Input(shape[1:])
        model = keras.Model(inputs, cls(momentum=0.9, name="bn")(inputs))
        model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
        steps[peer] = lambda model=model: model.train_on_batch(x, x)
    return median_times(steps, repeats)


def model_case(op, repeats, batch=32):
    x = np.random.default_rng(0).uniform(size=(batch, 16, 32, 32, 1)).astype("float32")
    y = np.zeros((batch,), "int32")
    steps = {}
    for peer, cls in PEERS.items():
        patches = [mock.patch(f"{module}.FusedBatchNormalization", cls) for module in USERS]
        for patch in patches:
            patch.start()
        try:
            steps[peer] = train_step(stkeras.build_courtney_resnet(op=op, input_shape=x.shape[1:], task="digit"),
                                     x, y)
        finally:
            for patch in patches:
                patch.stop()
    return median_times(steps, repeats)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--skip-models", action="store_true", help="skip the whole-model cases")
    args = parser.parse_args()
    keep_freed_memory()
    device = "GPU" if tf.config.list_physical_devices("GPU") else f"CPU x{os.cpu_count()}"
    cases = {
        "BN 16 channels B=32 16x16x16": lambda: layer_case((32, 16, 16, 16, 16), args.repeats),
        "BN 64 channels B=32 16x16x16": lambda: layer_case((32, 16, 16, 16, 64), args.repeats),
        "BN 128 channels B=32 16x4x4": lambda: layer_case((32, 16, 4, 4, 128), args.repeats),
    }
    if not args.skip_models:
        for op in ("conv2d", "conv3d", "ts_conv3d", "convlstm"):
            cases[f"Courtney & Sreenivas 2022 {op} model (base) B=32 16x32x32x1"] = lambda op=op: model_case(op, args.repeats)
    rows = run_cases(cases, device)
    print(f"\nTraining step, median of {args.repeats} ({device}); ratio = keras time / fused time")
    print("| case | fused (s) | keras BN (s) | no BN (s) | keras / fused |")
    print("|---|---|---|---|---|")
    for case, r in rows:
        print(f"| {case} | {r['fused']:.3f} | {r['keras']:.3f} | {r['none']:.3f} | {r['keras'] / r['fused']:.2f}x |")


if __name__ == "__main__":
    main()
