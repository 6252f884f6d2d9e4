"""Why rank-1 reconstructs TR-MNIST as well as STDCF here: one factor changed at a time.

    python examples/tr_mnist_ablation.py [--seeds 0] [--base-seeds 0 1 2] [--out runs/tr_mnist_ablation]

The paper (Miao et al. 2021, Figure 2) reports test PSNR 24.60 dB for STDCF against
21.50 dB for rank-1 with a three-layer 3D CNN on TR-MNIST; its Appendix B
(the settings) is not in its text. `stdcf_experiments.py` finds the two
close, rank-1 slightly ahead. This script trains the reconstruction network
of `build_small_3d_autoencoder` with three convolutions —
STDCF, rank-1 with free kernels (`12 C^2` weights per layer at k = t = 3,
as many as STDCF's M N = 12) and rank-1 built over shared atoms, the form of
the paper's count of free variables (`(M + N) C^2`) — under the settings of
`stdcf_experiments.py` (at 512 training clips) and under one change each:
the number of atoms, the learning rate, the training length, the width, the
initialization and the clip construction. The first setting runs with three
seeds to show the spread between runs. About 40 minutes on a 2-core CPU.
Writes `results.json` and `results.md` to `--out`.
"""

import argparse
import json
import os
import time

import keras
import numpy as np

from stkeras import build_small_3d_autoencoder
from stkeras.analysis import clip_psnr
from stkeras.data import tr_mnist

BASE = {
    "atoms": (6, 2), "learning_rate": 1e-3, "epochs": 4, "width": 16, "initializer": "he_normal",
    "frames": 8, "size": 32, "digit_size": 14, "num_digits": 1, "max_rotation": 15.0, "speed_range": (1.0, 2.0),
}
# One change to BASE each: (label, changes).
SETTINGS = (
    ("as in stdcf_experiments (M=6, N=2)", {}),
    ("M=9, N=3: STDCF spans every 3x3x3 kernel", {"atoms": (9, 3)}),
    ("M=3, N=2 (the paper's Figure 1)", {"atoms": (3, 2)}),
    ("learning rate 3e-3", {"learning_rate": 3e-3}),
    ("learning rate 3e-4", {"learning_rate": 3e-4}),
    ("16 epochs", {"epochs": 16}),
    ("width 32", {"width": 32}),
    ("Glorot-uniform initialization", {"initializer": "glorot_uniform"}),
    ("rotation up to 45 deg/frame", {"max_rotation": 45.0}),
    ("two digits", {"num_digits": 2}),
    ("16 frames, speed 2-4 px/frame", {"frames": 16, "speed_range": (2.0, 4.0)}),
)
CONVS = {
    "stdcf": ("stdcf", True),
    "rank1": ("rank1", False),
    "rank1_atoms": ("rank1", True),
}

# The weights that `kernel_initializer` / `coefficients_initializer` set (atoms keep theirs).
KERNEL_WEIGHTS = ("spatial_kernel", "temporal_kernel", "spatial_coefficients", "temporal_coefficients", "coefficients")


def run_setting(setting, train_clips, test_clips, seed):
    clips = {key: setting[key] for key in ("frames", "size", "digit_size", "num_digits", "max_rotation", "speed_range")}
    train = tr_mnist(split="train", num_clips=train_clips, batch_size=16, **clips)
    test = tr_mnist(split="test", num_clips=test_clips, seed=1, batch_size=16, **clips)
    shape = (setting["frames"], setting["size"], setting["size"], 1)
    scores = {}
    for label, (conv, with_atoms) in CONVS.items():
        keras.utils.set_random_seed(seed)
        m, n = setting["atoms"]
        atoms = {"num_spatial_atoms": m, "num_temporal_atoms": n} if with_atoms else {}
        model = build_small_3d_autoencoder(conv=conv, input_shape=shape, filters=(setting["width"],) * 2, **atoms)
        if setting["initializer"] != BASE["initializer"]:
            initializer = keras.initializers.get(setting["initializer"])
            for weight in model.weights:
                if weight.name in KERNEL_WEIGHTS:
                    weight.assign(initializer(weight.shape))
        model.compile(keras.optimizers.Adam(setting["learning_rate"]), "mse")
        model.fit(train, epochs=setting["epochs"], verbose=0)
        scores[label] = {"psnr_db": clip_psnr(model, test), "parameters": model.count_params()}
    return scores


def table(results, seeds):
    lines = [
        f"| setting | STDCF (dB) | rank-1 (dB) | rank-1 over atoms (dB) | STDCF - rank-1 | parameters STDCF / rank-1 / rank-1 atoms |",
        "|---|---|---|---|---|---|",
    ]
    for label, runs in results.items():
        cells = []
        for conv in CONVS:
            values = np.array([run[conv]["psnr_db"] for run in runs])
            cells.append(f"{values.mean():.2f} ± {values.std():.2f}" if len(values) > 1 else f"{values[0]:.2f}")
        gap = np.array([run["stdcf"]["psnr_db"] - run["rank1"]["psnr_db"] for run in runs])
        params = " / ".join(f"{runs[0][conv]['parameters']:,}" for conv in CONVS)
        lines.append(f"| {label} | {' | '.join(cells)} | {gap.mean():+.2f} | {params} |")
    lines.append(f"\nOne run each (seed {', '.join(map(str, seeds))}); the first row is the mean ± standard "
                 "deviation of its runs.")
    return "\n".join(lines) + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="runs/tr_mnist_ablation")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--base-seeds", type=int, nargs="+", default=[0, 1, 2],
                        help="seeds of the first setting, to show the spread between runs")
    parser.add_argument("--train-clips", type=int, default=512)
    parser.add_argument("--test-clips", type=int, default=256)
    parser.add_argument("--only", type=int, nargs="+", help="indices of SETTINGS to run (default: all)")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    results = {}
    chosen = [SETTINGS[i] for i in args.only] if args.only else SETTINGS
    for index, (label, changes) in enumerate(chosen, start=1):
        start = time.time()
        seeds = args.base_seeds if not changes else args.seeds
        results[label] = [run_setting({**BASE, **changes}, args.train_clips, args.test_clips, seed)
                          for seed in seeds]
        summary = ", ".join(f"{conv} {np.mean([r[conv]['psnr_db'] for r in results[label]]):.2f}" for conv in CONVS)
        print(f"[{index}/{len(chosen)}] {label}: {summary} dB ({time.time() - start:.0f} s)", flush=True)
        with open(os.path.join(args.out, "results.json"), "w") as handle:
            json.dump(results, handle, indent=2)
    with open(os.path.join(args.out, "results.md"), "w") as handle:
        handle.write(table(results, args.seeds))
    print(table(results, args.seeds))


if __name__ == "__main__":
    main()
