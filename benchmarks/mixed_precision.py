"""Training step of the blink16_12k recipe's models in float32 against a mixed precision policy.

Side by side in one run: Courtney & Sreenivas 2022's Conv2D + LSTM and
ConvLSTM networks as `stkeras compare --recipe blink16_12k` trains them (base, 16
frames of 16x16, batch 32, Adam with the task's loss), each built once under
`float32` and once under the policy (`stkeras.training.mixed_precision_policy()`
by default: `mixed_bfloat16` on a CPU with bfloat16 instructions), the steps
interleaved, median of `--repeats`. Prints one JSON line per measurement and a
table with ratios (> 1: the mixed policy is faster).

    python benchmarks/mixed_precision.py [--repeats 9] [--policy mixed_bfloat16] [--models conv2d,convlstm]
"""

import argparse
import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from stkeras.models import from_preset  # noqa: E402
from stkeras.recipes import recipe_settings  # noqa: E402
from stkeras.training import compile_for_task  # noqa: E402
from stkeras.training import mixed_precision_policy  # noqa: E402
from timing import median_times  # noqa: E402  (benchmarks/timing.py)


def cpu_model():
    try:
        with open("/proc/cpuinfo") as file:
            for line in file:
                if line.startswith("model name"):
                    return line.partition(":")[2].strip()
    except OSError:
        pass
    return "unknown CPU"


def training_step(name, settings, policy, x, y):
    keras.mixed_precision.set_global_policy(policy)
    keras.utils.set_random_seed(0)
    shape = (settings["frames"], settings["frame_size"], settings["frame_size"], 1)
    model = compile_for_task(from_preset(name, input_shape=shape, task="digit"), "digit", settings["learning_rate"])
    keras.mixed_precision.set_global_policy("float32")
    return lambda: model.train_on_batch(x, y)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--policy", help="the mixed policy (default: mixed_precision_policy())")
    parser.add_argument("--models", default="conv2d,convlstm")
    args = parser.parse_args()
    policy = args.policy or mixed_precision_policy()
    settings = recipe_settings("blink16_12k")
    batch = settings["batch_size"]
    device = "GPU" if tf.config.list_physical_devices("GPU") else f"CPU x{os.cpu_count()} ({cpu_model()})"
    rng = np.random.default_rng(0)
    x = rng.uniform(size=(batch, settings["frames"], settings["frame_size"], settings["frame_size"], 1)).astype("float32")
    y = rng.integers(0, 10, size=batch)
    rows = {}
    for name in args.models.split(","):
        keras.utils.clear_session()
        steps = {p: training_step(name, settings, p, x, y) for p in ("float32", policy)}
        rows[name] = median_times(steps, args.repeats)
        for p, seconds in rows[name].items():
            print(json.dumps({"model": name, "policy": p, "seconds": round(seconds, 4), "batch": batch,
                              "clip": f"{settings['frames']}x{settings['size']}x{settings['size']}x1",
                              "device": device}), flush=True)
    print(f"\nTraining step of the quick recipe's models, batch {batch}, median of {args.repeats} ({device}); "
          f"ratio = float32 time / {policy} time")
    print(f"| model | float32 (s) | {policy} (s) | float32 / {policy} |")
    print("|---|---|---|---|")
    for name, r in rows.items():
        print(f"| {name} | {r['float32']:.3f} | {r[policy]:.3f} | {r['float32'] / r[policy]:.2f}x |")


if __name__ == "__main__":
    main()
