"""Recipes: the clips and the training of a run, as registered data.

A recipe is a dict: the synthetic clips (`frames`, `frame_size`,
`digit_size`, `speeds`, `visible_every`, `max_step`), how many
(`train_clips`, `test_clips`, `validation_clips`), and the training
(`epochs`, `batch_size`, `learning_rate`, `warmup_fraction`). The model is
not part of a recipe: a run names its presets. A recipe may also name its
optimizer and schedule; where it does not, training uses `TRAINING_DEFAULTS`
(Adam, a linear warm-up and a cosine decay):

- `optimizer`: `"adam"` or `"sgd"`; `momentum` (SGD's);
- `weight_decay`: the optimizer's weight decay (0: none);
- `global_clipnorm`: clip the gradients to this global norm (`None`: no);
- `schedule`: `"warmup_cosine"`, `"constant"`, `"step"` (the rate times
  `decay_factor` at each epoch of `decay_epochs`) or `"plateau"` (times
  `decay_factor` when
  the held-out loss has not improved for `plateau_patience` epochs, at most
  `max_decays` times: Keras' `ReduceLROnPlateau`);
- `source`: where a paper recipe's settings come from (paper, section and
  lines of its text).

The quadrant-blink recipes are named by what they hold, `blink<F>_<N>`:
clips of F x F pixels (16 frames, except the paper's 48), N training clips
in all (`blink16_12k`: 12 epochs of 1,024 clips). The paper recipes put a
paper's optimizer and schedule on stkeras' synthetic clips, named by the
paper and its data set: the papers' own data sets (Jester, LRW, KTH,
Kinetics) are not part of stkeras. What a paper leaves open, a recipe
fills with a stated choice (see each recipe's comment).

This module imports no TensorFlow: the command line lists the recipes and
their options (`OVERRIDES`) from it without importing Keras.

Example:
>>> RECIPES.get("koepueklue_jester")["optimizer"]
'sgd'
>>> recipe_settings("blink16_12k", epochs=1)["epochs"]
1
"""

import dataclasses

from stkeras.registry import Registry

TRAINING_DEFAULTS = {
    "optimizer": "adam",
    "momentum": 0.0,
    "weight_decay": 0.0,
    "global_clipnorm": None,
    "schedule": "warmup_cosine",
    "decay_epochs": (),
    "decay_factor": 0.1,
    "plateau_patience": 2,
    "max_decays": 2,
}
SCHEDULES = ("warmup_cosine", "constant", "step", "plateau")
OPTIMIZERS = ("adam", "sgd")

# Run settings as data, chosen from the learnability map
# (`docs/learnability/`). `blink16_12k` scales Courtney & Sreenivas' task down
# to 16 frames of 16x16 with 12-pixel digits (S 1-2, V 1-3, so that each clip
# shows every quadrant), the largest clips at which four models train on
# 12,288 clips each in about ten minutes on a 2-core CPU. Every epoch streams
# fresh clips; the rate warms up over 5% of the steps, then decays to 0 along
# a cosine. `blink16_86k` is the same clips trained seven times longer, the
# budget at which the map shows the networks learn the digit task.
QUICK_CLIPS = {
    "frames": 16,
    "frame_size": 16,
    "digit_size": 12,
    "speeds": (1, 2),
    "visible_every": (1, 2, 3),
    "max_step": 12,
}
# The blink16 digits on 24x24 frames: a 12-pixel box to move in, which the
# speed task needs (on 16x16 frames no network leaves the mean speed).
MOVE_CLIPS = {**QUICK_CLIPS, "frame_size": 24, "max_step": 18}
# The budget at which the learnability map shows the networks learning: 84 epochs of 1,024 new clips.
LEARNED_BUDGET = {
    "train_clips": 1024,
    "test_clips": 1024,
    "validation_clips": 256,
    "epochs": 84,
    "batch_size": 32,
    "learning_rate": 3e-3,
    "warmup_fraction": 0.05,
}
SYNTHETIC_RECIPES = {
    "blink16_12k": {
        **QUICK_CLIPS,
        "train_clips": 1024,
        "test_clips": 512,
        "validation_clips": 256,
        "epochs": 12,
        "batch_size": 32,
        "learning_rate": 3e-3,
        "warmup_fraction": 0.05,
    },
    "blink16_86k": {**QUICK_CLIPS, **LEARNED_BUDGET},
    # 16 frames of 32x32 with 18-pixel digits, 3 epochs of 1,024 clips: the
    # smallest clips that every family's strides fit (the video ResNets and
    # STDCF networks stride space five times), the default of `stkeras train`.
    "blink32_3k": {
        **QUICK_CLIPS,
        "frame_size": 32,
        "digit_size": 18,
        "max_step": 24,
        "train_clips": 1024,
        "test_clips": 512,
        "validation_clips": 256,
        "epochs": 3,
        "batch_size": 32,
        "learning_rate": 3e-3,
        "warmup_fraction": 0.05,
    },
    # Reduced-scale reproduction of one of Courtney & Sreenivas' findings, in
    # under an hour on a 2-core CPU: `stkeras compare --recipe blink24_20k --task
    # speed --models conv2d,conv3d,convlstm --seeds 3` asks whether ConvLSTM
    # estimates speed better than Conv2D + LSTM (Table 5). The blink16 digits
    # on 24x24 frames, a 12-pixel box to move in, where the learnability map
    # (`move24`) shows speed being learned within 20,480 clips.
    "blink24_20k": {
        **MOVE_CLIPS,
        "train_clips": 1024,
        "test_clips": 1024,
        "validation_clips": 256,
        "epochs": 20,
        "batch_size": 32,
        "learning_rate": 3e-3,
        "warmup_fraction": 0.05,
    },
    # The blink24_20k clips trained as long as `blink16_86k`: the budget at
    # which the learnability map shows all four networks learning speed
    # (Conv2D + LSTM leaves the mean-speed baseline after about 13,000 clips
    # of a 61,440-clip schedule, and not at all in a 20,480-clip one).
    "blink24_86k": {**MOVE_CLIPS, **LEARNED_BUDGET},
    # Courtney & Sreenivas 2022's clips (3,000,000 of them), for the paper's XL models
    # (`--models conv2d_xl,conv3d_xl,ts_conv3d_xl,convlstm_xl`). The paper does not give its number of
    # clips or epochs; these are settings for a machine with a GPU.
    "blink64_3m": {
        "frames": 48,
        "frame_size": 64,
        "digit_size": 28,
        "speeds": (1, 2, 3, 4, 5, 6),
        "visible_every": tuple(range(1, 13)),
        "max_step": 49,
        "train_clips": 100_000,
        "test_clips": 10_000,
        "validation_clips": 1_000,
        "epochs": 30,
        "batch_size": 32,
        "learning_rate": 1e-3,
        "warmup_fraction": 0.05,
    },
}



# The blink32 clips (16 frames of 32x32, 18-pixel digits): every family's strides fit them.
QUICK32_CLIPS = {**QUICK_CLIPS, "frame_size": 32, "digit_size": 18, "max_step": 24}

PAPER_RECIPES = {
    # Köpüklü et al., Section 3.5 "Learning": SGD with momentum 0.9 and weight
    # decay 5e-4; the rate starts at 1e-3 and is divided by 10 twice when the
    # validation loss stops improving. Left open by the paper, chosen here:
    # the batch (32), the patience (2 epochs) and the number of epochs (12).
    "koepueklue_jester": {
        **QUICK32_CLIPS,
        "train_clips": 1024,
        "test_clips": 512,
        "validation_clips": 256,
        "epochs": 12,
        "batch_size": 32,
        "learning_rate": 1e-3,
        "warmup_fraction": 0.0,
        "optimizer": "sgd",
        "momentum": 0.9,
        "weight_decay": 5e-4,
        "schedule": "plateau",
        "decay_factor": 0.1,
        "plateau_patience": 2,
        "max_decays": 2,
        "source": "Köpüklü et al., Section 3.5, lines 199-201",
    },
    # Courtney & Sreenivas 2019, Section 4.1: Adam from 1e-4, reduced whenever
    # the validation score stops improving, on 24-frame subsequences; gradients
    # clipped at 5.0 (line 166). Chosen here: the factor (0.1), the patience (2),
    # at most 3 reductions, and 24 frames of 48x48 digits for the mouth crops.
    "courtney_lrw": {
        **QUICK_CLIPS,
        "frames": 24,
        "frame_size": 48,
        "digit_size": 28,
        "max_step": 36,
        "train_clips": 1024,
        "test_clips": 512,
        "validation_clips": 256,
        "epochs": 12,
        "batch_size": 16,
        "learning_rate": 1e-4,
        "warmup_fraction": 0.0,
        "optimizer": "adam",
        "global_clipnorm": 5.0,
        "schedule": "plateau",
        "decay_factor": 0.1,
        "plateau_patience": 2,
        "max_decays": 3,
        "source": "Courtney & Sreenivas 2019, Section 4.1, lines 139-143 and 166",
    },
    # Miao et al. 2021, Section 3.1 (KTH): batch 16, rate 1e-3 for 40 epochs,
    # 1e-4 from the 20th; clips of 16 frames. The KTH clips are 60x80; the
    # synthetic clips are square, 64x64. The optimizer is not named for KTH:
    # SGD with momentum 0.9, as the paper's Kinetics recipe.
    "miao_kth": {
        **QUICK_CLIPS,
        "frame_size": 64,
        "digit_size": 28,
        "max_step": 49,
        "train_clips": 1024,
        "test_clips": 512,
        "validation_clips": 256,
        "epochs": 40,
        "batch_size": 16,
        "learning_rate": 1e-3,
        "warmup_fraction": 0.0,
        "optimizer": "sgd",
        "momentum": 0.9,
        "schedule": "step",
        "decay_epochs": (20,),
        "decay_factor": 0.1,
        "source": "Miao et al. 2021, Section 3.1, lines 151-153",
    },
    # Miao et al. 2021, Section 3.2.1 (Kinetics-400), stage-t of the first ITSL
    # iteration: SGD with momentum 0.9, rate 0.03, weight decay 1e-4, 256
    # epochs on 8x112x112 clips. No schedule is named: the rate stays
    # constant. Chosen here: batch 8.
    "miao_kinetics": {
        **QUICK_CLIPS,
        "frames": 8,
        "frame_size": 112,
        "digit_size": 56,
        "max_step": 49,
        "train_clips": 1024,
        "test_clips": 512,
        "validation_clips": 256,
        "epochs": 256,
        "batch_size": 8,
        "learning_rate": 0.03,
        "warmup_fraction": 0.0,
        "optimizer": "sgd",
        "momentum": 0.9,
        "weight_decay": 1e-4,
        "schedule": "constant",
        "source": "Miao et al. 2021, Section 3.2.1, lines 179-181",
    },
}


RECIPES = Registry("recipe")
for _name, _settings in {**SYNTHETIC_RECIPES, **PAPER_RECIPES}.items():
    RECIPES.register(_name, _settings)


def list_recipes():
    """The names of the registered recipes (clips and training settings), in registration order.

    Example:
    >>> list_recipes()[:3]
    ('blink16_12k', 'blink16_86k', 'blink32_3k')
    """
    return RECIPES.names()


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


def recipe_settings(recipe, **overrides):
    """The recipe's settings, with `seed` 0 and every override that is not None applied.

    Raises:
        ValueError: an unknown recipe, an unknown override or a value below its minimum.
    """
    settings = dict(RECIPES.get(recipe, "recipe"), seed=0)
    allowed = {o.name: o for o in OVERRIDES}
    for name, value in overrides.items():
        if name not in allowed:
            raise ValueError(f"Unknown override {name!r}. Allowed: {', '.join(allowed)}.")
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < allowed[name].minimum:
            raise ValueError(f"`{name}` must be an int >= {allowed[name].minimum}. Received: {name}={value!r}")
        settings[name] = value
    return settings


def training_settings(settings):
    """The optimizer and schedule settings of a recipe: its own, else `TRAINING_DEFAULTS`.

    Example:
    >>> training_settings(RECIPES.get("blink16_12k"))["optimizer"]
    'adam'
    """
    return {key: settings.get(key, default) for key, default in TRAINING_DEFAULTS.items()}
