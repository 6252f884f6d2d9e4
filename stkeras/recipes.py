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

A recipe for a user's videos holds no synthetic clips; it may hold the
fine-tuning practice of PySlowFast and MMAction2 (`FINE_TUNING`, defaults
`FINE_TUNING_DEFAULTS`: nothing of it on), each key an option of
`stkeras train --data` too:

- `label_smoothing`: the cross-entropy's label smoothing;
- `mixup_alpha`, `cutmix_alpha`: Keras' MixUp and CutMix, the same mix on
  every frame of a clip (with both, each batch is CutMix with probability
  1/2, else MixUp);
- `randaugment_ops`, `randaugment_magnitude`: Keras' RandAugment, one draw
  of ops and magnitudes per clip, the same on every frame;
- `class_balance`: `"none"`, `"weights"` (each class weighted by the
  inverse of its share of the training videos) or `"sampling"` (every class
  drawn equally often);
- `frozen_stages`: the first K named stages (with the layers before them,
  the stem) kept frozen;
- `layer_decay`: the learning rate of each stage times `layer_decay` per
  stage between it and the head (1: the same rate everywhere).

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
FINE_TUNING_DEFAULTS = {
    "label_smoothing": 0.0,
    "mixup_alpha": 0.0,
    "cutmix_alpha": 0.0,
    "randaugment_ops": 0,
    "randaugment_magnitude": 0.5,
    "class_balance": "none",
    "frozen_stages": 0,
    "layer_decay": 1.0,
}
CLASS_BALANCES = ("none", "weights", "sampling")
# The keys of the synthetic clips: a recipe without them is for a user's videos.
CLIP_KEYS = ("frame_size", "digit_size", "speeds", "visible_every", "max_step")

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


VIDEO_RECIPES = {
    # Fine-tuning a Kinetics-400 X3D-S (PyTorchVideo's checkpoint) on a user's videos:
    # `stkeras train --data DIR --model x3d_s --weights X3D_S.pyth --recipe x3d_finetune`.
    # The clips are X3D-S's own, PySlowFast's configs/Kinetics/X3D_S.yaml lines 22-23 (13 frames; its
    # sampling rate 6 is `--frame-step 6`, its 160-pixel crop comes with the checkpoint). The optimizer is
    # MMAction2's fine-tuning guide's, docs/en/user_guides/finetune.md lines 86-92: SGD with momentum 0.9,
    # rate 0.005, weight decay 1e-4, gradients clipped to a norm of 40 (MMAction2 keeps the rate whatever
    # the batch: auto_scale_lr is off, line 246). The schedule is PySlowFast's fine-tuning one,
    # configs/masked_ssl/k400_MVITv2_S_16x4_FT.yaml lines 73-78: a warm-up over the first fifth of the
    # epochs (20 of 100), then a cosine. The practice is that file's lines 50-70: RandAugment at
    # magnitude 7 of timm's 10 (`rand-m7-mstd0.5-inc1`, two ops: Keras' factor 0.7), MixUp alpha 0.8,
    # CutMix alpha 1.0, switched half the time, label smoothing 0.1, layer-wise rate decay 0.75. Chosen
    # here: 30 epochs, batches of 8 (clips a CPU or a small GPU holds), class weights for imbalanced
    # folders (MMAction2's CrossEntropyLoss(class_weight=...); a balanced folder gets weight 1 per class).
    "x3d_finetune": {
        "frames": 13,
        "epochs": 30,
        "batch_size": 8,
        "learning_rate": 0.005,
        "warmup_fraction": 0.2,
        "optimizer": "sgd",
        "momentum": 0.9,
        "weight_decay": 1e-4,
        "global_clipnorm": 40.0,
        "schedule": "warmup_cosine",
        "label_smoothing": 0.1,
        "mixup_alpha": 0.8,
        "cutmix_alpha": 1.0,
        "randaugment_ops": 2,
        "randaugment_magnitude": 0.7,
        "class_balance": "weights",
        "layer_decay": 0.75,
        "source": "PySlowFast configs/Kinetics/X3D_S.yaml lines 22-23 and configs/masked_ssl/"
                  "k400_MVITv2_S_16x4_FT.yaml lines 50-78; MMAction2 docs/en/user_guides/finetune.md lines 86-92",
    },
}


RECIPES = Registry("recipe")
for _name, _settings in {**SYNTHETIC_RECIPES, **PAPER_RECIPES, **VIDEO_RECIPES}.items():
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
    """A run setting a user may change (`--epochs 3`): its name, its values, help line and what it defaults to.

    Attributes:
        name: the setting's key (`--name-with-dashes` on the command line).
        minimum: its smallest value (`kind` `"int"` or `"number"`).
        help: one line for `--help`.
        default: what it defaults to, in words.
        kind: `"int"`, `"number"` (an int or a float) or `"choice"`.
        maximum: its largest value, or `None`.
        below_maximum: the value must be below `maximum`, not equal to it.
        above_minimum: the value must be above `minimum`, not equal to it.
        choices: the values of a `"choice"`.

    Example:
    >>> Override("layer_decay", 0, "rate per stage", kind="number", maximum=1, above_minimum=True).check(0.75)
    0.75
    """

    name: str
    minimum: float
    help: str
    default: str = "the recipe's"
    kind: str = "int"
    maximum: float = None
    below_maximum: bool = False
    above_minimum: bool = False
    choices: tuple = ()

    def allowed(self):
        """The values allowed, in words (`"an int >= 1"`, `"a number in [0, 1)"`, `"one of 'a', 'b'"`)."""
        if self.kind == "choice":
            return f"one of {', '.join(map(repr, self.choices))}"
        what = "an int" if self.kind == "int" else "a number"
        if self.maximum is None:
            return f"{what} {'>' if self.above_minimum else '>='} {self.minimum}"
        return (f"{what} in {'(' if self.above_minimum else '['}{self.minimum}, {self.maximum}"
                f"{')' if self.below_maximum else ']'}")

    def check(self, value):
        """Returns `value` (an int, a float or a choice) if allowed, else raises `ValueError` naming the setting."""
        if self.kind == "choice":
            ok = isinstance(value, str) and value in self.choices
        else:
            types = (int,) if self.kind == "int" else (int, float)
            ok = (not isinstance(value, bool) and isinstance(value, types) and value == value
                  and (value > self.minimum if self.above_minimum else value >= self.minimum)
                  and (self.maximum is None or (value < self.maximum if self.below_maximum else value <= self.maximum)))
        if not ok:
            raise ValueError(f"`{self.name}` must be {self.allowed()}. Received: {self.name}={value!r}")
        return float(value) if self.kind == "number" else value


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

# The fine-tuning practice of training on videos (`stkeras train --data DIR --label-smoothing 0.1`): recipe keys
# and options; a recipe without one trains without it (`FINE_TUNING_DEFAULTS`).
FINE_TUNING = (
    Override("label_smoothing", 0, "label smoothing of the cross-entropy (0: none)", kind="number", maximum=1,
             below_maximum=True),
    Override("mixup_alpha", 0, "MixUp of clips and their labels, the mix drawn from Beta(alpha, alpha), the same "
                               "on every frame (Keras' MixUp; 0: none)", kind="number"),
    Override("cutmix_alpha", 0, "CutMix of clips and their labels, the box area drawn from Beta(alpha, alpha), "
                                "the same box on every frame (Keras' CutMix; 0: none); with MixUp, each batch "
                                "is CutMix half the time", kind="number", maximum=1),
    Override("randaugment_ops", 0, "RandAugment ops per clip, drawn once per clip and applied to every frame "
                                   "(Keras' RandAugment; 0: none)"),
    Override("randaugment_magnitude", 0, "RandAugment's strength (Keras' factor; timm's magnitude m is m/10)",
             kind="number", maximum=1),
    Override("class_balance", 0, "imbalanced classes: weights (each class weighted by the inverse of its share "
                                 "of the training videos) or sampling (every class drawn equally often)",
             kind="choice", choices=CLASS_BALANCES),
    Override("frozen_stages", 0, "keep the first K named stages, with the stem before them, frozen"),
    Override("layer_decay", 0, "learning rate of each stage times this per stage between it and the head (1: "
                               "the same rate everywhere)", kind="number", maximum=1, above_minimum=True),
)
FINE_TUNING = tuple(dataclasses.replace(option, default=f"the recipe's, else {FINE_TUNING_DEFAULTS[option.name]}")
                    for option in FINE_TUNING)
FINE_TUNING_OPTIONS = {option.name: option for option in FINE_TUNING}


def recipe_settings(recipe, **overrides):
    """The recipe's settings, with `seed` 0 and every override that is not None applied.

    The recipe's own fine-tuning keys are checked too.

    Example:
    >>> recipe_settings("x3d_finetune", label_smoothing=0.2, epochs=2)["label_smoothing"]
    0.2

    Raises:
        ValueError: an unknown recipe, an unknown override or a value it does not allow.
    """
    settings = dict(RECIPES.get(recipe, "recipe"), seed=0)
    for name in FINE_TUNING_OPTIONS.keys() & settings.keys():
        try:
            FINE_TUNING_OPTIONS[name].check(settings[name])
        except ValueError as error:
            raise ValueError(f"Recipe {recipe!r}: {error}") from None
    allowed = {o.name: o for o in OVERRIDES + FINE_TUNING}
    for name, value in overrides.items():
        if name not in allowed:
            raise ValueError(f"Unknown override {name!r}. Allowed: {', '.join(allowed)}.")
        if value is not None:
            settings[name] = allowed[name].check(value)
    return settings


def fine_tuning_settings(settings):
    """The fine-tuning settings of a recipe: its own, else `FINE_TUNING_DEFAULTS`.

    Example:
    >>> fine_tuning_settings(RECIPES.get("blink16_12k"))["label_smoothing"]
    0.0
    """
    return {key: settings.get(key, default) for key, default in FINE_TUNING_DEFAULTS.items()}


def is_video_recipe(settings):
    """Whether a recipe's settings hold no synthetic clips (`CLIP_KEYS`): a recipe for a user's videos.

    Example:
    >>> is_video_recipe(RECIPES.get("x3d_finetune")), is_video_recipe(RECIPES.get("blink16_12k"))
    (True, False)
    """
    return not any(key in settings for key in CLIP_KEYS)


def training_settings(settings):
    """The optimizer and schedule settings of a recipe: its own, else `TRAINING_DEFAULTS`.

    Example:
    >>> training_settings(RECIPES.get("blink16_12k"))["optimizer"]
    'adam'
    """
    return {key: settings.get(key, default) for key, default in TRAINING_DEFAULTS.items()}
