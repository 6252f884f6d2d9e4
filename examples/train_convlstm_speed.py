"""Train Courtney & Sreenivas 2022's ConvLSTM ResNet to estimate the digit's speed, resumably.

    python examples/train_convlstm_speed.py [--out runs/convlstm_speed] [--epochs 3]

Rerunning the same command resumes from the last finished epoch.
"""

import argparse
import os

import keras

import stkeras
from stkeras.analysis import collect_predictions
from stkeras.data import quadrant_blink
from stkeras.training import compile_for_task
from stkeras.tasks import get_task
from stkeras.training import fit_resumable


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="runs/convlstm_speed")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--train-clips", type=int, default=1024)
    parser.add_argument("--test-clips", type=int, default=256)
    parser.add_argument("--frames", type=int, default=16)
    args = parser.parse_args(argv)

    clips = dict(frames=args.frames, size=32, digit_size=14, speeds=(1, 2, 3),
                 visible_every=(1, 2, 3, 4), max_step=24, task="speed", batch_size=32)
    train = quadrant_blink(split="train", num_clips=args.train_clips, **clips)
    test = quadrant_blink(split="test", num_clips=args.test_clips, with_info=True, **clips)

    keras.utils.set_random_seed(0)
    model = stkeras.build_convlstm_resnet(input_shape=(args.frames, 32, 32, 1), task="speed")
    compile_for_task(model, "speed")
    fit_resumable(model, train, args.epochs, args.out)
    model.save(os.path.join(args.out, "model.keras"))

    predictions, targets, _ = collect_predictions(model, test)
    speed = get_task("speed")
    scores = speed.scores(predictions, targets)
    baseline = speed.baseline([t for _, t in train.unbatch()], targets)
    print(f"ConvLSTM speed MAE {scores['mae']:.3f} (rounded accuracy {scores['rounded_accuracy']:.3f}); "
          f"mean-speed baseline MAE {baseline['mae']:.3f}")


if __name__ == "__main__":
    main()
