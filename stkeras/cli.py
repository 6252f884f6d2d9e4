"""The `stkeras` command line: compare, train, evaluate, tune, explain, sensitivity, heads, presets and rf.

    stkeras compare --recipe quick --out runs/quick
    stkeras train --model convlstm --task speed --out runs/convlstm
    stkeras train --config run.toml --epochs 5
    stkeras train --model r2plus1d_18 --data videos --weights r2plus1d_18-91a641e6.pth --out runs/ft
    stkeras evaluate --model-file runs/ft/model.keras --data videos_test --views 10x3 --out runs/ft/test
    stkeras tune --space courtney --tuner bayesian --max-trials 20 --out runs/search
    stkeras rf --model ts_conv3d --size xl
    stkeras presets --family video_resnet
    stkeras sensitivity --model-file runs/convlstm/model.keras --out runs/convlstm/sensitivity

`--model` is a registered model name; `--model-file` a saved model.
`--config FILE` reads a TOML file whose keys are the command's options
(`epochs = 5`, `models = ["conv2d", "convlstm"]`); options on the command
line override it. Errors in the arguments exit with a one-line error and
status 2; see `main`. The parser imports no Keras: its names come from
`stkeras.choices`, and a command imports what it runs.
"""

import argparse
import contextlib
import os
import sys
import time

from stkeras import __version__
from stkeras import choices
from stkeras.allocator import keep_freed_memory
from stkeras.quiet import quiet_start_for_command_line

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


EXIT_STATUS = ("exit status: 0 done; 2 an error in the arguments, on one line, before any training (argparse's "
               "checks, then settings, names and files resolved and the models built once); 1 an error while "
               "training or evaluating, with its traceback, or a training whose loss diverged, on one line")

# Options that say how a run goes, not what it computes: a rerun into the same --out may change them.
HOW_TO_RUN = ("command", "out", "config", "overwrite", "verbose", "tensorboard", "distribute", "coordinator",
              "num_processes", "process_id", "max_trials", "max_time", "trials_per_process", "oracle", "role",
              "tuner_id", "argv")


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


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """argparse's help with each option's default, except where there is none to show (None, False)."""

    def _get_help_string(self, action):
        if action.default in (None, False) or isinstance(action.default, bool):
            return action.help
        if isinstance(action.default, (list, tuple)):
            shown = ",".join("never" if v is None else str(v) for v in action.default)
            return f"{action.help or ''} (default: {shown})".strip()
        return super()._get_help_string(action)


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line and exit with status 2; help shows the defaults."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def _names(kind, allowed):
    """An argparse type: comma-separated names, each one of `allowed`."""

    def parse(text):
        names = [name.strip() for name in text.split(",") if name.strip()]
        unknown = [name for name in names if name not in allowed]
        if unknown or not names:
            raise argparse.ArgumentTypeError(f"unknown {kind}(s) {', '.join(map(repr, unknown)) or 'none given'}; "
                                             f"choose from {','.join(allowed)}")
        return names

    return parse


_models = _names("model", choices.COURTNEY_MODELS)
_heads = _names("head", choices.HEADS)
_ops = _names("op", choices.OPS)


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


def _add_common(parser):
    parser.add_argument("--config", metavar="FILE",
                        help="TOML file whose keys are this command's options (e.g. epochs = 5); options given on "
                             "the command line override it")
    _add_verbose(parser)


def _add_run_options(parser, head=True, recipe="quick"):
    parser.add_argument("--task", default="digit", choices=choices.TASKS)
    parser.add_argument("--recipe", default=recipe, choices=choices.RECIPES,
                        help="clip and training settings (quick: minutes on a CPU)")
    parser.add_argument("--size", choices=choices.COURTNEY_SIZES, help="model size (default: the recipe's)")
    if head:
        parser.add_argument("--head", choices=choices.CLIP_HEADS, help="a head for every model instead of the paper's")
    parser.add_argument("--out", required=True, help="run folder")
    parser.add_argument("--overwrite", action="store_true",
                        help="if --out holds a run with other settings, delete it and start over (by default the "
                             "command refuses; with the same settings it resumes)")
    parser.add_argument("--tensorboard", action="store_true",
                        help="also log every epoch's scores for TensorBoard, in the run folder")
    parser.add_argument("--mixed-precision", action="store_true",
                        help="train under Keras' mixed precision: mixed_float16 on a GPU, mixed_bfloat16 on a CPU "
                             "with bfloat16 instructions (float32 variables and outputs)")
    _add_common(parser)
    for override in choices.OVERRIDES:
        parser.add_argument(f"--{override.name.replace('_', '-')}", type=_integer(override.minimum),
                            help=f"{override.help} (default: {override.default})")


def _add_distribute(parser):
    parser.add_argument("--distribute", default="none", choices=choices.STRATEGIES,
                        help="mirrored: train on every local GPU (or the CPU) with tf.distribute.MirroredStrategy "
                             "(TensorFlow); data_parallel: on every device of one or several processes with Keras' "
                             "DataParallel (JAX; run the same command in every process); --batch-size stays the "
                             "global batch")
    processes = parser.add_argument_group(
        "several processes (--distribute data_parallel; default: Keras' KERAS_DISTRIBUTION_JOB_ADDRESSES, "
        "KERAS_DISTRIBUTION_NUM_PROCESSES and KERAS_DISTRIBUTION_PROCESS_ID, else one process)")
    processes.add_argument("--coordinator", metavar="HOST:PORT", help="process 0's address and a free port on it")
    processes.add_argument("--num-processes", type=_positive, metavar="N", help="processes in all")
    processes.add_argument("--process-id", type=_integer(0), metavar="I", help="this process' index, 0 to N-1")


def _add_video_data(parser, required=False, image_size=True):
    parser.add_argument("--data", metavar="DIR", required=required,
                        help="a folder of class subfolders of video files (mp4, avi, mkv, webm, mov, gif) or frame "
                             "folders; with --layout, a published dataset's folder")
    parser.add_argument("--layout", choices=choices.LAYOUTS, help="the published dataset --data holds (its split "
                                                                  "files and labels)")
    if image_size:  # evaluate reads it from the model; compare has one already
        parser.add_argument("--image-size", type=_positive, default=112, help="frame height and width of the clips")
    parser.add_argument("--frame-step", type=_positive, default=2, help="step between a clip's frames")


def _fraction(text):
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"expected a fraction between 0 and 1, got {text!r}")
    return value


def _add_verbose(parser):
    parser.add_argument("--verbose", action="store_true",
                        help="show TensorFlow's start-up log lines and Keras' progress bars")


def _overrides(args):
    return {override.name: getattr(args, override.name) for override in choices.OVERRIDES}


def make_parser():
    """The `stkeras` argument parser (its help imports no Keras)."""
    parser = _Parser(prog="stkeras", description="Spatiotemporal networks in Keras 3.", epilog=EXIT_STATUS)
    parser.add_argument("--version", action="version", version=f"stkeras {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    parser.command_parsers = commands.choices  # each command's own parser, for --config

    compare = commands.add_parser("compare", help="train Courtney & Sreenivas 2022's networks on a synthetic task and compare them")
    compare.add_argument("--models", type=_models, default=list(choices.COURTNEY_MODELS),
                         help=f"comma-separated: {','.join(choices.COURTNEY_MODELS)}")
    _add_run_options(compare)
    _add_distribute(compare)
    compare.add_argument("--explain", type=_integer(0), nargs="?", const=8, default=0, metavar="CLIPS",
                         help="also explain each model with Grad-CAM on CLIPS held-out clips (8 if CLIPS is left out)")
    compare_videos = compare.add_argument_group("your videos (--data) instead of a synthetic task")
    _add_video_data(compare_videos, image_size=False)
    compare_videos.add_argument("--validation-split", type=_fraction, default=0.2,
                                help="share of a folder's videos held out and compared on")
    compare.add_argument("--seeds", type=_integer(1), default=1, metavar="N",
                         help="train every model with N seeds (--seed, --seed + 1, ...: other clips and weights) and "
                              "report the mean, the spread and which differences exceed it (Welch's t-test, 5%%)")
    frames = compare.add_argument_group("heads comparison (Köpüklü et al.): frame models instead of Courtney & Sreenivas 2022's networks")
    frames.add_argument("--heads", type=_heads, help=f"comma-separated heads, e.g. {','.join(choices.FRAME_HEADS)}")
    frames.add_argument("--backbone", default="small_cnn", metavar="BACKBONE",
                        help="2D CNN applied to each frame: small_cnn or a keras.applications name (e.g. MobileNetV2)")
    frames.add_argument("--segments", type=_positive, default=8, help="frames sampled per clip, one per segment")
    frames.add_argument("--feature-dim", type=_positive, default=256, help="features per frame before the head")
    frames.add_argument("--video-folder", help="folder of video folders of frames instead of synthetic clips")
    frames.add_argument("--train-labels", help="CSV of video_id;label for training (with --video-folder)")
    frames.add_argument("--test-labels", help="CSV of video_id;label for testing (with --video-folder)")
    frames.add_argument("--image-size", type=_positive, default=64, help="frame size for --video-folder and --data")

    heads = commands.add_parser("heads", help="print Köpüklü et al.'s Table 3: parameters and FLOPs of every head")
    heads.add_argument("--segments", type=_positive, default=8, help="frames sampled per clip")
    heads.add_argument("--feature-dim", type=_positive, default=256, help="features per frame")
    heads.add_argument("--classes", type=_integer(2), default=27, help="output classes")
    _add_common(heads)

    presets = commands.add_parser("presets", help="print every named model: paper, input, parameters, MACs")
    presets.add_argument("--family", help="only this family's presets (e.g. video_resnet)")
    _add_common(presets)

    train = commands.add_parser("train", help="train one network of any family, resumably, on a synthetic task or "
                                              "on your videos (--data)")
    train.add_argument("--model", required=True, metavar="MODEL",
                       help="a preset name: `stkeras presets` lists them")
    _add_run_options(train, recipe="quick32")
    _add_distribute(train)
    videos = train.add_argument_group("your videos (--data) instead of a synthetic task")
    _add_video_data(videos)
    videos.add_argument("--validation-split", type=_fraction, default=0.2,
                        help="share of a folder's videos held out and scored after each epoch (a --layout holds "
                             "out its own evaluation split)")
    videos.add_argument("--weights", metavar="FILE",
                        help="start from this checkpoint: one the preset declares (the weights column of `stkeras "
                             "presets`: torchvision's .pth, PyTorchVideo's .pyth), or a .weights.h5 of the same model "
                             "(other classes: the classifier starts fresh)")
    videos.add_argument("--frozen-stages", type=_integer(0), metavar="K",
                        help="keep the stem and the first K stages frozen (video ResNets)")

    evaluate = commands.add_parser("evaluate", help="top-1 and top-5 accuracy of a saved classifier on your videos, "
                                                    "over test views, with a confusion matrix", allow_abbrev=False)
    evaluate.add_argument("--model-file", required=True, metavar="FILE", help="a saved model, e.g. RUN/model.keras")
    _add_video_data(evaluate, required=True, image_size=False)
    evaluate.add_argument("--split", help="the layout's split (default: its evaluation split)")
    evaluate.add_argument("--views", default="1x1", metavar="KxC",
                          help="K clips in time x C crops (1: centre, 3: along the long side) per video, scores "
                               "averaged, e.g. 10x3")
    evaluate.add_argument("--batch-size", type=_positive, default=4, help="videos per batch")
    evaluate.add_argument("--out", required=True, help="output folder")
    _add_common(evaluate)

    tune = commands.add_parser("tune", help="search a temporal design space with keras-tuner, resumably")
    tune.add_argument("--space", default="courtney", choices=choices.TUNING_SPACES,
                      help="courtney: Courtney & Sreenivas 2022's networks; video_resnet: Tran et al. 2018's; heads: Köpüklü et al.'s frame models")
    tune.add_argument("--tuner", default="random", choices=choices.TUNERS, help="keras-tuner's search algorithm")
    tune.add_argument("--max-trials", type=_positive, default=10, help="trials in all (a rerun adds the missing ones)")
    tune.add_argument("--max-time", type=_seconds, help="seconds after which no new trial starts")
    tune.add_argument("--ops", type=_ops, help=f"comma-separated ops searched per stage (default: all of "
                                               f"{','.join(choices.SEARCHABLE_OPS)})")
    tune.add_argument("--heads", type=_heads, help="comma-separated heads searched (default: all that fit)")
    tune.add_argument("--width-multipliers", type=_multipliers, help="comma-separated channel multipliers searched "
                                                                     "(default: 1,0.5)")
    tune.add_argument("--depth", type=int, choices=(10, 18, 34, 50), default=10, help="video_resnet's depth")
    tune.add_argument("--segments", type=_positive, default=8, help="frames sampled per clip (heads space)")
    tune.add_argument("--seeds", type=_integer(1), default=1, metavar="N",
                      help="after the search, train the best trial's hyperparameters with N-1 more seeds and say "
                           "whether the spread between the best and the worst trial exceeds the seed spread")
    tune.add_argument("--trials-per-process", type=_positive, default=1,
                      help="restart after this many trials, freeing the memory TensorFlow keeps")
    _add_run_options(tune, head=False)
    tune_videos = tune.add_argument_group("your videos (--data) instead of synthetic clips (courtney and "
                                          "video_resnet spaces)")
    _add_video_data(tune_videos)
    tune_videos.add_argument("--validation-split", type=_fraction, default=0.2,
                             help="share of a folder's videos held out to score the trials")
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
    explain.add_argument("--task", default="digit", choices=choices.TASKS)
    explain.add_argument("--recipe", choices=choices.RECIPES,
                         help="the clip settings the model was trained with (default: the first recipe with "
                              "the model's frame size)")
    explain.add_argument("--clips", type=_positive, default=8, help="held-out clips per model")
    explain.add_argument("--method", default="gradcam", choices=choices.METHODS, help="the explanation method")
    explain.add_argument("--weighting", default="per_frame", choices=choices.WEIGHTINGS,
                         help="per_frame: a channel weight per time step; global: one per clip (tf-keras-vis')")
    explain.add_argument("--layer", help="layer name or BLOCK/op (default: the last spatiotemporal layer)")
    explain.add_argument("--seed", type=_integer(0), default=0, help="seed of the held-out clips")
    explain.add_argument("--batch-size", type=_positive, default=8, help="clips per Grad-CAM batch")
    explain.add_argument("--out", required=True, help="output folder")
    _add_common(explain)
    real = explain.add_argument_group("your videos (--data) instead of held-out synthetic clips")
    real.add_argument("--data", metavar="DIR", help="a folder of class subfolders of videos, or a published "
                                                    "dataset's folder (--layout); --clips videos are explained")
    real.add_argument("--layout", choices=choices.LAYOUTS, help="the published dataset --data holds")
    real.add_argument("--split", help="the layout's split (default: its evaluation split)")
    real.add_argument("--frame-step", type=_positive, default=2, help="step between a clip's frames")

    sensitivity = commands.add_parser(
        "sensitivity", help="Courtney & Sreenivas 2019's Figure 5: accuracy when one spatial scale's ConvLSTMs are reset every T frames",
        allow_abbrev=False)
    sensitivity.add_argument("--model-file", required=True, metavar="FILE",
                             help="a saved model with ConvLSTMs, e.g. RUN/model.keras")
    sensitivity.add_argument("--task", default="digit", choices=choices.TASKS)
    sensitivity.add_argument("--recipe", choices=choices.RECIPES,
                             help="the clip settings the model was trained with (default: the first recipe with "
                              "the model's frame size)")
    sensitivity.add_argument("--clips", type=_positive, default=256, help="held-out clips per measurement")
    sensitivity.add_argument("--periods", type=_periods, default=(1, 2, 4, 8, None),
                             help="reset periods T, comma-separated; never-reset is always added")
    sensitivity.add_argument("--scales", help="scales to reset, comma-separated (e.g. s/2,s/8; default: all)")
    sensitivity.add_argument("--seed", type=_integer(0), default=0, help="seed of the held-out clips")
    sensitivity.add_argument("--batch-size", type=_positive, default=16, help="clips per prediction batch")
    sensitivity.add_argument("--out", required=True, help="output folder")
    _add_common(sensitivity)

    rf = commands.add_parser("rf", help="print a network's receptive-field table")
    which = rf.add_mutually_exclusive_group(required=True)
    which.add_argument("--model", choices=choices.COURTNEY_MODELS, help="one of Courtney & Sreenivas 2022's networks")
    which.add_argument("--op", choices=choices.OPS, help="Courtney & Sreenivas 2022's network around any registered op")
    rf.add_argument("--size", default="base", choices=choices.COURTNEY_SIZES, help="model size")
    rf.add_argument("--frames", type=_positive, default=48, help="frames per clip")
    rf.add_argument("--resolution", type=_positive, default=64, help="frame height and width")
    rf.add_argument("--sublayers", action="store_true", help="also list the layers inside the blocks")
    _add_common(rf)
    return parser


_positive = _integer(1)


def _periods(text):
    """`--periods`: positive ints, comma-separated; never-reset (None) is added as the reference."""
    values = tuple(_positive(part.strip()) for part in text.split(",") if part.strip())
    if not values:
        raise argparse.ArgumentTypeError(f"expected positive integers separated by commas, got {text!r}")
    return values + (None,)


def _strategy(args):
    """The `tf.distribute` strategy of `--distribute`; `None` for data_parallel, which `_start_data_parallel` set."""
    if args.distribute == "data_parallel":
        return None
    from stkeras.training.distribute import make_strategy

    return make_strategy(args.distribute)


def _start_data_parallel(args, settings, clip_counts=(), features=()):
    """`--distribute data_parallel`: the library's checks, then the processes connect; then --mixed-precision.

    Runs before the command builds anything (JAX must not compute before
    the processes connect), so `main` leaves --mixed-precision to it.
    """
    if args.distribute != "data_parallel":
        for option in ("coordinator", "num_processes", "process_id"):
            if getattr(args, option) is not None:
                raise ValueError(f"--{option.replace('_', '-')} is for --distribute data_parallel.")
        return
    from stkeras.training.data_parallel import plan_data_parallel

    plan_data_parallel(batch_size=settings["batch_size"], clip_counts={name: settings[name] for name in clip_counts},
                       coordinator=args.coordinator, num_processes=args.num_processes, process_id=args.process_id,
                       seed=settings["seed"], features=features)
    if args.mixed_precision:
        _use_mixed_precision()


def _run_settings(args, size=True):
    """The task and the resolved settings of a run's options."""
    from stkeras.experiments.settings import resolve_settings
    from stkeras.tasks import get_task

    return get_task(args.task), resolve_settings(args.recipe, args.size if size else None, **_overrides(args))


def _claim_run_folder(args, settings):
    """Records the run's settings in `--out`, refusing a folder that holds a run with other settings."""
    from stkeras.experiments.run_folder import claim_run_folder
    from stkeras.experiments.settings import jsonable

    overrides = {override.name for override in choices.OVERRIDES}
    options = {name: value for name, value in vars(args).items() if name not in HOW_TO_RUN and name not in overrides}
    claim_run_folder(args.out, {**options, **jsonable(settings)}, overwrite=args.overwrite)


def _use_mixed_precision():
    """Sets Keras' global policy to this machine's mixed precision; a machine without one is an argument error."""
    import keras

    from stkeras.training import mixed_precision_policy

    try:
        keras.mixed_precision.set_global_policy(mixed_precision_policy())
    except RuntimeError as error:
        raise ArgumentError(f"--mixed-precision: {error}") from error


def _build_each(names, build):
    """Builds each model once and frees it: what the arguments cannot make fails before any training."""
    from stkeras.training import fresh_session

    for name in names:
        build(name)
        fresh_session()


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
    if args.data is not None:
        _compare_videos(args)
        return
    if args.layout is not None:
        raise ArgumentError("--layout names the videos of --data: give --data DIR too.")
    if args.heads:
        _compare_heads(args)
        return
    from stkeras.backend_support import require_tensorflow
    from stkeras.experiments import run_compare
    from stkeras.experiments.models import build_trainable

    with _arguments():
        task, settings = _run_settings(args)
        _start_data_parallel(args, settings, ("train_clips", "validation_clips", "test_clips"),
                             features=("Grad-CAM",) if args.explain else ())
        if args.explain:
            require_tensorflow("Grad-CAM")
        _build_each(args.models, lambda name: build_trainable(name, settings, task, args.head))
        strategy = _strategy(args)
        _claim_run_folder(args, settings)
    run_compare(args.out, task=args.task, models=args.models, recipe=args.recipe, size=args.size, head=args.head,
                explain=args.explain, verbose=args.verbose, strategy=strategy, seeds=args.seeds,
                tensorboard=args.tensorboard, **_overrides(args))


def _compare_videos(args):
    from stkeras.experiments.compare_videos import run_compare_videos
    from stkeras.experiments.settings import resolve_settings
    from stkeras.experiments.train_videos import build_video_model
    from stkeras.experiments.train_videos import video_run

    for option, given in (("--task", args.task != "digit"), ("--explain", args.explain), ("--seeds", args.seeds > 1),
                          ("--heads", args.heads), ("--video-folder", args.video_folder)):
        if given:
            raise ArgumentError(f"{option} is for synthetic clips; with --data the models are compared on the "
                                "data's classes.")
    names = [f"{name}_xl" if args.size == "xl" else name for name in args.models]
    data = dict(data=args.data, layout=args.layout, recipe=args.recipe, image_size=args.image_size,
                frame_step=args.frame_step, validation_split=args.validation_split)
    overrides = {k: v for k, v in _overrides(args).items() if k in ("epochs", "frames", "batch_size", "seed")}
    with _arguments():
        _start_data_parallel(args, resolve_settings(args.recipe, **overrides))
        settings, task, _, _ = video_run(**data, **overrides)
        _build_each(names, lambda name: build_video_model(name, settings, task, head=args.head))
        strategy = _strategy(args)
        _claim_run_folder(args, settings)
    run_compare_videos(args.out, models=names, **data, head=args.head, strategy=strategy, verbose=args.verbose,
                       tensorboard=args.tensorboard, **overrides)


def _compare_heads(args):
    from stkeras.experiments.head_compare import run_head_compare
    from stkeras.models import build_frame_model

    image_size = (args.image_size, args.image_size)
    with _arguments():
        task, settings = _run_settings(args, size=False)
        _start_data_parallel(args, settings, features=("compare --heads",))
        frame_shape = (settings["size"], settings["size"], 1)
        if args.video_folder is not None:
            task, frame_shape = _video_folder_task(args, image_size), (*image_size, 3)
        _build_each(args.heads, lambda head: build_frame_model(
            backbone=args.backbone, head=head, num_segments=args.segments, feature_dim=args.feature_dim, task=task,
            input_shape=frame_shape))
        strategy = _strategy(args)
        _claim_run_folder(args, settings)
    run_head_compare(args.out, heads=args.heads, task=args.task, recipe=args.recipe, backbone=args.backbone,
                     num_segments=args.segments, feature_dim=args.feature_dim, video_root=args.video_folder,
                     train_labels=args.train_labels, test_labels=args.test_labels, image_size=image_size,
                     verbose=args.verbose, strategy=strategy, tensorboard=args.tensorboard, **_overrides(args))


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
    from stkeras.backend_support import require_tensorflow
    from stkeras.experiments.explain import model_label
    from stkeras.experiments.explain import run_explain
    from stkeras.experiments.settings import recipe_for_model
    from stkeras.experiments.settings import settings_for_model
    from stkeras.explain import feature_layer

    with _arguments():
        require_tensorflow("Grad-CAM")
        models = {model_label(path): _load_model(path) for path in args.model_file}
        for model in models.values():
            if args.data is None:
                settings_for_model(model, recipe_for_model(model, args.recipe), args.seed)
            if args.method != "saliency":
                feature_layer(model, args.layer)
        if args.data is not None:
            from stkeras.experiments.evaluate import evaluation_data
            from stkeras.experiments.evaluate import saved_class_names

            for path, model in zip(args.model_file, models.values()):
                evaluation_data(model, data=args.data, layout=args.layout, split=args.split,
                                frame_step=args.frame_step, class_names=saved_class_names(path))
        elif args.layout or args.split:
            raise ValueError("--layout and --split name the videos of --data: give --data DIR too.")
    if args.data is not None:
        from stkeras.experiments.explain_videos import run_explain_videos

        run_explain_videos(models, args.out, data=args.data, layout=args.layout, split=args.split,
                           num_clips=args.clips, frame_step=args.frame_step, method=args.method, layer=args.layer,
                           weighting=args.weighting, batch_size=args.batch_size)
        return
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
    if args.data is not None:
        _train_videos(args)
        return
    for option in ("layout", "weights", "frozen_stages"):
        if getattr(args, option) is not None:
            raise ArgumentError(f"--{option.replace('_', '-')} is for training on videos: give --data DIR too.")
    from stkeras.experiments import run_train
    from stkeras.experiments.models import build_trainable

    with _arguments():
        task, settings = _run_settings(args)
        _start_data_parallel(args, settings, ("train_clips", "validation_clips"))
        _build_each([args.model], lambda name: build_trainable(name, settings, task, args.head))
        strategy = _strategy(args)
        _claim_run_folder(args, settings)
    run_train(args.out, model=args.model, task=args.task, recipe=args.recipe, size=args.size, head=args.head,
              strategy=strategy, verbose=args.verbose, tensorboard=args.tensorboard, **_overrides(args))


def _train_videos(args):
    from stkeras.experiments.settings import resolve_settings
    from stkeras.experiments.train_videos import build_video_model
    from stkeras.experiments.train_videos import run_train_videos
    from stkeras.experiments.train_videos import video_run
    from stkeras.experiments.models import trainable_names
    from stkeras.validation import check_choice

    if args.task != "digit":
        raise ArgumentError(f"--task {args.task} is a synthetic task; with --data the classes are the data's.")
    data = dict(data=args.data, layout=args.layout, recipe=args.recipe, image_size=args.image_size,
                frame_step=args.frame_step, validation_split=args.validation_split)
    model = dict(weights=args.weights, frozen_stages=args.frozen_stages, head=args.head)
    overrides = {k: v for k, v in _overrides(args).items() if k in ("epochs", "frames", "batch_size", "seed")}
    with _arguments():
        check_choice("model", args.model, trainable_names())
        if args.weights is not None and not os.path.isfile(args.weights):
            raise ValueError(f"--weights {args.weights!r} is not a file.")
        _start_data_parallel(args, resolve_settings(args.recipe, **overrides))
        settings, task, _, _ = video_run(**data, **overrides)
        _build_each([args.model], lambda name: build_video_model(name, settings, task, **model))
        strategy = _strategy(args)
        _claim_run_folder(args, settings)
    run_train_videos(args.out, model=args.model, **data, **model, strategy=strategy, verbose=args.verbose,
                     tensorboard=args.tensorboard, **overrides)


def _evaluate(args):
    from stkeras.experiments.evaluate import evaluation_data
    from stkeras.experiments.evaluate import run_evaluate
    from stkeras.experiments.evaluate import saved_class_names

    with _arguments():
        model = _load_model(args.model_file)
        class_names = saved_class_names(args.model_file)
        evaluation_data(model, data=args.data, layout=args.layout, split=args.split, views=args.views,
                        frame_step=args.frame_step, batch_size=args.batch_size, class_names=class_names)
    run_evaluate(model, args.out, data=args.data, layout=args.layout, split=args.split, views=args.views,
                 frame_step=args.frame_step, batch_size=args.batch_size, class_names=class_names,
                 label=args.model_file)


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

    from stkeras.experiments.tune import search_settings

    if args.data is None and args.layout is not None:
        raise ValueError("--layout names the videos of --data: give --data DIR too.")
    task, settings = search_settings(args.space, args.task, args.recipe, args.size, _tune_videos(args),
                                     _overrides(args))
    distributed_environment(args.oracle, args.role, args.tuner_id)
    frames = args.segments if args.space == "heads" else settings["frames"]
    if args.space == "courtney":
        options = {"size": settings["model_size"], **options}
    channels = 1 if args.data is None else 3
    SPACES[args.space](input_shape=(frames, settings["size"], settings["size"], channels), task=task,
                       total_steps=steps_per_epoch(settings) * settings["epochs"],
                       default_learning_rate=settings["learning_rate"], warmup_fraction=settings["warmup_fraction"],
                       seed=settings["seed"], **options)
    _claim_run_folder(args, settings)


def _tune_once(args, options, started):
    from stkeras.experiments import run_tune

    max_time = None if args.max_time is None else max(args.max_time - (time.time() - started), 1e-3)
    return run_tune(args.out, space=args.space, task=args.task, algorithm=args.tuner, max_trials=args.max_trials,
                    max_time=max_time, recipe=args.recipe, size=args.size, num_segments=args.segments,
                    space_options=options, trials_per_process=args.trials_per_process, oracle=args.oracle,
                    role=args.role, tuner_id=args.tuner_id, seeds=args.seeds, verbose=args.verbose,
                    tensorboard=args.tensorboard, videos=_tune_videos(args), **_overrides(args))


def _tune_videos(args):
    """`run_tune`'s `videos` of `--data` and its options, or `None`."""
    if args.data is None:
        return None
    return dict(data=args.data, layout=args.layout, image_size=args.image_size, frame_step=args.frame_step,
                validation_split=args.validation_split)


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


def _read_toml(path):
    """The TOML file `path` as a dict; a missing or damaged file is named in the error."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        with open(path, "rb") as file:
            return tomllib.load(file)
    except OSError as error:
        raise ArgumentError(f"--config {path!r} cannot be read: {error.strerror or error}") from error
    except tomllib.TOMLDecodeError as error:
        raise ArgumentError(f"--config {path!r} is not valid TOML: {error}") from error


def _config_path(argv):
    """The value of `--config` in `argv`, or None."""
    for index, token in enumerate(argv):
        if token == "--config" and index + 1 < len(argv):
            return argv[index + 1]
        if token.startswith("--config="):
            return token.split("=", 1)[1]
    return None


def _config_arguments(command_parser, command, path):
    """The options of the TOML file `path` as command-line arguments of `command`.

    Each key is one of the command's options, spelled `train_clips` or
    `train-clips`; a list is a comma-separated value (several values for an
    option that takes several); `true` sets a flag and `false` leaves it off.
    """
    actions = {action.dest: action for action in command_parser._actions if action.option_strings}
    arguments = []
    for key, value in _read_toml(path).items():
        dest = key.replace("-", "_")
        action = actions.get(dest)
        if action is None or dest in ("config", "help"):
            allowed = ", ".join(sorted(name for name in actions if name not in ("config", "help")))
            raise ArgumentError(f"--config {path!r} has an unknown option {key!r} for `stkeras {command}`. "
                                f"Allowed: {allowed}.")
        flag = action.option_strings[-1]
        if isinstance(value, dict):
            raise ArgumentError(f"--config {path!r}: {key!r} must be a value or a list, not a table.")
        if action.nargs == 0:  # a flag: store_true
            if not isinstance(value, bool):
                raise ArgumentError(f"--config {path!r}: {key!r} is a flag; expected true or false, got {value!r}.")
            arguments += [flag] if value else []
        elif isinstance(value, list):
            texts = [str(item) for item in value]
            arguments += [flag, *texts] if action.nargs in ("+", "*") else [flag, ",".join(texts)]
        else:
            arguments += [flag, str(value).lower() if isinstance(value, bool) else str(value)]
    return arguments


def parse_arguments(argv=None):
    """The parsed arguments of `argv` (default: the command line), with `--config FILE`'s options under them.

    The file's options come first, so that options given on the command
    line override them.

    Example:
    >>> parse_arguments(["rf", "--model", "conv3d", "--frames", "16"]).frames
    16
    """
    parser = make_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    path = _config_path(argv)
    commands = parser.command_parsers
    if path is not None and argv and argv[0] in commands:
        try:
            argv = [argv[0], *_config_arguments(commands[argv[0]], argv[0], path), *argv[1:]]
        except ArgumentError as error:
            commands[argv[0]].error(str(error))
    return parser.parse_args(argv)


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
    args = parse_arguments(argv)
    args.argv = argv
    quiet_start_for_command_line(verbose=args.verbose)  # TensorFlow's import, without its log lines
    keep_freed_memory()  # about 1.8x faster training steps on Linux: see stkeras.allocator
    try:
        if getattr(args, "mixed_precision", False) and getattr(args, "distribute", None) != "data_parallel":
            _use_mixed_precision()  # under data_parallel, once the processes connect (`_start_data_parallel`)
        {"compare": _compare, "train": _train, "tune": _tune, "rf": _rf, "heads": _head_table, "presets": _presets,
         "explain": _explain, "sensitivity": _sensitivity, "evaluate": _evaluate}[args.command](args)
    except ArgumentError as error:
        print(f"stkeras {args.command}: error: {error}", file=sys.stderr)
        return 2
    except FloatingPointError as error:  # stkeras.training.NonFiniteLossError: the training diverged
        print(f"stkeras {args.command}: training stopped: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
