"""The names the command line offers, as plain data: `stkeras --help` shows them without importing Keras.

The registries (ops, heads, tasks, recipes, tuning spaces) are filled when
their modules are imported, which imports TensorFlow. The command line
lists their built-in names from here instead, so that its help takes a
fraction of a second; `tests/test_choices.py` checks that every tuple here
equals the registry it mirrors. The fixed tuples (`STRATEGIES`, `METHODS`,
`WEIGHTINGS`, `OVERRIDES`) are defined here once and imported by the
modules that use them.

Example:
>>> "convlstm" in COURTNEY_MODELS
True
"""

import dataclasses

# Mirrors of the registries (checked by tests/test_choices.py).
COURTNEY_MODELS = ("conv2d", "conv3d", "ts_conv3d", "convlstm")
COURTNEY_SIZES = ("base", "xl")
TASKS = ("digit", "order", "speed")
RECIPES = ("quick", "learned", "quick32", "finding", "learned_speed", "paper", "koepueklue_jester", "courtney_lrw",
           "miao_kth", "miao_kinetics")
OPS = ("conv2d", "conv3d", "ts_conv3d", "convlstm", "conv2plus1d", "p3d_a", "p3d_b", "p3d_c", "stdcf", "rank1")
SEARCHABLE_OPS = ("conv2d", "conv3d", "convlstm", "conv2plus1d", "p3d_a", "p3d_b", "p3d_c", "stdcf", "rank1")
CLIP_HEADS = ("pool", "temporal_pool", "lstm", "gru", "rnn_tanh", "rnn_relu", "blstm", "convlstm", "mlp", "trn",
              "trn_multiscale", "fcn2d", "fcn3d")
HEADS = ("pool", "temporal_pool", "per_frame", "lstm", "gru", "rnn_tanh", "rnn_relu", "blstm", "convlstm", "mlp",
         "tsn", "trn", "trn_multiscale", "fcn2d", "fcn3d")
FRAME_HEADS = ("mlp", "tsn", "trn", "trn_multiscale", "rnn_tanh", "rnn_relu", "lstm", "gru", "blstm", "convlstm",
               "fcn2d", "fcn3d")
TUNING_SPACES = ("courtney", "video_resnet", "heads")
TUNERS = ("hyperband", "bayesian", "random")
LAYOUTS = ("ucf101", "hmdb51", "kinetics", "something_something_v2", "jester")

# Defined here once.
STRATEGIES = ("none", "mirrored", "data_parallel")
METHODS = ("gradcam", "gradcam++", "scorecam", "saliency")
WEIGHTINGS = ("global", "per_frame")


@dataclasses.dataclass(frozen=True)
class Override:
    """A run setting a user may change: its name, smallest value, help line and what it defaults to."""

    name: str
    minimum: int
    help: str
    default: str = "the recipe's"


# The run settings every training command takes as options (`--epochs 3`).
OVERRIDES = (
    Override("epochs", 1, "training epochs"),
    Override("train_clips", 1, "new training clips per epoch"),
    Override("test_clips", 1, "held-out test clips"),
    Override("validation_clips", 1, "held-out clips scored after each epoch (the learning curve)"),
    Override("frames", 1, "frames per clip"),
    Override("batch_size", 1, "clips per batch"),
    Override("seed", 0, "seed of the clips and the weights", default="0"),
)
