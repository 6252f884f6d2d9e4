"""The `stkeras` command line: compare, train and rf.

    stkeras compare --preset quick --out runs/quick
    stkeras train --model convlstm --task speed --out runs/convlstm
    stkeras rf --model ts_conv3d --size xl

Bad arguments exit with a one-line error and status 2.
"""

import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line and exit with status 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def _models(text):
    from stkeras.compare import MODEL_NAMES

    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in MODEL_NAMES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown model(s) {', '.join(unknown) or repr(text)}; choose from {', '.join(MODEL_NAMES)}"
        )
    return names


def _integer(minimum):
    """An argparse type: an int >= `minimum`, else a one-line error."""
    wanted = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"

    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {wanted}, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected {wanted}, got {text!r}")
        return value

    return parse


_positive, _non_negative = _integer(1), _integer(0)


MODEL_CHOICES = ("conv2d", "conv3d", "ts_conv3d", "convlstm")


def _add_run_options(parser):
    parser.add_argument("--task", default="digit", choices=("digit", "order", "speed"))
    parser.add_argument("--preset", default="quick", choices=("quick", "paper"),
                        help="clip and training settings (quick: minutes on a CPU)")
    parser.add_argument("--size", choices=("base", "xl"), help="model size (default: the preset's)")
    parser.add_argument("--out", required=True, help="run folder")
    parser.add_argument("--epochs", type=_positive)
    parser.add_argument("--train-clips", type=_positive)
    parser.add_argument("--test-clips", type=_positive)
    parser.add_argument("--frames", type=_positive)
    parser.add_argument("--batch-size", type=_positive)
    parser.add_argument("--seed", type=_non_negative)


def _overrides(args):
    return {
        "epochs": args.epochs,
        "train_clips": args.train_clips,
        "test_clips": args.test_clips,
        "frames": args.frames,
        "batch_size": args.batch_size,
        "seed": args.seed,
    }


def make_parser():
    parser = _Parser(prog="stkeras", description="Spatiotemporal networks in Keras 3.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    compare = commands.add_parser("compare", help="train seed 000's networks on a synthetic task and compare them")
    compare.add_argument("--models", type=_models, default=list(MODEL_CHOICES),
                         help="comma-separated: conv2d,conv3d,ts_conv3d,convlstm")
    _add_run_options(compare)

    train = commands.add_parser("train", help="train one network, resumably")
    train.add_argument("--model", required=True, choices=MODEL_CHOICES)
    _add_run_options(train)

    rf = commands.add_parser("rf", help="print a network's receptive-field table")
    rf.add_argument("--model", required=True, choices=MODEL_CHOICES)
    rf.add_argument("--size", default="base", choices=("base", "xl"))
    rf.add_argument("--frames", type=_positive, default=48)
    rf.add_argument("--resolution", type=_positive, default=64, help="frame height and width")
    rf.add_argument("--sublayers", action="store_true", help="also list the layers inside the blocks")
    return parser


def _compare(args):
    from stkeras.compare import run_compare

    run_compare(args.out, task=args.task, models=args.models, preset=args.preset, size=args.size,
                **_overrides(args))


def _train(args):
    import keras

    from stkeras.compare import build_model
    from stkeras.compare import clips
    from stkeras.compare import resolve_settings
    from stkeras.training import compile_for_task
    from stkeras.training import fit_resumable

    settings = resolve_settings(args.preset, args.size, **_overrides(args))
    keras.utils.set_random_seed(settings["seed"])
    model = compile_for_task(build_model(args.model, settings, args.task), args.task, settings["learning_rate"])
    history = fit_resumable(model, clips(settings, args.task, "train"), settings["epochs"], args.out,
                            validation_data=clips(settings, args.task, "test"))
    path = os.path.join(args.out, "model.keras")
    model.save(path)
    last = history[-1] if history else {}
    summary = ", ".join(f"{k} {v:.4g}" for k, v in last.items() if k != "epoch")
    print(f"{args.model}: {len(history)} epoch(s) trained in all; {summary}; saved {path}", flush=True)


def _rf(args):
    from stkeras.analysis import format_receptive_field
    from stkeras.analysis import receptive_field
    from stkeras.models import COURTNEY_MODELS
    from stkeras.models import build_courtney_resnet

    model = build_courtney_resnet(**COURTNEY_MODELS[args.model], size=args.size,
                                  input_shape=(args.frames, args.resolution, args.resolution, 1))
    print(f"Receptive fields of {model.name}, input {args.frames}x{args.resolution}x{args.resolution}\n")
    print(format_receptive_field(receptive_field(model, include_sublayers=args.sublayers)))


def main(argv=None):
    """Entry point of the `stkeras` console script; returns the exit status."""
    args = make_parser().parse_args(argv)
    try:
        {"compare": _compare, "train": _train, "rf": _rf}[args.command](args)
    except ValueError as error:
        print(f"stkeras {args.command}: error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
