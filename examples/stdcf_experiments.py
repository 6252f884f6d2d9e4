"""Miao et al. 2021's experiments at CPU scale: reconstruction, tempo, spatial size, and ITSL vs full-size training.

    python examples/stdcf_experiments.py [--epochs 3] [--train-clips 1024] [--out runs/stdcf]

1. TR-MNIST reconstruction with the three-layer network: test PSNR of
   STDCF, rank-1 and regular 3D convolutions.
2. Tempo: a speed classifier (S in 1-3 px/frame) trained on clips at tempo 2
   (every second frame) and tested at tempo 1 (full frame rate: each event
   spans twice the frames), with and without swapping in temporal atoms
   dilated by 2.
2b. Spatial (Table 1's other case): the same classifier trained on clips
   halved in space and tested at full resolution, with and without spatial
   atoms dilated by 2.
3. ITSL (E iterations, beta = gamma = 2) vs full-size training of the speed
   classifier, for regular 3D, rank-1 and STDCF convolutions: full-size test
   accuracy after every stage (plotted as `itsl_stages.png`), and the peak
   memory of a training step measured in a child process
   (`stkeras.analysis.training_step_memory`; for ITSL, its larger stage).
Writes `results.json` to `--out` and prints a summary.
"""

import argparse
import json
import os

import keras
import tensorflow as tf

from stkeras import build_small_3d_autoencoder
from stkeras import build_small_3d_cnn
from stkeras.analysis import clip_psnr
from stkeras.analysis import training_step_memory
from stkeras.data import downsample_space
from stkeras.data import downsample_time
from stkeras.data import quadrant_blink
from stkeras.data import tr_mnist
from stkeras.training import itsl_fit
from stkeras.training import set_atom_dilation
from stkeras.viz import plot_itsl_stages

CONVS = ("stdcf", "rank1", "regular")


def reconstruction(args):
    clips = dict(frames=8, size=32, digit_size=14, speed_range=(1.0, 2.0), max_rotation=15.0, batch_size=16)
    train = tr_mnist(split="train", num_clips=args.train_clips, **clips)
    test = tr_mnist(split="test", num_clips=args.test_clips, seed=1, **clips)
    results = {}
    for conv in CONVS:
        keras.utils.set_random_seed(0)
        model = build_small_3d_autoencoder(conv=conv, input_shape=(8, 32, 32, 1), filters=(16, 16))
        model.compile(keras.optimizers.Adam(1e-3), "mse")
        model.fit(train, epochs=args.epochs, verbose=0)
        results[conv] = {"psnr_db": clip_psnr(model, test), "parameters": model.count_params()}
        print(f"reconstruction {conv}: PSNR {results[conv]['psnr_db']:.2f} dB", flush=True)
    return results


def speed_classes(frames, split, n, seed=0, tempo=1):
    """Speed classification clips (class = S - 1, every frame visible) at a tempo."""
    ds = quadrant_blink(split=split, seed=seed, num_clips=n, frames=frames * tempo, size=32, digit_size=14,
                        speeds=(1, 2, 3), visible_every=(1,), max_step=3, task="speed", batch_size=16)
    return ds.map(lambda x, s: (downsample_time(x, tempo), tf.cast(s, tf.int32) - 1))


def classifier(conv):
    model = build_small_3d_cnn(conv=conv, input_shape=(None, None, None, 1), num_classes=3, filters=(16, 32, 32))
    model.compile(keras.optimizers.Adam(3e-3), "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def accuracy(model, dataset):
    return float(model.evaluate(dataset, verbose=0, return_dict=True)["accuracy"])


def tempo(args):
    train = speed_classes(8, "train", args.train_clips, tempo=2)  # 16 frames seen every 2nd: fast
    matched = speed_classes(8, "test", args.test_clips, seed=1, tempo=2)
    slow = speed_classes(16, "test", args.test_clips, seed=1, tempo=1)  # same events, full frame rate
    keras.utils.set_random_seed(0)
    model = classifier("stdcf")
    model.fit(train, epochs=args.epochs, verbose=0)
    results = {"train_tempo_2_test_tempo_2": accuracy(model, matched),
               "test_tempo_1_dilation_1": accuracy(model, slow)}
    set_atom_dilation(model, temporal=2)
    results["test_tempo_1_dilation_2"] = accuracy(model, slow)
    print(f"tempo: {results}", flush=True)
    return results


def spatial(args):
    """Table 1's spatial case: trained on clips halved in space, tested at full resolution."""
    train = speed_classes(16, "train", args.train_clips).map(lambda x, y: (downsample_space(x, 2), y))
    full = speed_classes(16, "test", args.test_clips, seed=1)
    matched = full.map(lambda x, y: (downsample_space(x, 2), y))
    keras.utils.set_random_seed(0)
    model = classifier("stdcf")
    model.fit(train, epochs=args.epochs, verbose=0)
    results = {"train_half_size_test_half_size": accuracy(model, matched),
               "test_full_size_dilation_1": accuracy(model, full)}
    set_atom_dilation(model, spatial=2)
    results["test_full_size_dilation_2"] = accuracy(model, full)
    print(f"spatial: {results}", flush=True)
    return results


def step_memory_mb(model, clip_shape, frozen_atoms=None, atom_dilation=None):
    """Measured peak memory of a training step (batch 16) above the memory in use before it, in MiB."""
    measured = training_step_memory(model, clip_shape, batch_size=16, frozen_atoms=frozen_atoms,
                                    atom_dilation=atom_dilation)
    return measured["step_bytes"] / 2**20


def itsl_vs_full(args):
    """Table 2 and Figure 5: each network trained on full-size clips and with ITSL, scored after every stage."""
    full_shape = (16, 32, 32, 1)
    train = speed_classes(16, "train", args.train_clips)
    test = speed_classes(16, "test", args.test_clips, seed=1)
    results, runs = {}, {}
    for conv in ("regular", "rank1", "stdcf"):
        keras.utils.set_random_seed(0)
        full = classifier(conv)
        full.fit(train, epochs=2 * args.itsl_iterations, verbose=0)
        keras.utils.set_random_seed(0)
        staged = classifier(conv)
        # Reg.-3D trains its filters in both stages, dilated like the atoms (itsl_fit does so for regular Conv3D).
        runs[conv] = itsl_fit(staged, train, iterations=args.itsl_iterations, epochs_per_stage=1,
                              validation_data=test, verbose=0)
        results[conv] = {"full_accuracy": accuracy(full, test), "itsl_accuracy": accuracy(staged, test),
                         "stage_accuracies": {f"{s['iteration']}{s['stage']}": s["validation"]["accuracy"]
                                              for s in runs[conv]}}
        if conv == "stdcf":  # the same network shape with any conv: measured once
            # ITSL's stages as itsl_fit runs them: stage-t on clips halved in
            # space, spatial atoms frozen, temporal atoms dilated; stage-s on
            # clips halved in time, temporal atoms frozen, spatial atoms dilated.
            stages = {"t": step_memory_mb(staged, (16, 16, 16, 1), "spatial", {"spatial": 1, "temporal": 2}),
                      "s": step_memory_mb(staged, (8, 32, 32, 1), "temporal", {"spatial": 2, "temporal": 1})}
            results[conv].update({"full_step_mb": step_memory_mb(full, full_shape),
                                  "itsl_stage_t_step_mb": stages["t"], "itsl_stage_s_step_mb": stages["s"],
                                  "itsl_step_mb": max(stages.values())})
        print(f"ITSL {conv}: {results[conv]}", flush=True)
    plot_itsl_stages(runs, os.path.join(args.out, "itsl_stages.png"))
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="runs/stdcf")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--train-clips", type=int, default=1024)
    parser.add_argument("--test-clips", type=int, default=256)
    parser.add_argument("--itsl-iterations", type=int, default=2)
    parser.add_argument("--only", choices=("reconstruction", "tempo", "spatial", "itsl"))
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    experiments = {"reconstruction": reconstruction, "tempo": tempo, "spatial": spatial, "itsl": itsl_vs_full}
    results = {name: run(args) for name, run in experiments.items() if args.only in (None, name)}
    with open(os.path.join(args.out, "results.json"), "w") as handle:
        json.dump(results, handle, indent=2)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
