"""The `stkeras` command line: compare, train, evaluate, tune, explain, sensitivity, heads, presets, rf, cache,
export and predict.

    stkeras compare --recipe blink16_12k --out runs/quick
    stkeras train --model convlstm --task speed --out runs/convlstm
    stkeras train --config run.toml --epochs 5
    stkeras train --model r2plus1d_18 --data videos --weights r2plus1d_18-91a641e6.pth --out runs/ft
    stkeras train --model x3d_s --data videos --weights X3D_S.pyth --recipe x3d_finetune --frame-step 6 --out runs/x3d
    stkeras evaluate --model runs/ft --data videos_test --views 10x3 --out runs/ft/test
    stkeras compare --task order --controls both --seeds 2 --out runs/order_controls
    stkeras evaluate --model runs/ft --data videos_test --controls --seeds 3 --out runs/ft/controls
    stkeras explain --model runs/convlstm --out runs/convlstm/explain
    stkeras tune --space courtney --tuner bayesian --max-trials 20 --out runs/search
    stkeras rf --model ts_conv3d_xl
    stkeras presets --family video_resnet
    stkeras cache videos videos-cache
    stkeras export runs/convlstm --format litert --out convlstm.tflite
    stkeras predict runs/ft match.mp4 videos/ --out predictions

Each command is parsed here, then planned and run by its application
(`stkeras.experiments.APPLICATIONS`): the plan resolves the task, the data,
the models and the recipe once and checks everything, building each model
once and listing the data once; the run does the work. `--model` and
`--models` name presets (`stkeras presets`) when a command trains, and
preset folders (a run folder) when it reads a trained model.

`--config FILE` reads a TOML file whose keys are the command's options
(`epochs = 5`, `models = ["conv2d", "convlstm"]`); options on the command
line override it. Errors in the arguments exit with a one-line error and
status 2; see `main`. The parser imports no Keras: its names come from
`stkeras.recipes` and `stkeras.choices`, and a command imports what it runs.
"""

import argparse
import contextlib
import os
import sys

from stkeras import __version__
from stkeras import choices
from stkeras.allocator import keep_freed_memory
from stkeras.quiet import quiet_start_for_command_line
from stkeras.recipes import FINE_TUNING
from stkeras.recipes import OVERRIDES
from stkeras.recipes import list_recipes

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


EXIT_STATUS = ("exit status: 0 done; 2 an error in the arguments, on one line, before any training (argparse's "
               "checks, then the plan: settings, names, data and files resolved and the models built once); 1 an "
               "error while training or evaluating, with its traceback, or a training whose loss diverged, on one "
               "line")
DEFAULT_MODELS = ("conv2d", "conv3d", "ts_conv3d", "convlstm")


class ArgumentError(Exception):
    """An error in a command's arguments: `main` prints it on one line and returns status 2."""


@contextlib.contextmanager
def _arguments():
    """The plan of a command: the errors raised in it are the arguments' (`ArgumentError`)."""
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


def _names(kind, allowed=None):
    """An argparse type: comma-separated names, each one of `allowed` (any name if `None`: the plan checks it)."""

    def parse(text):
        names = [name.strip() for name in text.split(",") if name.strip()]
        unknown = [name for name in names if allowed is not None and name not in allowed]
        if unknown or not names:
            raise argparse.ArgumentTypeError(f"unknown {kind}(s) {', '.join(map(repr, unknown)) or 'none given'}; "
                                             f"choose from {','.join(allowed or ())}")
        return names

    return parse


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


_positive = _integer(1)


def _setting(override):
    """An argparse type: a value of a recipe setting (`stkeras.recipes.Override`), checked by it, else a one-line
    error."""
    if override.kind == "int" and override.maximum is None:
        return _integer(override.minimum)

    def parse(text):
        try:
            value = {"int": int, "number": float, "choice": str}[override.kind](text)
            return override.check(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {override.allowed()}, got {text!r}") from None

    return parse


def _add_settings(parser, overrides):
    """One option per recipe setting (`--train-clips`, `--label-smoothing`, ...), its values checked as the recipe's."""
    for override in overrides:
        choices = {"choices": override.choices} if override.kind == "choice" else {}
        parser.add_argument(f"--{override.name.replace('_', '-')}", type=_setting(override), **choices,
                            help=f"{override.help} (default: {override.default})")


def _multipliers(text):
    """`--width-multipliers`: comma-separated numbers (the space checks their range)."""
    try:
        values = [float(v) for v in text.split(",") if v]
    except ValueError:
        values = []
    if not values:
        raise argparse.ArgumentTypeError(f"expected comma-separated channel multipliers, got {text!r}")
    return values


def _seconds(text):
    try:
        value = float(text)
    except ValueError:
        value = 0
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a number of seconds > 0, got {text!r}")
    return value


def _fraction(text):
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"expected a fraction between 0 and 1, got {text!r}")
    return value


def _periods(text):
    """`--periods`: positive ints, comma-separated; never-reset (None) is added as the reference."""
    values = tuple(_positive(part.strip()) for part in text.split(",") if part.strip())
    if not values:
        raise argparse.ArgumentTypeError(f"expected positive integers separated by commas, got {text!r}")
    return values + (None,)


def _frame_size(text):
    """`--frame-size`: `HEIGHTxWIDTH` or one side (square frames)."""
    parts = text.lower().split("x")
    try:
        sizes = [int(part) for part in parts]
    except ValueError:
        sizes = []
    if len(sizes) == 1:
        sizes = sizes * 2
    if len(sizes) != 2 or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"expected HEIGHTxWIDTH (e.g. 240x320) or one side, got {text!r}")
    return tuple(sizes)


def _add_common(parser):
    parser.add_argument("--config", metavar="FILE",
                        help="TOML file whose keys are this command's options (e.g. epochs = 5); options given on "
                             "the command line override it")
    parser.add_argument("--verbose", action="store_true",
                        help="show TensorFlow's start-up log lines and Keras' progress bars")


def _add_run_options(parser, *, recipe, memory_check=True):
    """The options of a command that trains: task, recipe, run folder, precision, the recipe's overrides."""
    parser.add_argument("--task", choices=choices.TASKS, help="the synthetic task (default: digit)")
    parser.add_argument("--recipe", default=recipe, choices=list_recipes(),
                        help="clip and training settings, named by what they hold (blink16_12k: 12,288 clips of "
                             "16x16, minutes on a CPU)")
    parser.add_argument("--segments", type=_positive, metavar="N",
                        help="sample N frames per clip, one per segment (random in training, centred in "
                             "evaluation), as Köpüklü et al.'s frame models read them")
    parser.add_argument("--out", required=True, help="run folder")
    parser.add_argument("--overwrite", action="store_true",
                        help="if --out holds a run with other settings, delete it and start over (by default the "
                             "command refuses; with the same settings it resumes)")
    parser.add_argument("--tensorboard", action="store_true",
                        help="also log every epoch's scores for TensorBoard, in the run folder")
    parser.add_argument("--mixed-precision", action="store_true",
                        help="train under Keras' mixed precision: mixed_float16 on a GPU, mixed_bfloat16 on a CPU "
                             "with bfloat16 instructions (float32 variables and outputs)")
    if memory_check:
        parser.add_argument("--skip-memory-check", action="store_true",
                            help="train even if the run's estimated memory exceeds the memory available")
    _add_common(parser)
    _add_settings(parser, OVERRIDES)


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


def _add_videos(parser, *, training):
    """Where a user's videos are: `--data`, `--layout` (and `--split` to read a trained model's)."""
    group = parser.add_argument_group("your videos (--data) instead of synthetic clips")
    group.add_argument("--data", metavar="DIR",
                       help="a folder of class subfolders of video files (mp4, avi, mkv, webm, mov, gif) or frame "
                            "folders; with --layout, a published dataset's folder")
    group.add_argument("--layout", choices=choices.LAYOUTS,
                       help="the published dataset --data holds (its split files and labels)")
    if training:
        group.add_argument("--validation-split", type=_fraction, default=0.2,
                           help="share of a folder's videos held out and scored (a --layout holds out its own "
                                "evaluation split)")
        group.add_argument("--frame-size", type=_positive,
                           help="frame height and width of the clips (default: the weights' (--weights), else 112)")
        group.add_argument("--frame-step", type=_positive, default=2, help="step between a clip's frames")
    else:
        group.add_argument("--split", help="the layout's split (default: its evaluation split)")
    return group


def make_parser():
    """The `stkeras` argument parser (its help imports no Keras)."""
    parser = _Parser(prog="stkeras", description="Spatiotemporal networks in Keras 3.", epilog=EXIT_STATUS)
    parser.add_argument("--version", action="version", version=f"stkeras {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    parser.command_parsers = commands.choices  # each command's own parser, for --config

    compare = commands.add_parser("compare", help="train several presets on the same clips and compare them "
                                                  "(Courtney & Sreenivas 2022's networks by default)")
    compare.add_argument("--models", type=_names("preset"), default=list(DEFAULT_MODELS),
                         help="comma-separated preset names (`stkeras presets` lists them)")
    compare.add_argument("--head", choices=choices.CLIP_HEADS, help="a head for every model instead of its own")
    _add_run_options(compare, recipe="blink16_12k")
    _add_distribute(compare)
    compare.add_argument("--seeds", type=_integer(1), default=1, metavar="N",
                         help="train every model with N seeds (--seed, --seed + 1, ...: other clips and weights) and "
                              "report the mean, the spread and which differences exceed it (Welch's t-test, 5%%)")
    compare.add_argument("--explain", type=_integer(0), nargs="?", const=8, default=0, metavar="CLIPS",
                         help="also explain each model with Grad-CAM on CLIPS held-out clips (8 if CLIPS is left out)")
    compare.add_argument("--controls", choices=choices.CONTROL_MODES,
                         help="temporal controls of every model: test (its test clips shuffled, reversed, static, at "
                              "a half and a quarter of the frame rate, as their mean frame), train (the same preset, "
                              "seeds and budget trained on shuffled and on static clips) or both; each verdict by a "
                              "paired test over the clips, or Welch's t-test over --seeds")
    _add_videos(compare, training=True)

    heads = commands.add_parser("heads", help="print Köpüklü et al.'s Table 3: parameters and FLOPs of every head")
    heads.add_argument("--segments", type=_positive, default=8, help="frames sampled per clip")
    heads.add_argument("--feature-dim", type=_positive, default=256, help="features per frame")
    heads.add_argument("--classes", type=_integer(2), default=27, help="output classes")
    _add_common(heads)

    presets = commands.add_parser("presets", help="print every named model: paper, input, parameters, MACs")
    presets.add_argument("--family", help="only this family's presets (e.g. video_resnet)")
    _add_common(presets)

    train = commands.add_parser("train", help="train one preset of any family, resumably, on a synthetic task or "
                                              "on your videos (--data); the run folder is its preset folder")
    train.add_argument("--model", required=True, metavar="PRESET", help="a preset name: `stkeras presets` lists them")
    train.add_argument("--head", choices=choices.CLIP_HEADS, help="a head instead of the preset's")
    _add_run_options(train, recipe="blink32_3k")
    _add_distribute(train)
    videos = _add_videos(train, training=True)
    videos.add_argument("--weights", metavar="FILE",
                        help="start from this checkpoint: one the preset declares (the weights column of `stkeras "
                             "presets`: torchvision's .pth, PyTorchVideo's .pyth; its clips' resize, crop, mean and "
                             "std come with it), or a .weights.h5 of the same model (other classes: the classifier "
                             "starts fresh)")
    tuning = train.add_argument_group("fine-tuning on your videos (--data): recipe settings, e.g. of --recipe "
                                      "x3d_finetune, which these options override")
    _add_settings(tuning, FINE_TUNING)

    # The commands that read a trained model take its preset folder (a run folder) as --model.
    evaluate = commands.add_parser("evaluate", help="a trained model's scores on held-out clips: its recipe's, or "
                                                    "your videos' over test views, with a confusion matrix")
    evaluate.add_argument("--model", required=True, metavar="DIR",
                          help="a trained model's preset folder: a run folder of `stkeras train`, RUN/models/<preset> "
                               "of `compare`")
    _add_videos(evaluate, training=False)
    evaluate.add_argument("--views", default="1x1", metavar="KxC",
                          help="K clips in time x C crops (1: centre, 3: along the long side) per video, scores "
                               "averaged, e.g. 10x3")
    evaluate.add_argument("--batch-size", type=_positive, default=4, help="videos per batch")
    evaluate.add_argument("--seed", type=_integer(0), default=0, help="seed of the synthetic test clips")
    evaluate.add_argument("--controls", type=_names("control", choices.TEMPORAL_CONTROLS), nargs="?",
                          const=list(choices.TEMPORAL_CONTROLS), metavar="NAMES",
                          help="also score the clips under temporal controls (comma-separated; all if NAMES is left "
                               f"out: {','.join(choices.TEMPORAL_CONTROLS)}), each against the clips as they are by "
                               "a paired test over the clips")
    evaluate.add_argument("--seeds", type=_integer(1), default=1, metavar="N",
                          help="with --controls: N draws of the random controls (--seed, --seed + 1, ...; and other "
                               "synthetic test clips), the verdicts by Welch's t-test over them")
    evaluate.add_argument("--out", required=True, help="output folder")
    _add_common(evaluate)

    tune = commands.add_parser("tune", help="search a temporal design space with keras-tuner, resumably")
    tune.add_argument("--space", default="courtney", choices=choices.TUNING_SPACES,
                      help="courtney: Courtney & Sreenivas 2022's networks; video_resnet: Tran et al. 2018's; "
                           "heads: Köpüklü et al.'s frame models")
    tune.add_argument("--tuner", default="random", choices=choices.TUNERS, help="keras-tuner's search algorithm")
    tune.add_argument("--max-trials", type=_positive, default=10, help="trials in all (a rerun adds the missing ones)")
    tune.add_argument("--max-time", type=_seconds, help="seconds after which no new trial starts")
    tune.add_argument("--ops", type=_names("op", choices.SEARCHABLE_OPS),
                      help=f"comma-separated ops searched per stage (default: all of {','.join(choices.SEARCHABLE_OPS)})")
    tune.add_argument("--heads", type=_names("head", choices.HEADS), help="comma-separated heads searched "
                                                                          "(default: all that fit)")
    tune.add_argument("--width-multipliers", type=_multipliers, help="comma-separated channel multipliers searched "
                                                                     "(default: 1,0.5)")
    tune.add_argument("--depth", type=int, choices=(10, 18, 34, 50), default=10, help="video_resnet's depth")
    tune.add_argument("--width", default="base", choices=choices.COURTNEY_WIDTHS, help="courtney's width")
    tune.add_argument("--seeds", type=_integer(1), default=1, metavar="N",
                      help="after the search, train the best trial's hyperparameters with N-1 more seeds and say "
                           "whether the spread between the best and the worst trial exceeds the seed spread")
    tune.add_argument("--trials-per-process", type=_positive, default=1,
                      help="continue in a new process after this many trials, freeing the memory TensorFlow keeps")
    _add_run_options(tune, recipe="blink16_12k", memory_check=False)
    _add_videos(tune, training=True)
    distributed = tune.add_argument_group("distributed search (keras-tuner's chief/worker mode, shared --out)")
    distributed.add_argument("--oracle", metavar="HOST:PORT", help="address of the chief's oracle")
    distributed.add_argument("--role", choices=("chief", "worker"), help="chief: serves the oracle; worker: runs trials")
    distributed.add_argument("--tuner-id", help="a worker's unique name (default: worker-<host>-<pid>)")

    explain = commands.add_parser("explain", help="Grad-CAM maps of trained models on their held-out clips, as GIFs "
                                                  "and PNGs, with how well they point at the digit")
    explain.add_argument("--model", required=True, nargs="+", metavar="DIR",
                         help="trained models' preset folders (run folders)")
    explain.add_argument("--clips", type=_positive, default=8, help="held-out clips (videos) per model")
    explain.add_argument("--method", default="gradcam", choices=choices.METHODS, help="the explanation method")
    explain.add_argument("--weighting", default="per_frame", choices=choices.WEIGHTINGS,
                         help="per_frame: a channel weight per time step; global: one per clip (tf-keras-vis')")
    explain.add_argument("--layer", help="layer name or BLOCK/op (default: the last spatiotemporal layer)")
    explain.add_argument("--seed", type=_integer(0), default=0, help="seed of the held-out synthetic clips")
    explain.add_argument("--batch-size", type=_positive, default=8, help="clips per Grad-CAM batch")
    explain.add_argument("--out", required=True, help="output folder")
    _add_common(explain)
    _add_videos(explain, training=False)

    sensitivity = commands.add_parser(
        "sensitivity", help="Courtney & Sreenivas 2019's Figure 5: accuracy when one spatial scale's ConvLSTMs are "
                            "reset every T frames")
    sensitivity.add_argument("--model", required=True, metavar="DIR",
                             help="a trained model's preset folder (a run folder) with ConvLSTMs")
    sensitivity.add_argument("--clips", type=_positive, default=256, help="held-out clips per measurement")
    sensitivity.add_argument("--periods", type=_periods, default=(1, 2, 4, 8, None),
                             help="reset periods T, comma-separated; never-reset is always added")
    sensitivity.add_argument("--scales", help="scales to reset, comma-separated (e.g. s/2,s/8; default: all)")
    sensitivity.add_argument("--seed", type=_integer(0), default=0, help="seed of the held-out synthetic clips")
    sensitivity.add_argument("--batch-size", type=_positive, default=16, help="clips per prediction batch")
    sensitivity.add_argument("--out", required=True, help="output folder")
    _add_common(sensitivity)
    _add_videos(sensitivity, training=False)

    rf = commands.add_parser("rf", help="print a network's receptive-field table")
    which = rf.add_mutually_exclusive_group(required=True)
    which.add_argument("--model", metavar="PRESET", help="a preset (`stkeras presets` lists them)")
    which.add_argument("--op", choices=choices.OPS, help="Courtney & Sreenivas 2022's network around any registered op")
    rf.add_argument("--width", default="base", choices=choices.COURTNEY_WIDTHS, help="the network's width with --op")
    rf.add_argument("--frames", type=_positive, default=48, help="frames per clip")
    rf.add_argument("--frame-size", type=_positive, default=64, help="frame height and width")
    rf.add_argument("--sublayers", action="store_true", help="also list the layers inside the blocks")
    _add_common(rf)

    cache = commands.add_parser("cache", help="decode a folder's videos once into a frame cache that later runs read "
                                              "instead (video_dataset_from_directory(DIR, cache=OUT))")
    cache.add_argument("data", metavar="DIR", help="a folder of video files or frame folders (searched in depth)")
    cache.add_argument("out", metavar="OUT", help="the cache folder (an interrupted run resumes in it)")
    cache.add_argument("--image-size", type=_positive, default=112, help="frame height and width of the clips")
    cache.add_argument("--resize-short", type=_positive,
                       help="short side of the cached frames (default: image size x 8/7, 128 for 112)")
    cache.add_argument("--workers", type=_positive, help="decoding processes (default: one per CPU core)")
    cache.add_argument("--on-error", default="raise", choices=("raise", "skip"),
                       help="a video that cannot be decoded: stop naming it, or leave it out and name it at the end")
    _add_common(cache)

    model_help = ("a trained model's preset folder (a run folder of `stkeras train`, RUN/models/<preset> of "
                  "`compare`), or a preset name (random weights unless --weights)")
    export = commands.add_parser("export", help="a trained model as a SavedModel, ONNX, LiteRT or OpenVINO artifact "
                                                "that takes uint8 RGB frames, its preprocessing inside")
    export.add_argument("model", metavar="MODEL", help=model_help)
    export.add_argument("--format", required=True, choices=choices.EXPORT_FORMATS,
                        help="saved_model: a folder; onnx: .onnx; litert: .tflite; openvino: .xml (+ .bin). onnx and "
                             "openvino need `pip install \"stkeras[export]\"`")
    export.add_argument("--out", required=True, metavar="PATH", help="the artifact (a JSON file beside it says its "
                                                                     "inputs, outputs and classes)")
    export.add_argument("--stream", action="store_true",
                        help="export the causal model's step model: one frame and the states in, that frame's "
                             "outputs and the new states out")
    export.add_argument("--frame-size", type=_frame_size, metavar="HxW",
                        help="size of the frames the artifact takes (default: the model's); others are resized and "
                             "centre-cropped inside")
    export.add_argument("--check", action="store_true",
                        help="run the artifact in its own runtime on random frames and print its largest "
                             "difference from Keras")
    export.add_argument("--weights", metavar="FILE", help="with a preset name: a checkpoint to load")
    _add_common(export)

    predict = commands.add_parser("predict", help="a trained model's scores over whole videos: sliding windows (or "
                                                  "frame by frame, --stream), per-window and per-frame scores, "
                                                  "a timeline")
    predict.add_argument("model", metavar="MODEL", help=model_help)
    predict.add_argument("videos", metavar="VIDEO", nargs="+",
                         help="video files, frame folders, or folders searched for them")
    predict.add_argument("--out", required=True, help="output folder")
    predict.add_argument("--window", type=_positive, help="frames per window (default: the model's)")
    predict.add_argument("--stride", type=_positive,
                         help="source frames between window starts (default: half a window)")
    predict.add_argument("--frame-step", type=_positive,
                         help="source frames between a window's frames (default: the model's)")
    predict.add_argument("--batch-size", type=_positive, default=8, help="windows per model call")
    predict.add_argument("--stream", action="store_true",
                         help="run the causal model's step model frame by frame, its state reset every --window "
                              "frames")
    predict.add_argument("--top", type=_positive, default=3, help="classes drawn in each timeline")
    predict.add_argument("--weights", metavar="FILE", help="with a preset name: a checkpoint to load")
    _add_common(predict)
    return parser


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

    Every command is parsed (argparse's checks), planned and run. Its plan
    (`stkeras.experiments.APPLICATIONS`) resolves the settings, names, data
    and files the arguments give and builds the models they describe once,
    before anything trains or is evaluated: an error there (`ArgumentError`,
    or argparse's) is one line, `stkeras <command>: error: ...`, and status
    2. An exception raised while the plan runs, while training or
    evaluating, is not the arguments': it propagates with its traceback (the
    console script and `python -m stkeras` exit with status 1). A training
    whose loss diverged (`FloatingPointError`) and a video that cannot be
    decoded while the plan runs (`VideoDecodeError`, naming it) are one line
    and status 1; a video found damaged while the plan lists and probes the
    data is the arguments' error (status 2), naming it too.
    """
    args = parse_arguments(argv)
    quiet_start_for_command_line(verbose=args.verbose)  # TensorFlow's import, without its log lines
    keep_freed_memory()  # about 1.8x faster training steps on Linux: see stkeras.allocator
    options = {name: value for name, value in vars(args).items() if name not in ("command", "config")}
    if args.command == "tune":  # the command line a new process continues a search with
        options["restart_argv"] = sys.argv[1:] if argv is None else None
    from stkeras.experiments import APPLICATIONS

    plan_command, run_command = APPLICATIONS[args.command]
    try:
        with _arguments():
            plan = plan_command(**options)
        run_command(plan)
    except ArgumentError as error:
        print(f"stkeras {args.command}: error: {error}", file=sys.stderr)
        return 2
    except FloatingPointError as error:  # stkeras.training.NonFiniteLossError: the training diverged
        print(f"stkeras {args.command}: training stopped: {error}", file=sys.stderr)
        return 1
    except ValueError as error:
        from stkeras.data.video_index import VideoDecodeError  # imported here: it would import TensorFlow

        if not isinstance(error, VideoDecodeError):
            raise
        print(f"stkeras {args.command}: {error}", file=sys.stderr)  # a damaged video, named
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
