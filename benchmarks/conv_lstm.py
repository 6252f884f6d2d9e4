"""One training step of stkeras' ConvLSTM2D vs Keras' and a plain PyTorch loop.

Measured side by side in one run, forward + backward + SGD update, median of
`--repeats` steps after two warm-up steps; the peers' steps are interleaved
(one step of each per round) so that a slower spell of a shared machine
affects them alike. Prints one JSON line per measurement and a summary table
with ratios (> 1 means stkeras is faster).

The `convs` column is a floor, not a peer: a TensorFlow training step with
the same convolutions per frame (input and recurrent, the same shapes) and
the gate arithmetic replaced by a channel slice. No ConvLSTM built from these
convolutions can train faster than it, so `keras / convs` is the most any
such layer could gain over Keras' layer on the machine at hand.

    python benchmarks/conv_lstm.py [--repeats 9] [--skip-model]

Cases:
- `layer`: B=8, T=48, 32x32, 16 -> 16 channels, 3x3, "same" (DESIGN.md).
- `res1_1`: the first ConvLSTM of Courtney & Sreenivas 2022's ConvLSTM model: B=8, T=48,
  64x64x16 -> 16, stride 2.
- `model`: the whole Courtney & Sreenivas 2022 ConvLSTM model (base, 48x64x64x1), once with
  stkeras' layer and once with Keras' layer as every block's op.
"""

import argparse
import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import stkeras  # noqa: E402
from timing import median_times  # noqa: E402  (benchmarks/timing.py)
from stkeras.blocks import register_op  # noqa: E402
from stkeras.layers import ConvLSTM2D  # noqa: E402


@register_op("keras_convlstm", temporal_kernel=False, projection="convlstm",
             description="keras.layers.ConvLSTM2D (benchmark peer)")
def _keras_convlstm(filters, *, kernel_size, temporal_kernel_size, strides, temporal_strides, use_bias, name, **options):
    return keras.layers.ConvLSTM2D(
        filters, kernel_size, strides=strides, padding="same",
        use_bias=use_bias, return_sequences=True, name=name, **options,
    )


def keras_train_step(model, x, y):
    """A compiled `train_on_batch` step, as `fit` runs it."""
    model.compile(optimizer=keras.optimizers.SGD(1e-3), loss="mse")
    return lambda: model.train_on_batch(x, y)


def layer_model(layer_cls, shape, filters, strides):
    inputs = keras.Input(shape)
    outputs = layer_cls(filters, 3, strides=strides, padding="same", return_sequences=True)(inputs)
    return keras.Model(inputs, outputs)


def torch_step(batch, frames, size, channels, filters, strides):
    """A plain PyTorch ConvLSTM loop: one conv over cat([x_t, h]) per step.

    With a stride the input convolution cannot share the recurrent one, so
    it is a separate strided convolution per step.
    """
    import torch

    torch.set_num_threads(os.cpu_count() or 1)
    out = -(-size // strides)
    x = torch.rand(batch, frames, channels, size, size)
    target = torch.rand(batch, frames, filters, out, out)
    if strides == 1:
        conv = torch.nn.Conv2d(channels + filters, 4 * filters, 3, padding=1)
        params = list(conv.parameters())
    else:
        conv_x = torch.nn.Conv2d(channels, 4 * filters, 3, stride=strides, padding=1)
        conv_h = torch.nn.Conv2d(filters, 4 * filters, 3, padding=1, bias=False)
        params = list(conv_x.parameters()) + list(conv_h.parameters())
    optimizer = torch.optim.SGD(params, lr=1e-3)

    def step():
        h = torch.zeros(batch, filters, out, out)
        c = torch.zeros_like(h)
        outputs = []
        for t in range(frames):
            if strides == 1:
                z = conv(torch.cat([x[:, t], h], dim=1))
            else:
                z = conv_x(x[:, t]) + conv_h(h)
            i, f, g, o = z.chunk(4, dim=1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
            outputs.append(h)
        loss = torch.mean((torch.stack(outputs, 1) - target) ** 2)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    return step


def convolutions_step(batch, frames, size, channels, filters, strides):
    """The floor: a ConvLSTM's convolutions per frame, gates replaced by a slice."""
    out = -(-size // strides)
    x = tf.random.uniform((batch, frames, size, size, channels))
    target = tf.zeros((batch, frames, out, out, filters))
    kernel = tf.Variable(tf.random.normal((3, 3, channels, 4 * filters), stddev=0.1))
    recurrent = tf.Variable(tf.random.normal((3, 3, filters, 4 * filters), stddev=0.1))
    bias = tf.Variable(tf.zeros((4 * filters,)))
    variables = [kernel, recurrent, bias]

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            h, outputs = None, []
            for frame in tf.unstack(x, axis=1):
                z = tf.nn.conv2d(frame, kernel, strides, "SAME") + bias
                if h is not None:
                    z = z + tf.nn.conv2d(h, recurrent, 1, "SAME")
                h = z[..., :filters]
                outputs.append(h)
            loss = tf.reduce_mean(tf.square(tf.stack(outputs, 1) - target))
        for variable, grad in zip(variables, tape.gradient(loss, variables)):
            variable.assign_sub(1e-3 * grad)
        return loss

    return step


def run_case(batch, frames, size, channels, filters, strides, repeats):
    x = np.random.default_rng(0).uniform(size=(batch, frames, size, size, channels)).astype("float32")
    out = -(-size // strides)
    y = np.zeros((batch, frames, out, out, filters), "float32")
    shape = (frames, size, size, channels)
    keras.utils.clear_session()
    steps = {
        label: keras_train_step(layer_model(cls, shape, filters, strides), x, y)
        for label, cls in (("stkeras", ConvLSTM2D), ("keras", keras.layers.ConvLSTM2D))
    }
    steps["convs"] = convolutions_step(batch, frames, size, channels, filters, strides)
    try:
        steps["torch"] = torch_step(batch, frames, size, channels, filters, strides)
    except ImportError:
        pass
    return median_times(steps, repeats)


def run_model(repeats, batch=8):
    x = np.random.default_rng(0).uniform(size=(batch, 48, 64, 64, 1)).astype("float32")
    y = np.zeros((batch, 10), "float32")
    keras.utils.clear_session()
    steps = {
        label: keras_train_step(
            stkeras.build_courtney_resnet(op=op, size="base", lstm_layers=0), x, y
        )
        for label, op in (("stkeras", "convlstm"), ("keras", "keras_convlstm"))
    }
    return median_times(steps, repeats)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--skip-model", action="store_true", help="skip the whole-model case")
    args = parser.parse_args()
    device = "GPU" if tf.config.list_physical_devices("GPU") else f"CPU x{os.cpu_count()}"
    cases = {
        "layer B=8 T=48 32x32 16->16": lambda: run_case(8, 48, 32, 16, 16, 1, args.repeats),
        "res1_1 B=8 T=48 64x64 16->16 stride 2": lambda: run_case(8, 48, 64, 16, 16, 2, args.repeats),
    }
    if not args.skip_model:
        cases["Courtney & Sreenivas 2022 ConvLSTM model (base) B=8 48x64x64x1"] = lambda: run_model(args.repeats)
    rows = []
    for case, run in cases.items():
        results = run()
        for peer, seconds in results.items():
            print(json.dumps({"case": case, "peer": peer, "seconds": round(seconds, 4), "device": device}), flush=True)
        rows.append((case, results))
    print(f"\nTraining step, median of {args.repeats} ({device}); ratio = peer time / stkeras time")
    print("| case | stkeras (s) | keras (s) | keras / stkeras | torch (s) | torch / stkeras "
          "| convs only (s) | keras / convs |")
    print("|---|---|---|---|---|---|---|---|")
    for case, r in rows:
        torch_cells = (f"{r['torch']:.3f} | {r['torch'] / r['stkeras']:.2f}x" if "torch" in r else "- | -")
        convs = f"{r['convs']:.3f} | {r['keras'] / r['convs']:.2f}x" if "convs" in r else "- | -"
        print(f"| {case} | {r['stkeras']:.3f} | {r['keras']:.3f} | {r['keras'] / r['stkeras']:.2f}x | {torch_cells} | {convs} |")


if __name__ == "__main__":
    main()
