"""One training step of FrameConv3D vs Keras' Conv3D, per layer and in Courtney & Sreenivas 2022's models.

`FrameConv3D` runs kernels without temporal extent (1×1×1, 1×k×k) as one 2D
convolution over the frames. Measured side by side in one run, forward +
backward + SGD update, median of `--repeats` steps after two warm-up steps,
the peers interleaved. Prints one JSON line per measurement and a table with
ratios (> 1 means FrameConv3D is faster).

    python benchmarks/frame_conv.py [--repeats 7] [--skip-models]

Cases: the shapes of Courtney & Sreenivas 2022's blocks at the quick recipe (B=32, T=16,
32×32 clips), and the four Courtney & Sreenivas 2022 models at that shape, once as stkeras
builds them and once with every FrameConv3D replaced by Keras' Conv3D.
"""

import argparse
import os
from unittest import mock

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import stkeras  # noqa: E402
from timing import median_times  # noqa: E402
from timing import run_cases  # noqa: E402  (benchmarks/timing.py)
from stkeras.blocks import register_op  # noqa: E402
from stkeras.layers import FrameConv3D  # noqa: E402

# The Keras peers of the conv3d and ts_conv3d ops (the same specs, Keras' layer).
register_op("keras_conv3d", layer=keras.layers.Conv3D, fixed={"padding": "same"}, temporal_stride=True,
            description="keras.layers.Conv3D (benchmark peer)")
register_op("keras_ts_conv3d", layer=keras.layers.Conv3D, fixed={"padding": "same"}, temporal_stride=True,
            strides_time_with_space=True, description="keras.layers.Conv3D striding time (benchmark peer)")

# The modules that build FrameConv3D layers; the Keras peer swaps them all.
USERS = ("stkeras.blocks.ops", "stkeras.blocks.bottleneck", "stkeras.blocks.arguments",
         "stkeras.layers.pseudo3d", "stkeras.layers.conv2plus1d")


def train_step(model, x, y):
    model.compile(optimizer=keras.optimizers.SGD(1e-3), loss="mse")
    return lambda: model.train_on_batch(x, y)


def layer_case(batch, frames, size, channels, filters, kernel, strides, repeats):
    x = np.random.default_rng(0).uniform(size=(batch, frames, size, size, channels)).astype("float32")
    steps = {}
    for label, cls in (("stkeras", FrameConv3D), ("keras", keras.layers.Conv3D)):
        inputs = keras.Input(x.shape[1:])
        model = keras.Model(inputs, cls(filters, kernel, strides=strides, padding="same")(inputs))
        steps[label] = train_step(model, x, np.zeros((batch,) + model.output.shape[1:], "float32"))
    return median_times(steps, repeats)


def model_case(op, repeats, batch=32):
    x = np.random.default_rng(0).uniform(size=(batch, 16, 32, 32, 1)).astype("float32")
    y = np.zeros((batch, 10), "float32")
    steps = {"stkeras": train_step(stkeras.build_courtney_resnet(op=op, input_shape=x.shape[1:]), x, y)}
    patches = [mock.patch(f"{module}.FrameConv3D", keras.layers.Conv3D) for module in USERS]
    for patch in patches:
        patch.start()
    try:
        keras_op = f"keras_{op}" if op in ("conv3d", "ts_conv3d") else op
        steps["keras"] = train_step(stkeras.build_courtney_resnet(op=keras_op, input_shape=x.shape[1:]), x, y)
    finally:
        for patch in patches:
            patch.stop()
    return median_times(steps, repeats)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--skip-models", action="store_true", help="skip the whole-model cases")
    args = parser.parse_args()
    device = "GPU" if tf.config.list_physical_devices("GPU") else f"CPU x{os.cpu_count()}"
    cases = {
        "reduce 1x1x1 64->16 16x16": lambda: layer_case(32, 16, 16, 64, 16, 1, 1, args.repeats),
        "expand 1x1x1 16->64 16x16": lambda: layer_case(32, 16, 16, 16, 64, 1, 1, args.repeats),
        "conv2d op 1x3x3 16->16 32x32 stride 2": lambda: layer_case(32, 16, 32, 16, 16, (1, 3, 3), (1, 2, 2),
                                                                     args.repeats),
        "projection 1x1x1 128->128 4x4": lambda: layer_case(32, 16, 4, 128, 128, 1, 1, args.repeats),
        "ts_conv3d op 3x3x3 16->16 16x16 stride 2": lambda: layer_case(32, 16, 16, 16, 16, 3, 2, args.repeats),
        "conv3d op 3x3x3 16->16 16x16 stride (1, 2, 2)": lambda: layer_case(32, 16, 16, 16, 16, 3, (1, 2, 2),
                                                                            args.repeats),
    }
    if not args.skip_models:
        for op in ("conv2d", "conv3d", "ts_conv3d", "convlstm"):
            cases[f"Courtney & Sreenivas 2022 {op} model (base) B=32 16x32x32x1"] = lambda op=op: model_case(op, args.repeats)
    rows = run_cases(cases, device)
    print(f"\nTraining step, median of {args.repeats} ({device}); ratio = keras time / stkeras time")
    print("| case | FrameConv3D (s) | keras Conv3D (s) | keras / FrameConv3D |")
    print("|---|---|---|---|")
    for case, r in rows:
        print(f"| {case} | {r['stkeras']:.3f} | {r['keras']:.3f} | {r['keras'] / r['stkeras']:.2f}x |")


if __name__ == "__main__":
    main()
