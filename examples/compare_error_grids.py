"""Train two models on the speed task and compare their errors over (V, S).

    python examples/compare_error_grids.py [--out runs/grids] [--models conv3d conv2d]

Writes one error grid per model and their relative grid (Courtney & Sreenivas 2022, Fig. 7).
"""

import argparse
import os

import keras

from stkeras.analysis import error_grid
from stkeras.analysis import plot_error_grid
from stkeras.analysis import plot_relative_grid
from stkeras.analysis import relative_grid
from stkeras.data import quadrant_blink
from stkeras.models import from_preset
from stkeras.training import compile_for_task


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="runs/grids")
    parser.add_argument("--models", nargs=2, default=["conv3d", "conv2d"], help="two preset names")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--train-clips", type=int, default=1024)
    parser.add_argument("--test-clips", type=int, default=512)
    parser.add_argument("--frames", type=int, default=16)
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)

    clips = dict(frames=args.frames, size=32, digit_size=14, speeds=(1, 2, 3),
                 visible_every=(1, 2, 3, 4), max_step=24, task="speed", batch_size=32)
    train = quadrant_blink(split="train", num_clips=args.train_clips, **clips)
    test = quadrant_blink(split="test", num_clips=args.test_clips, with_info=True, **clips)

    grids = {}
    for name in args.models:
        keras.utils.set_random_seed(0)
        model = from_preset(name, input_shape=(args.frames, 32, 32, 1), task="speed")
        compile_for_task(model, "speed").fit(train, epochs=args.epochs, verbose=2)
        grids[name] = error_grid(model, test, metric="mae")
        plot_error_grid(grids[name], os.path.join(args.out, f"grid_{name}.png"), title=f"{name} MAE")
        print(f"{name}: MAE {grids[name].overall:.3f}")
    a, b = args.models
    rel = relative_grid(grids[a], grids[b])
    plot_relative_grid(rel, os.path.join(args.out, f"relative_{a}_vs_{b}.png"), title=f"{a} vs {b}")
    print(f"{a} vs {b}: {100 * rel.overall:+.1f}% overall (positive: {a} better); plots in {args.out}")


if __name__ == "__main__":
    main()
