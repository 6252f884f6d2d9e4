"""Clip synthesis speed, and whether training ever waits for it.

Side by side in one run:
1. clips/s of `stkeras.data.quadrant_blink` (batched tf.data generation),
   float32 and uint8, against a per-clip NumPy generator of the same task;
2. one training epoch of a small model fed from the synthetic stream against
   one epoch on the same clips held in memory (same model, epochs alternated,
   medians).

    python benchmarks/synthesis.py [--batches 40] [--train-clips 512]

Prints one JSON line per measurement, then a summary.
"""

import argparse
import json
import math
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import stkeras  # noqa: E402
from stkeras.data import ORDERS  # noqa: E402
from stkeras.data import allowed_pairs  # noqa: E402
from stkeras.data import load_digits  # noqa: E402
from stkeras.data import quadrant_blink  # noqa: E402


def numpy_clip(rng, pool, pairs, frames=48, size=64, dtype=np.float32):
    """One quadrant-blink clip, drawn per clip with NumPy (the peer)."""
    digit = pool[rng.integers(len(pool))]
    speed, every = pairs[rng.integers(len(pairs))]
    angle = rng.uniform(0, 2 * math.pi)
    extent = size - 28
    start = rng.uniform(0, extent, size=2)
    phase, order, cycle = rng.integers(every), ORDERS[rng.integers(6)], rng.integers(4)
    velocity = speed * np.array([math.sin(angle), math.cos(angle)])
    free = start + velocity * np.arange(frames)[:, None]
    folded = np.mod(free, 2 * extent)
    position = np.rint(np.where(folded > extent, 2 * extent - folded, folded)).astype(int)
    clip = np.zeros((frames, size, size, 1), dtype)
    for k, t in enumerate(range(phase, frames, every)):
        q = order[(cycle + k) % 4]
        dr, dc = (14 if q >= 3 else 0), (14 if q % 2 == 0 else 0)
        r, c = position[t]
        clip[t, r + dr : r + dr + 14, c + dc : c + dc + 14, 0] = digit[dr : dr + 14, dc : dc + 14]
    return clip


def clips_per_second_numpy(n, dtype, batch_size=64):
    images, _ = load_digits("train", source="embedded")
    pool = images.astype(np.float32) / 255 if dtype == np.float32 else images
    pairs = allowed_pairs(range(1, 7), range(1, 13), 49)
    rng = np.random.default_rng(0)
    numpy_clip(rng, pool, pairs, dtype=dtype)
    start = time.perf_counter()
    for _ in range(n // batch_size):
        # Batched as a training input pipeline would: this writes every byte
        # (np.zeros alone leaves untouched pages unwritten).
        np.stack([numpy_clip(rng, pool, pairs, dtype=dtype) for _ in range(batch_size)])
    return (n // batch_size) * batch_size / (time.perf_counter() - start)


def clips_per_second_tf(batches, batch_size, dtype):
    iterator = iter(quadrant_blink(batch_size=batch_size, digits="embedded", dtype=dtype))
    for _ in range(3):
        next(iterator)
    start = time.perf_counter()
    for _ in range(batches):
        clips, _ = next(iterator)
    _ = clips.numpy()
    return batches * batch_size / (time.perf_counter() - start)


def epoch_seconds(train_clips, batch_size, repeats=3):
    """One epoch from the stream vs from memory, same clips, same model."""
    frames, size = 16, 64
    stream = quadrant_blink(num_clips=train_clips, frames=frames, size=size,
                            batch_size=batch_size, digits="embedded")
    x = np.concatenate([c.numpy() for c, _ in stream])
    y = np.concatenate([t.numpy() for _, t in stream])
    in_memory = tf.data.Dataset.from_tensor_slices((x, y)).batch(batch_size).prefetch(tf.data.AUTOTUNE)

    keras.utils.set_random_seed(0)
    model = stkeras.build_conv2d_lstm(input_shape=(frames, size, size, 1))
    model.compile("adam", "sparse_categorical_crossentropy")
    sources = {"stream": stream, "memory": in_memory}
    for dataset in sources.values():  # warm-up epochs: tracing, allocations
        model.fit(dataset, epochs=1, verbose=0)
    times = {name: [] for name in sources}
    for _ in range(repeats):  # alternate the two so drift hits both alike
        for name, dataset in sources.items():
            start = time.perf_counter()
            model.fit(dataset, epochs=1, verbose=0)
            times[name].append(time.perf_counter() - start)
    return {name: float(np.median(t)) for name, t in times.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--numpy-clips", type=int, default=2000)
    parser.add_argument("--train-clips", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=3, help="timed epochs per source")
    args = parser.parse_args()
    device = "GPU" if tf.config.list_physical_devices("GPU") else f"CPU x{os.cpu_count()}"
    rates = {}
    for dtype in ("float32", "uint8"):
        rates[("stkeras", dtype)] = clips_per_second_tf(args.batches, args.batch_size, dtype)
        rates[("numpy per clip", dtype)] = clips_per_second_numpy(args.numpy_clips, np.dtype(dtype).type)
    for (peer, dtype), rate in rates.items():
        print(json.dumps({"measure": "clips_per_second", "peer": peer, "dtype": dtype,
                          "value": round(rate), "clip": "48x64x64x1", "device": device}), flush=True)
    epochs = epoch_seconds(args.train_clips, 32, args.repeats)
    for source, seconds in epochs.items():
        print(json.dumps({"measure": "epoch_seconds", "source": source, "value": round(seconds, 3),
                          "clips": args.train_clips, "model": "conv2d_lstm base, 16x64x64x1",
                          "device": device}), flush=True)

    print(f"\nClip synthesis, 48x64x64x1 clips ({device})")
    print("| generator | float32 clips/s | uint8 clips/s |")
    print("|---|---|---|")
    for peer in ("stkeras", "numpy per clip"):
        print(f"| {peer} | {rates[(peer, 'float32')]:.0f} | {rates[(peer, 'uint8')]:.0f} |")
    for dtype in ("float32", "uint8"):
        ratio = rates[("stkeras", dtype)] / rates[("numpy per clip", dtype)]
        print(f"stkeras / numpy ({dtype}): {ratio:.2f}x")
    slower = epochs["stream"] / epochs["memory"] - 1
    print(f"\nTraining epoch ({args.train_clips} clips): stream {epochs['stream']:.2f} s, "
          f"memory {epochs['memory']:.2f} s, stream slower by {100 * slower:+.1f}%")


if __name__ == "__main__":
    main()
