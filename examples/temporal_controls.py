"""Does the order task need the order of its frames, and does a Conv3D network use it? Temporal controls in Python.

Trains one network on ordered quadrant-blink clips of the `blink16_12k`
recipe and the same network (same seed, same budget) on shuffled clips,
then scores the first on test clips shuffled, reversed, static, ...
(`temporal_controls`) and compares the two trainings (`training_controls`);
every verdict comes with its test. Any Keras model and any `tf.data`
dataset of `(clips, targets)` batches work the same way.

    python examples/temporal_controls.py                      # conv3d on the order task
    python examples/temporal_controls.py --model conv2d --task digit --epochs 4
"""

import argparse

import keras

from stkeras import from_preset
from stkeras.analysis import apply_control
from stkeras.analysis import temporal_controls
from stkeras.analysis import training_controls
from stkeras.data import quadrant_blink
from stkeras.recipes import recipe_settings
from stkeras.training import compile_for_task
from stkeras.training import recipe_optimizer


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="conv3d", help="a preset")
    parser.add_argument("--task", default="order", choices=("digit", "order", "speed"))
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--train-clips", type=int, default=1024, help="new training clips per epoch")
    parser.add_argument("--test-clips", type=int, default=512)
    parser.add_argument("--frames", type=int, default=16)
    args = parser.parse_args()

    s = recipe_settings("blink16_12k", epochs=args.epochs, train_clips=args.train_clips, frames=args.frames)
    clips = dict(frames=s["frames"], size=s["frame_size"], digit_size=s["digit_size"], speeds=s["speeds"],
                 visible_every=s["visible_every"], max_step=s["max_step"], task=args.task, batch_size=s["batch_size"])
    train = quadrant_blink(split="train", seed=0, num_clips=args.epochs * args.train_clips, **clips)
    test = quadrant_blink(split="test", seed=0, num_clips=args.test_clips, **clips)
    steps = -(-args.train_clips // s["batch_size"])

    def trained(data):
        keras.utils.set_random_seed(0)  # the same initial weights for both trainings
        model = from_preset(args.model, input_shape=(s["frames"], s["frame_size"], s["frame_size"], 1), task=args.task)
        optimizer, _ = recipe_optimizer(s, steps)  # Adam, warm-up and cosine decay, as `stkeras compare`
        compile_for_task(model, args.task, optimizer=optimizer)
        model.fit(data, epochs=args.epochs, steps_per_epoch=steps, verbose=0)
        return model

    ordered = trained(train)
    shuffled = trained(apply_control(train, "shuffled", seed=0))

    result = temporal_controls(ordered, test, task=args.task, seed=0).summary()
    print(f"{args.model} trained on ordered clips, {result['metric']} on the test clips: "
          f"{result['unperturbed']:.3f} ({result['unperturbed_vs_chance']})")
    for name, row in result["controls"].items():
        print(f"  {name:14s} {row['score']:.3f} ({row['change']:+.3f}): {row['verdict']}, p {row['p_value']:.2g}; "
              f"{row['vs_chance']}")
    trainings = training_controls(ordered, {"shuffled": shuffled}, test, task=args.task, seed=0)
    row = trainings["controls"]["shuffled"]
    print(f"trained on shuffled clips, scored on shuffled test clips: {row['score']:.3f} against "
          f"{trainings['ordered']:.3f} ordered: {row['verdict']}, p {row['p_value']:.2g}; {row['vs_chance']}")
    print(f"rule: {result['rule']}")


if __name__ == "__main__":
    main()
