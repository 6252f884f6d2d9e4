"""The cost of reproducible runs: training steps with and without TensorFlow's op determinism.

`stkeras compare` and `train` call `seed_everything`, which turns on
`tf.config.experimental.enable_op_determinism()`. That switch is global to a
process, so each side runs in its own child process; the two alternate,
and each reports the median step time of Courtney & Sreenivas 2022's models at the quick
recipe's clip shape.

    python benchmarks/determinism.py [--models conv2d,conv3d,ts_conv3d,convlstm] [--steps 8] [--rounds 2]

Prints one JSON line per measurement, then the ratios.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys

CHILD = r"""
import json, os, sys, time
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np, keras, tensorflow as tf
from stkeras.models import from_preset
from stkeras.recipes import recipe_settings
name, deterministic, steps = sys.argv[1], sys.argv[2] == "1", int(sys.argv[3])
keras.utils.set_random_seed(0)
if deterministic:
    tf.config.experimental.enable_op_determinism()
settings = recipe_settings("blink16_12k")
shape = (settings["batch_size"], settings["frames"], settings["frame_size"], settings["frame_size"], 1)
model = from_preset(name, input_shape=shape[1:], task="digit")
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
x = np.random.default_rng(0).uniform(size=shape).astype("float32")
y = np.random.default_rng(1).integers(0, 10, settings["batch_size"])
for _ in range(2):
    model.train_on_batch(x, y)
times = []
for _ in range(steps):
    start = time.perf_counter()
    model.train_on_batch(x, y)
    times.append(time.perf_counter() - start)
print(json.dumps({"model": name, "deterministic": deterministic, "step_s": sorted(times)[len(times) // 2]}))
"""


def measure(name, deterministic, steps):
    done = subprocess.run([sys.executable, "-c", CHILD, name, "1" if deterministic else "0", str(steps)],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="conv2d,conv3d,ts_conv3d,convlstm")
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    results = {}
    for name in args.models.split(","):
        for _ in range(args.rounds):
            for deterministic in (False, True):  # alternated: the machine's speed drifts
                row = measure(name, deterministic, args.steps)
                print(json.dumps(row), flush=True)
                results.setdefault((name, deterministic), []).append(row["step_s"])
    print("\n| model | step (s) | deterministic step (s) | deterministic / default |\n|---|---|---|---|")
    for name in args.models.split(","):
        default = statistics.median(results[(name, False)])
        fixed = statistics.median(results[(name, True)])
        print(f"| {name} | {default:.3f} | {fixed:.3f} | {fixed / default:.2f} |")


if __name__ == "__main__":
    main()
