"""The quick Conv2D + LSTM training step on the TensorFlow, JAX and PyTorch backends, side by side.

Keras chooses its backend once per process, so each backend runs in its
own child process (this script with `--backend`), one after the other, in
rounds: round r runs every backend once, which spreads a slower spell of a
shared machine over all of them. Each child builds Courtney & Sreenivas
2022's Conv2D + LSTM as `stkeras compare --recipe blink16_12k` trains it (base, 16
frames of 16x16, batch 32, Adam) and times `train_on_batch`: the median of
`--steps` steps after two warm-up steps (JAX and TensorFlow compile there).
Prints one JSON line per backend and round, then the medians and their ratio
to TensorFlow (> 1: faster than TensorFlow). Backends that are not
installed are reported and skipped.

    python benchmarks/backends.py [--rounds 2] [--steps 20] [--model conv2d]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys

BACKENDS = ("tensorflow", "jax", "torch")


def _step_seconds(model_name, steps):
    import time

    import numpy as np

    from stkeras.models import from_preset
    from stkeras.recipes import recipe_settings
    from stkeras.tasks import get_task
    from stkeras.training import compile_for_task

    settings, task = recipe_settings("blink16_12k"), get_task("digit")
    shape = (settings["frames"], settings["frame_size"], settings["frame_size"], 1)
    model = compile_for_task(from_preset(model_name, input_shape=shape, task=task), task, settings["learning_rate"])
    rng = np.random.default_rng(0)
    clips = rng.uniform(size=(settings["batch_size"], *shape))
    labels = rng.integers(0, 10, size=settings["batch_size"])
    clips = clips.astype("float32")
    for _ in range(2):
        model.train_on_batch(clips, labels)
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        model.train_on_batch(clips, labels)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2, help="runs of every backend, interleaved")
    parser.add_argument("--steps", type=int, default=20, help="timed training steps per run")
    parser.add_argument("--model", default="conv2d", help="one of Courtney & Sreenivas 2022's networks")
    parser.add_argument("--backend", help=argparse.SUPPRESS)  # a child process: time one backend
    args = parser.parse_args(argv)
    if args.backend:
        print(json.dumps({"seconds": _step_seconds(args.model, args.steps)}))
        return
    results = {backend: [] for backend in BACKENDS}
    for round_ in range(args.rounds):
        for backend in BACKENDS:
            done = subprocess.run([sys.executable, __file__, "--backend", backend, "--model", args.model, "--steps",
                                   str(args.steps)], capture_output=True, text=True,
                                  env={**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"})
            if done.returncode != 0:
                errors = [line for line in done.stderr.splitlines() if "Error" in line] or done.stderr.splitlines()[-1:]
                print(json.dumps({"backend": backend, "error": errors[-1] if errors else "failed"}), flush=True)
                continue
            seconds = json.loads(done.stdout.strip().splitlines()[-1])["seconds"]
            results[backend].append(seconds)
            print(json.dumps({"backend": backend, "round": round_, "model": args.model, "seconds": round(seconds, 4)}),
                  flush=True)
    medians = {backend: statistics.median(times) for backend, times in results.items() if times}
    print(f"\n| backend | {args.model} training step (s) | TensorFlow / backend |\n|---|---|---|")
    for backend, seconds in medians.items():
        ratio = medians["tensorflow"] / seconds if "tensorflow" in medians else float("nan")
        print(f"| {backend} | {seconds:.4f} | {ratio:.2f} |")


if __name__ == "__main__":
    main()
