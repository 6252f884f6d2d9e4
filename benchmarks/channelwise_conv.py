"""How to compute X3D's channel-wise 3x3x3 convolution on TensorFlow's CPU: the options side by side, one run.

    python benchmarks/channelwise_conv.py [--batch 2] [--repeats 5]

At the shapes of X3D-S's stages (13 frames of 160x160 clips), times the
forward pass and a training step (forward, gradients of the input and the
kernel) of:

- `ChannelwiseConv3D` (stkeras): one 2D depthwise convolution per temporal
  tap over the frames it reads, time folded into the batch, summed;
- `keras.layers.Conv3D(groups=channels)`: Keras' grouped convolution, which
  TensorFlow runs on a CPU only through XLA;
- one 2D depthwise convolution with a depth multiplier of 3 (every tap's
  kernel at once) over all frames, then the taps' outputs shifted in time
  and summed;
- 27 shifted products of the clip with the kernel's taps, summed.

All give the same outputs (the largest difference is printed). Median
seconds of interleaved rounds, and each option's time over stkeras'.
"""

import argparse
import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras import ops  # noqa: E402

from stkeras.layers import ChannelwiseConv3D  # noqa: E402
from timing import median_times  # noqa: E402  (benchmarks/timing.py)

# (stage, frames, size, channels, spatial stride) of X3D-S's channel-wise convolutions at 160x160.
CASES = [("res2_1", 13, 80, 54, 2), ("res2_2", 13, 40, 54, 1), ("res3_2", 13, 20, 108, 1), ("res4_2", 13, 10, 216, 1),
         ("res5_2", 13, 5, 432, 1)]


def _pad(x):
    return ops.pad(x, [(0, 0), (1, 1), (1, 1), (1, 1), (0, 0)])


def multiplier(x, kernel, stride):
    """Every tap's 2D kernel at once (depth multiplier 3) over all frames, then the taps shifted and summed."""
    x = _pad(x)
    frames, height, width, channels = x.shape[1:]
    images = ops.reshape(x, (-1, height, width, channels))
    taps = ops.transpose(kernel[..., 0, :], (1, 2, 3, 0))  # (3, 3, channels, 3 taps)
    y = ops.depthwise_conv(images, taps, strides=stride)
    y = ops.reshape(y, (-1, frames, y.shape[1], y.shape[2], channels, 3))
    return sum(y[:, tap:tap + frames - 2, :, :, :, tap] for tap in range(3))


def shifted_products(x, kernel, stride):
    """27 shifted views of the clip times the kernel's taps, summed."""
    x = _pad(x)
    frames, height, width = x.shape[1] - 2, (x.shape[2] - 3) // stride + 1, (x.shape[3] - 3) // stride + 1
    return sum(x[:, a:a + frames, b:b + (height - 1) * stride + 1:stride, c:c + (width - 1) * stride + 1:stride]
               * kernel[a, b, c, 0] for a in range(3) for b in range(3) for c in range(3))


def measure(case, batch, repeats):
    _, frames, size, channels, stride = case
    rng = np.random.default_rng(0)
    x = tf.constant(rng.normal(size=(batch, frames, size, size, channels)).astype("float32"))
    layer = ChannelwiseConv3D(channels, 3, strides=(1, stride, stride), symmetric_padding=True, use_bias=False)
    layer.build(x.shape)
    grouped = keras.layers.Conv3D(channels, 3, strides=(1, stride, stride), groups=channels, use_bias=False)
    grouped.build((None, frames + 2, size + 2, size + 2, channels))
    grouped.set_weights(layer.get_weights())
    kernel = layer.kernel
    options = {
        "stkeras": lambda v: layer(v),
        "grouped_conv3d_xla": lambda v: grouped(_pad(v)),
        "depth_multiplier": lambda v: multiplier(v, kernel, stride),
        "shifted_products": lambda v: shifted_products(v, kernel, stride),
    }
    steps, reference, errors = {}, None, {}
    for name, compute in options.items():
        forward = tf.function(compute)

        @tf.function
        def train(v, compute=compute):
            with tf.GradientTape() as tape:
                tape.watch(v)
                loss = tf.reduce_sum(compute(v) ** 2)
            return tape.gradient(loss, [v, kernel])

        y = forward(x).numpy()
        reference = y if reference is None else reference
        errors[name] = float(np.abs(y - reference).max())
        steps[f"{name}_forward"] = lambda forward=forward: forward(x).numpy()
        steps[f"{name}_train"] = lambda train=train: [g.numpy() for g in train(x)]
    return median_times(steps, repeats, warmups=1), errors


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(json.dumps({"load_before": os.getloadavg(), "cores": os.cpu_count()}), flush=True)
    rows = []
    for case in CASES:
        times, errors = measure(case, args.batch, args.repeats)
        print(json.dumps({"case": case[0], **{k: round(v, 4) for k, v in times.items()}, "errors": errors}), flush=True)
        rows.append((case, times))
    print(json.dumps({"load_after": os.getloadavg()}), flush=True)
    names = ("stkeras", "grouped_conv3d_xla", "depth_multiplier", "shifted_products")
    print(f"\nbatch {args.batch}, X3D-S's stages at 13x160x160 clips; seconds (forward / training step), "
          "and the time over stkeras'")
    print("| case | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    for (stage, frames, size, channels, stride), t in rows:
        cells = [f"{t[f'{n}_forward']:.3f} / {t[f'{n}_train']:.3f}" + (
            "" if n == "stkeras" else f" ({t[f'{n}_forward'] / t['stkeras_forward']:.1f}× / "
                                      f"{t[f'{n}_train'] / t['stkeras_train']:.1f}×)") for n in names]
        print(f"| {stage} {frames}×{size}×{size}×{channels}, stride {stride} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
