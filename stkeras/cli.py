"""The `stkeras` command line: compare, train, tune, explain, sensitivity, heads, presets and rf.

    stkeras compare --recipe quick --out runs/quick
    stkeras train --model convlstm --task speed --out runs/convlstm
    stkeras tune --space courtney --tuner bayesian --max-trials 20 --out runs/search
    stkeras rf --model ts_conv3d --size xl
    stkeras presets --family video_resnet
    stkeras sensitivity --model-file runs/convlstm/model.keras --out runs/convlstm/sensitivity

`--model` is a registered model name; `--model-file` a saved model. Errors
in the arguments exit with a one-line error and status 2; see `main`.
"""

import argparse
import contextlib
import os
import sys
import time

from stkeras.allocator import keep_freed_memory

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


EXIT_STATUS = ("exit status: 0 done; 2 an error in the arguments, on one line, before any training (argparse's "
               "checks, then settings, names and files resolved and the models built once); 1 an error while "
               "training or evaluating, with its traceback, or a training whose loss diverged, on one line")


class ArgumentError(Exception):
    """An error in a command's arguments: `main` prints it on one line and returns status 2."""


@contextlib.contextmanager
def _arguments():
    """The argument phase of a command: the errors raised in it are the arguments' (`ArgumentError`).

    A command resolves its settings, names and files and builds its models
    once in this phase, before it trains or evaluates anything.
    """
    try:
        yield
    except (ValueError, TypeError, LookupError, OSError) as error:
        raise ArgumentError(str(error)) from error


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line and exit with status 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def _models(text):
    from stkeras.experiments.models import MODEL_NAMES

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


def _clip_heads():
    from stkeras.heads import clip_heads

    return clip_heads()


def _registered_names(kind, registered):
    """An argparse type: comma-separated names, each one of `registered()` (read when parsing)."""

    def parse(text):
        allowed = registered()
        names = [name for name in text.split(",") if name]
        unknown = [name for name in names if name not in allowed]
        if unknown or not names:
            raise argparse.ArgumentTypeError(f"unknown {kind}(s) {', '.join(map(repr, unknown)) or 'none given'}; "
                                             f"choose from {','.join(allowed)}")
        return names

    return parse


def _available_heads():
    from stkeras.heads import available_heads

    return available_heads()


def _available_ops():
    from stkeras.blocks import available_ops

    return available_ops()


_heads = _registered_names("head", _available_heads)
_ops = _registered_names("op", _available_ops)


def _multipliers(text):
    from stkeras.tuning.hypermodel import check_multipliers

    try:
        return list(check_multipliers(float(v) for v in text.split(",") if v))
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"expected comma-separated channel multipliers, got {text!r}: {error}")


def _seconds(text):
    try:
        value = float(text)
    except ValueError:
        value = 0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a number of seconds > 0, got {text!r}")
    return value


def _add_run_options(parser, head=True, recipe="quick"):
    from stkeras.experiments.settings import OVERRIDES
    from stkeras.experiments.settings import RECIPES
    from stkeras.models import COURTNEY_SIZES
    from stkeras.tasks import available_tasks

    parser.add_argument("--task", default="digit", choices=available_tasks())
    parser.add_argument("--recipe", default=recipe, choices=RECIPES.names(),
                        help=f"clip and training settings (default {recipe}; quick: minutes on a CPU)")
    parser.add_argument("--size", choices=tuple(COURTNEY_SIZES), help="model size (default: the recipe's)")
    if head:
        parser.add_argument("--head", choices=_clip_heads(), help="a head for every model instead of the paper's")
    parser.add_argument("--out", required=True, help="run folder")
    _add_verbose(parser)
    for override in OVERRIDES:
        parser.add_argument(f"--{override.name.replace('_', '-')}", type=_integer(override.minimum),
                            help=override.help)


def _add_distribute(parser):
    from stkeras.training.distribute import STRATEGIES

    parser.add_argument("--distribute", default="none", choices=STRATEGIES,
                        help="mirrored: train on every local GPU (or the CPU) with tf.distribute.MirroredStrategy; "
                             "--batch-size stays the global batch")


def _add_verbose(parser):
    parser.add_argument("--verbose", action="store_true",
                        help="show TensorFlow's start-up log lines and Keras' progress bars")


def _overrides(args):
    from stkeras.experiments.settings import OVERRIDES

    return {override.name: getattr(args, override.name) for override in OVERRIDES}


def make_parser():
    from stkeras.blocks import available_ops
    from stkeras.experiments.models import MODEL_NAMES
    from stkeras.experiments.models import trainable_names
    from stkeras.experiments.settings import RECIPES
    from stkeras.explain import METHODS
    from stkeras.explain import WEIGHTINGS
    from stkeras.tasks import available_tasks
    from stkeras.heads import FRAME_HEADS
    from stkeras.models import COURTNEY_SIZES
    from stkeras.models import frame_backbones
    from stkeras.tuning import ALGORITHMS
    from stkeras.tuning import SPACES
    from stkeras.tuning import searchable_ops

    parser = _Parser(prog="stkeras", description="Spatiotemporal networks in Keras 3.", epilog=EXIT_STATUS)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    compare = commands.add_parser("compare", help="train Courtney & Sreenivas 2022's networks on a synthetic task and compare them")
    compare.add_argument("--models", type=_models, default=list(MODEL_NAMES),
                         help=f"comma-separated: {','.join(MODEL_NAMES)}")
    _add_run_options(compare)
    _add_distribute(compare)
    compare.add_argument("--explain", type=_integer(0), nargs="?", const=8, default=0, metavar="CLIPS",
                         help="also explain each model with Grad-CAM on CLIPS held-out clips (default 8)")
    compare.add_argument("--seeds", type=_integer(1), default=1, metavar="N",
                         help="train every model with N seeds (--seed, --seed + 1, ...: other clips and weights) and "
                              "report the mean, the spread and which differences exceed it (Welch's t-test, 5%%)")
    frames = compare.add_argument_group("heads comparison (Köpüklü et al.): frame models instead of Courtney & Sreenivas 2022's networks")
    frames.add_argument("--heads", type=_heads, help=f"comma-separated heads, e.g. {','.join(FRAME_HEADS)}")
    frames.add_argument("--backbone", default="small_cnn", choices=frame_backbones(), metavar="BACKBONE",
                        help="2D CNN applied to each frame: small_cnn or a keras.applications name")
    frames.add_argument("--segments", type=_positive, default=8, help="frames sampled per clip, one per segment")
    frames.add_argument("--feature-dim", type=_positive, default=256, help="features per frame before the head")
    frames.add_argument("--video-folder", help="folder of video folders of frames instead of synthetic clips")
    frames.add_argument("--train-labels", help="CSV of video_id;label for training (with --video-folder)")
    frames.add_argument("--test-labels", help="CSV of video_id;label for testing (with --video-folder)")
    frames.add_argument("--image-size", type=_positive, default=64, help="frame size for --video-folder")

    heads = commands.add_parser("heads", help="print Köpüklü et al.'s Table 3: parameters and FLOPs of every head")
    heads.add_argument("--segments", type=_positive, default=8)
    heads.add_argument("--feature-dim", type=_positive, default=256)
    heads.add_argument("--classes", type=_integer(2), default=27)
    _add_verbose(heads)

    presets = commands.add_parser("presets", help="print every named model: paper, input, parameters, MACs")
    presets.add_argument("--family", help="only this family's presets (e.g. video_resnet)")
    _add_verbose(presets)

    train = commands.add_parser("train", help="train one network of any family, resumably")
    train.add_argument("--model", required=True, choices=trainable_names(), metavar="MODEL",
                       help=f"a preset: {', '.join(trainable_names())}")
    _add_run_options(train, recipe="quick32")
    _add_distribute(train)

    tune = commands.add_parser("tune", help="search a temporal design space with keras-tuner, resumably")
    tune.add_argument("--space", default="courtney", choices=tuple(SPACES),
                      help="courtney: Courtney & Sreenivas 2022's networks; video_resnet: Tran et al. 2018's; heads: Köpüklü et al.'s frame models")
    tune.add_argument("--tuner", default="random", choices=tuple(ALGORITHMS), help="keras-tuner's search algorithm")
    tune.add_argument("--max-trials", type=_positive, default=10, help="trials in all (a rerun adds the missing ones)")
    tune.add_argument("--max-time", type=_seconds, help="seconds after which no new trial starts")
    tune.add_argument("--ops", type=_ops, help=f"comma-separated ops searched per stage (default: all of "
                                               f"{','.join(searchable_ops())})")
    tune.add_argument("--heads", type=_heads, help="comma-separated heads searched (default: all that fit)")
    tune.add_argument("--width-multipliers", type=_multipliers, help="comma-separated channel multipliers searched "
                                                                     "(default: 1,0.5)")
    tune.add_argument("--depth", type=int, choices=(10, 18, 34, 50), default=10, help="video_resnet's depth")
    tune.add_argument("--segments", type=_positive, default=8, help="frames sampled per clip (heads space)")
    tune.add_argument("--seeds", type=_integer(1), default=1, metavar="N",
                      help="after the search, train the best trial's hyperparameters with N-1 more seeds and say "
                           "whether the spread between the best and the worst trial exceeds the seed spread")
    tune.add_argument("--trials-per-process", type=_positive, default=1,
                      help="restart after this many trials, freeing the memory TensorFlow keeps (default: 1)")
    _add_run_options(tune, head=False)
    distributed = tune.add_argument_group("distributed search (keras-tuner's chief/worker mode, shared --out)")
    distributed.add_argument("--oracle", metavar="HOST:PORT", help="address of the chief's oracle")
    distributed.add_argument("--role", choices=("chief", "worker"), help="chief: serves the oracle; worker: runs trials")
    distributed.add_argument("--tuner-id", help="a worker's unique name (default: worker-<host>-<pid>)")

    # explain and sensitivity read saved models (--model-file) and take no abbreviated option: --model, a model
    # name in the other commands, is refused here.
    explain = commands.add_parser("explain", help="Grad-CAM maps of saved models on held-out clips, as GIFs and PNGs, "
                                                  "with how well they point at the digit", allow_abbrev=False)
    explain.add_argument("--model-file", required=True, nargs="+", metavar="FILE",
                         help="saved model(s), e.g. RUN/model.keras")
    explain.add_argument("--task", default="digit", choices=available_tasks())
    explain.add_argument("--recipe", choices=RECIPES.names(),
                         help="the clip settings the model was trained with (default: the first recipe with "
                              "the model's frame size)")
    explain.add_argument("--clips", type=_positive, default=8, help="held-out clips per model")
    explain.add_argument("--method", default="gradcam", choices=METHODS)
    explain.add_argument("--weighting", default="per_frame", choices=WEIGHTINGS,
                         help="per_frame: a channel weight per time step; global: one per clip (tf-keras-vis')")
    explain.add_argument("--layer", help="layer name or BLOCK/op (default: the last spatiotemporal layer)")
    explain.add_argument("--seed", type=_integer(0), default=0, help="seed of the held-out clips")
    explain.add_argument("--batch-size", type=_positive, default=8, help="clips per Grad-CAM batch")
    explain.add_argument("--out", required=True, help="output folder")
    _add_verbose(explain)

    sensitivity = commands.add_parser(
        "sensitivity", help="Courtney & Sreenivas 2019's Figure 5: accuracy when one spatial scale's ConvLSTMs are reset every T frames",
        allow_abbrev=False)
    sensitivity.add_argument("--model-file", required=True, metavar="FILE",
                             help="a saved model with ConvLSTMs, e.g. RUN/model.keras")
    sensitivity.add_argument("--task", default="digit", choices=available_tasks())
    sensitivity.add_argument("--recipe", choices=RECIPES.names(),
                             help="the clip settings the model was trained with (default: the first recipe with "
                              "the model's frame size)")
    sensitivity.add_argument("--clips", type=_positive, default=256, help="held-out clips per measurement")
    sensitivity.add_argument("--periods", type=_periods, default=(1, 2, 4, 8, None),
                             help="reset periods T, comma-separated (default: 1,2,4,8; never-reset is always added)")
    sensitivity.add_argument("--scales", help="scales to reset, comma-separated (e.g. s/2,s/8; default: all)")
    sensitivity.add_argument("--seed", type=_integer(0), default=0, help="seed of the held-out clips")
    sensitivity.add_argument("--batch-size", type=_positive, default=16, help="clips per prediction batch")
    sensitivity.add_argument("--out", required=True, help="output folder")
    _add_verbose(sensitivity)

    rf = commands.add_parser("rf", help="print a network's receptive-field table")
    which = rf.add_mutually_exclusive_group(required=True)
    which.add_argument("--model", choices=MODEL_NAMES, help="one of Courtney & Sreenivas 2022's networks")
    which.add_argument("--op", choices=available_ops(), help="Courtney & Sreenivas 2022's network around any registered op")
    rf.add_argument("--size", default="base", choices=tuple(COURTNEY_SIZES))
    rf.add_argument("--frames", type=_positive, default=48)
    rf.add_argument("--resolution", type=_positive, default=64, help="frame height and width")
    rf.add_argument("--sublayers", action="store_true", help="also list the layers inside the blocks")
    _add_verbose(rf)
    return parser


_positive = _integer(1)


def _periods(text):
    """`--periods`: positive ints, comma-separated; never-reset (None) is added as the reference."""
    values = tuple(_positive(part.strip()) for part in text.split(",") if part.strip())
    if not values:
        raise argparse.ArgumentTypeError(f"expected positive integers separated by commas, got {text!r}")
    return values + (None,)


def _strategy(args):
    from stkeras.training.distribute import make_strategy

    return make_strategy(args.distribute)


def _run_settings(args, size=True):
    """The task and the resolved settings of a run's options."""
    from stkeras.experiments.settings import resolve_settings
    from stkeras.tasks import get_task

    return get_task(args.task), resolve_settings(args.recipe, args.size if size else None, **_overrides(args))


def _build_each(names, build):
    """Builds each model once and frees it: what the arguments cannot make fails before any training."""
    import keras

    for name in names:
        build(name)
        keras.utils.clear_session()


def _load_model(path):
    """The saved model a `--model-file` names; a missing or unreadable file is an argument error."""
    import keras

    if not os.path.isfile(path):
        raise ValueError(f"--model-file must name saved model files; {path!r} is not a file.")
    try:
        return keras.saving.load_model(path, safe_mode=True)
    except Exception as error:  # a damaged or foreign file fails in many ways, all of them the file's
        raise ValueError(f"--model-file {path!r} is not a model stkeras can load: {error}") from error


def _compare(args):
    if args.heads:
        _compare_heads(args)
        return
    from stkeras.experiments import run_compare
    from stkeras.experiments.models import build_trainable

    with _arguments():
        task, settings = _run_settings(args)
        _build_each(args.models, lambda name: build_trainable(name, settings, task, args.head))
        strategy = _strategy(args)
    run_compare(args.out, task=args.task, models=args.models, recipe=args.recipe, size=args.size, head=args.head,
                explain=args.explain, verbose=args.verbose, strategy=strategy, seeds=args.seeds, **_overrides(args))


def _compare_heads(args):
    from stkeras.experiments.head_compare import run_head_compare
    from stkeras.models import build_frame_model

    image_size = (args.image_size, args.image_size)
    with _arguments():
        task, settings = _run_settings(args, size=False)
        frame_shape = (settings["size"], settings["size"], 1)
        if args.video_folder is not None:
            task, frame_shape = _video_folder_task(args, image_size), (*image_size, 3)
        _build_each(args.heads, lambda head: build_frame_model(
            backbone=args.backbone, head=head, num_segments=args.segments, feature_dim=args.feature_dim, task=task,
            input_shape=frame_shape))
        strategy = _strategy(args)
    run_head_compare(args.out, heads=args.heads, task=args.task, recipe=args.recipe, backbone=args.backbone,
                     num_segments=args.segments, feature_dim=args.feature_dim, video_root=args.video_folder,
                     train_labels=args.train_labels, test_labels=args.test_labels, image_size=image_size,
                     verbose=args.verbose, strategy=strategy, **_overrides(args))


def _video_folder_task(args, image_size):
    """The classes of `--video-folder`'s label CSVs as a task, once both CSVs are read."""
    from stkeras.data import video_folder
    from stkeras.tasks import Task

    if not (args.train_labels and args.test_labels):
        raise ValueError(f"--video-folder needs --train-labels and --test-labels CSVs. Received: "
                         f"--train-labels {args.train_labels!r}, --test-labels {args.test_labels!r}")
    common = dict(num_segments=args.segments, image_size=image_size)
    train = video_folder(args.video_folder, args.train_labels, training=True, **common)
    video_folder(args.video_folder, args.test_labels, classes=train.class_names, **common)
    return Task.classification("classes", max(len(train.class_names), 2))


def _explain(args):
    from stkeras.experiments.explain import model_label
    from stkeras.experiments.explain import run_explain
    from stkeras.experiments.settings import recipe_for_model
    from stkeras.experiments.settings import settings_for_model
    from stkeras.explain import feature_layer

    with _arguments():
        models = {model_label(path): _load_model(path) for path in args.model_file}
        for model in models.values():
            settings_for_model(model, recipe_for_model(model, args.recipe), args.seed)
            if args.method != "saliency":
                feature_layer(model, args.layer)
    run_explain(models, args.out, task=args.task, recipe=args.recipe, num_clips=args.clips, method=args.method,
                layer=args.layer, weighting=args.weighting, seed=args.seed, batch_size=args.batch_size)


def _sensitivity(args):
    from stkeras.analysis import convlstm_scales
    from stkeras.experiments.sensitivity import run_sensitivity
    from stkeras.experiments.settings import recipe_for_model
    from stkeras.experiments.settings import settings_for_model

    scales = [s.strip() for s in args.scales.split(",") if s.strip()] if args.scales else None
    with _arguments():
        model = _load_model(args.model_file)
        settings_for_model(model, recipe_for_model(model, args.recipe), args.seed)
        known = [scale.label for scale in convlstm_scales(model)]
        for scale in scales or ():
            if scale not in known:
                raise ValueError(f"Unknown scale {scale!r} in --scales. Model {model.name!r} has ConvLSTMs at: "
                                 f"{', '.join(known)}.")
    run_sensitivity(model, args.out, task=args.task, recipe=args.recipe, num_clips=args.clips, periods=args.periods,
                    scales=scales, seed=args.seed, batch_size=args.batch_size, label=args.model_file)


def _train(args):
    from stkeras.experiments import run_train
    from stkeras.experiments.models import build_trainable

    with _arguments():
        task, settings = _run_settings(args)
        _build_each([args.model], lambda name: build_trainable(name, settings, task, args.head))
        strategy = _strategy(args)
    run_train(args.out, model=args.model, task=args.task, recipe=args.recipe, size=args.size, head=args.head,
              strategy=strategy, verbose=args.verbose, **_overrides(args))


def _tune(args):
    options = {}
    if args.ops:
        options["ops"] = args.ops
    if args.width_multipliers:
        options["width_multipliers"] = args.width_multipliers
    if args.heads:
        options["heads"] = args.heads
    if args.space == "video_resnet":
        options["depth"] = args.depth
    with _arguments():
        _check_tune(args, options)
    # A restarted process continues the time budget where the first one started it.
    started = float(os.environ.get("STKERAS_TUNE_STARTED", time.time()))
    while True:
        if _tune_once(args, options, started) is not None or args.role or os.environ.get("KERASTUNER_ORACLE_IP"):
            return
        from stkeras.experiments.report import log

        log(f"restarting to free the memory TensorFlow keeps ({args.trials_per_process} trial(s) per process)")
        if args.argv is None:  # started from the command line: a new process image
            sys.stdout.flush()
            os.environ["STKERAS_TUNE_STARTED"] = repr(started)
            os.execv(sys.executable, [sys.executable, "-m", "stkeras", *sys.argv[1:]])


def _check_tune(args, options):
    """What `run_tune` resolves before its search: settings, the distributed roles and the space's hypermodel."""
    from stkeras.experiments.data import steps_per_epoch
    from stkeras.experiments.tune import distributed_environment
    from stkeras.tuning import SPACES

    task, settings = _run_settings(args)
    distributed_environment(args.oracle, args.role, args.tuner_id)
    frames = args.segments if args.space == "heads" else settings["frames"]
    if args.space == "courtney":
        options = {"size": settings["model_size"], **options}
    SPACES[args.space](input_shape=(frames, settings["size"], settings["size"], 1), task=task,
                       total_steps=steps_per_epoch(settings) * settings["epochs"],
                       default_learning_rate=settings["learning_rate"], warmup_fraction=settings["warmup_fraction"],
                       seed=settings["seed"], **options)


def _tune_once(args, options, started):
    from stkeras.experiments import run_tune

    max_time = None if args.max_time is None else max(args.max_time - (time.time() - started), 1e-3)
    return run_tune(args.out, space=args.space, task=args.task, algorithm=args.tuner, max_trials=args.max_trials,
                    max_time=max_time, recipe=args.recipe, size=args.size, num_segments=args.segments,
                    space_options=options, trials_per_process=args.trials_per_process, oracle=args.oracle,
                    role=args.role, tuner_id=args.tuner_id, seeds=args.seeds, verbose=args.verbose,
                    **_overrides(args))


def _rf(args):
    from stkeras.analysis import format_receptive_field
    from stkeras.analysis import receptive_field
    from stkeras.models import COURTNEY_MODELS
    from stkeras.models import build_courtney_resnet

    design = COURTNEY_MODELS[args.model] if args.model else {"op": args.op}
    with _arguments():
        model = build_courtney_resnet(**design, size=args.size,
                                      input_shape=(args.frames, args.resolution, args.resolution, 1))
    print(f"Receptive fields of {model.name}, input {args.frames}x{args.resolution}x{args.resolution}\n")
    print(format_receptive_field(receptive_field(model, include_sublayers=args.sublayers)))


def _head_table(args):
    from stkeras.experiments.head_costs import format_head_costs
    from stkeras.experiments.head_costs import head_costs

    with _arguments():  # the table is the heads the arguments describe, built and counted: nothing is trained
        rows = head_costs(num_segments=args.segments, feature_dim=args.feature_dim, num_classes=args.classes)
    print(f"Köpüklü et al., Table 3: every head alone, {args.segments} segments, D={args.feature_dim}, {args.classes} classes; "
          "ConvLSTM and 3D-FCN on 7x7 / 13x13 maps. MMACs: stkeras' multiply-accumulates.\n")
    print(format_head_costs(rows))


def _presets(args):
    from stkeras.models.preset_table import preset_page

    with _arguments():  # the page builds every listed model once to count it
        page = preset_page(args.family)
    print(page, end="")


def main(argv=None):
    """Entry point of the `stkeras` console script; returns the exit status.

    Every command first checks its arguments: argparse's checks, then, in
    its argument phase (`_arguments`), it resolves the settings, names and
    files they give and builds the models they describe once, before it
    trains or evaluates anything. An error in the arguments (`ArgumentError`,
    or argparse's) is one line, `stkeras <command>: error: ...`, and status
    2. An exception raised after that phase, while training or evaluating,
    is not the arguments': it propagates with its traceback (the console
    script and `python -m stkeras` exit with status 1). A training whose loss
    diverged (`FloatingPointError`) is one line and status 1.
    """
    args = make_parser().parse_args(argv)
    args.argv = argv
    keep_freed_memory()  # about 1.8x faster training steps on Linux: see stkeras.allocator
    try:
        {"compare": _compare, "train": _train, "tune": _tune, "rf": _rf, "heads": _head_table, "presets": _presets,
         "explain": _explain, "sensitivity": _sensitivity}[args.command](args)
    except ArgumentError as error:
        print(f"stkeras {args.command}: error: {error}", file=sys.stderr)
        return 2
    except FloatingPointError as error:  # stkeras.training.NonFiniteLossError: the training diverged
        print(f"stkeras {args.command}: training stopped: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
