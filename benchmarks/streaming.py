"""Latency per new frame: a causal model's step model against its clip model run on a sliding window.

An application that scores a live stream with a clip model of `T` frames
runs the whole window of the last `T` frames for every new frame; the step
model (`stkeras.deploy.to_streaming`) runs that frame alone and carries its
state, with the same outputs. Measured side by side in one run, batch 1, the
median of `--repeats` calls after two warm-ups, the peers interleaved (one
call of each per round): in Keras (TensorFlow, one compiled function each)
and, with `--litert`, in the LiteRT interpreter on the exported artifacts.
Prints one JSON line per measurement, then a table with the ratio (window
latency / step latency: how many times faster the step model answers).

    python benchmarks/streaming.py [--frames 16] [--size 64] [--repeats 30] [--litert]

Models: Courtney & Sreenivas 2022's ConvLSTM ResNet (base) and its Conv3D +
LSTM network (base) with causal temporal padding (`temporal_padding="causal"`:
each 3D convolution keeps its last two input frames as the step model's state).
"""

import argparse
import json
import os
import subprocess
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import stkeras  # noqa: E402
from stkeras.deploy import export  # noqa: E402
from stkeras.deploy import load_exported  # noqa: E402
from stkeras.deploy import to_streaming  # noqa: E402
from timing import median_times  # noqa: E402  (benchmarks/timing.py)

MODELS = {
    "convlstm_resnet": lambda shape: stkeras.build_convlstm_resnet(width="base", input_shape=shape, num_classes=10),
    "conv3d_lstm_causal": lambda shape: stkeras.build_conv3d_lstm(
        width="base", input_shape=shape, num_classes=10, op_options={"temporal_padding": "causal"}),
}


def keras_peers(model, step, clip, frame):
    """One compiled call each: the clip model on a window, the step model on a frame (its states fed back)."""
    run_clip = tf.function(lambda x: model(x, training=False))
    run_step = tf.function(lambda inputs: step(inputs, training=False))
    states = [tf.constant(s) for s in step.initial_state(1)]
    frame = tf.constant(frame)
    clip = tf.constant(clip)

    def one_step():
        nonlocal states
        results = run_step([frame, *states])
        states = list(results[step.num_outputs:])
        results[0].numpy()

    return {"clip model on the window": lambda: run_clip(clip).numpy(), "step model on the frame": one_step}


def litert_peers(model, step, clip, frame, folder):
    """The same two in the LiteRT interpreter, on uint8 frames, the preprocessing inside."""
    export(model, os.path.join(folder, "clip.tflite"), format="litert")
    export(step, os.path.join(folder, "step.tflite"), format="litert")
    run_clip, run_step = load_exported(os.path.join(folder, "clip.tflite")), load_exported(
        os.path.join(folder, "step.tflite"))
    frames = (np.repeat(clip, 3, axis=-1) * 255).astype(np.uint8)
    one = (np.repeat(frame, 3, axis=-1) * 255).astype(np.uint8)
    states = step.initial_state(1)

    def one_step():
        nonlocal states
        results = run_step(one, *states)
        states = results[step.num_outputs:]

    return {"LiteRT clip model on the window": lambda: run_clip(frames),
            "LiteRT step model on the frame": one_step}


def uptime():
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=16, help="frames of the clip model's window")
    parser.add_argument("--size", type=int, default=64, help="frame height and width")
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--litert", action="store_true", help="also time the exported artifacts in LiteRT")
    args = parser.parse_args()
    print(json.dumps({"uptime_start": uptime(), "cpus": os.cpu_count(), "frames": args.frames,
                      "size": args.size, "repeats": args.repeats}), flush=True)
    rows = []
    for name, build in MODELS.items():
        keras.utils.clear_session()
        model = build((args.frames, args.size, args.size, 1))
        step = to_streaming(model)
        rng = np.random.default_rng(0)
        clip = rng.random((1, args.frames, args.size, args.size, 1), "float32")
        frame = clip[:, -1]
        peers = keras_peers(model, step, clip, frame)
        with tempfile.TemporaryDirectory() as folder:
            if args.litert:
                peers.update(litert_peers(model, step, clip, frame, folder))
            times = median_times(peers, args.repeats)
        for peer, seconds in times.items():
            print(json.dumps({"model": name, "peer": peer, "ms_per_frame": round(seconds * 1e3, 3)}), flush=True)
        rows.append((name, "Keras", times["clip model on the window"], times["step model on the frame"]))
        if args.litert:
            rows.append((name, "LiteRT", times["LiteRT clip model on the window"],
                         times["LiteRT step model on the frame"]))
    print(json.dumps({"uptime_end": uptime()}), flush=True)
    print(f"\n| model | runtime | clip model on a {args.frames}-frame window (ms/frame) | step model (ms/frame) | "
          "ratio |")
    print("|---|---|---|---|---|")
    for name, runtime, window, step_time in rows:
        print(f"| {name} | {runtime} | {window * 1e3:.2f} | {step_time * 1e3:.2f} | {window / step_time:.1f}x |")


if __name__ == "__main__":
    main()
