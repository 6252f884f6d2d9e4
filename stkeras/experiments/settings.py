"""Run settings of the applications (compare, train): recipes and the overrides users may pass.

The command line generates its options from `OVERRIDES`, so a setting is
declared once, here.
"""

import dataclasses

from stkeras.models.courtney import SIZES
from stkeras.registry import Registry
from stkeras.validation import check_choice
from stkeras.validation import check_positive_int

# Run settings as data, chosen from the learnability map
# (`docs/learnability/`). `quick` scales Courtney & Sreenivas' task down to 16
# frames of 16x16 with 12-pixel digits (S 1-2, V 1-3, so that each clip shows
# every quadrant), the largest clips at which four models train on 12,288
# clips each in about ten minutes on a 2-core CPU. Every epoch streams fresh
# clips; the rate warms up over 5% of the steps, then decays to 0 along a
# cosine. `learned` is the same clips trained seven times longer, the budget at
# which the map shows the networks learn the digit task.
QUICK_CLIPS = {
    "frames": 16,
    "size": 16,
    "digit_size": 12,
    "speeds": (1, 2),
    "visible_every": (1, 2, 3),
    "max_step": 12,
}
# The quick digits on 24x24 frames: a 12-pixel box to move in, which the
# speed task needs (on 16x16 frames no network leaves the mean speed).
MOVE_CLIPS = {**QUICK_CLIPS, "size": 24, "max_step": 18}
_RECIPE_TABLE = {
    "quick": {
        **QUICK_CLIPS,
        "train_clips": 1024,
        "test_clips": 512,
        "validation_clips": 256,
        "epochs": 12,
        "batch_size": 32,
        "learning_rate": 3e-3,
        "warmup_fraction": 0.05,
        "model_size": "base",
    },
    "learned": {
        **QUICK_CLIPS,
        "train_clips": 1024,
        "test_clips": 1024,
        "validation_clips": 256,
        "epochs": 84,
        "batch_size": 32,
        "learning_rate": 3e-3,
        "warmup_fraction": 0.05,
        "model_size": "base",
    },
    # 16 frames of 32x32 with 18-pixel digits, 3 epochs of 1,024 clips: the
    # smallest clips that every family's strides fit (the video ResNets and
    # STDCF networks stride space five times), the default of `stkeras train`.
    "quick32": {
        **QUICK_CLIPS,
        "size": 32,
        "digit_size": 18,
        "max_step": 24,
        "train_clips": 1024,
        "test_clips": 512,
        "validation_clips": 256,
        "epochs": 3,
        "batch_size": 32,
        "learning_rate": 3e-3,
        "warmup_fraction": 0.05,
        "model_size": "base",
    },
    # Reduced-scale reproduction of one of Courtney & Sreenivas' findings, in
    # under an hour on a 2-core CPU: `stkeras compare --recipe finding --task
    # speed --models conv2d,conv3d,convlstm --seeds 3` asks whether ConvLSTM
    # estimates speed better than Conv2D + LSTM (Table 5). The quick digits
    # on 24x24 frames, a 12-pixel box to move in, where the learnability map
    # (`move24`) shows speed being learned within 20,480 clips.
    "finding": {
        **MOVE_CLIPS,
        "train_clips": 1024,
        "test_clips": 1024,
        "validation_clips": 256,
        "epochs": 20,
        "batch_size": 32,
        "learning_rate": 3e-3,
        "warmup_fraction": 0.05,
        "model_size": "base",
    },
    # The finding recipe's clips trained as long as `learned`: the budget at
    # which the learnability map shows all four networks learning speed
    # (Conv2D + LSTM leaves the mean-speed baseline after about 13,000 clips
    # of a 61,440-clip schedule, and not at all in a 20,480-clip one).
    "learned_speed": {
        **MOVE_CLIPS,
        "train_clips": 1024,
        "test_clips": 1024,
        "validation_clips": 256,
        "epochs": 84,
        "batch_size": 32,
        "learning_rate": 3e-3,
        "warmup_fraction": 0.05,
        "model_size": "base",
    },
    # Courtney & Sreenivas 2022's clips and XL models. The paper does not give its number of
    # clips or epochs; these are settings for a machine with a GPU.
    "paper": {
        "frames": 48,
        "size": 64,
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
        "model_size": "xl",
    },
}


RECIPES = Registry("recipe")
for _name, _settings in _RECIPE_TABLE.items():
    RECIPES.register(_name, _settings)


def list_recipes():
    """The names of the registered run recipes (clips and training settings), in registration order.

    Example:
    >>> list_recipes()[:3]
    ('quick', 'learned', 'quick32')
    """
    return RECIPES.names()


@dataclasses.dataclass(frozen=True)
class Override:
    """A run setting a user may change: its name, smallest value and help line."""

    name: str
    minimum: int
    help: str


OVERRIDES = (
    Override("epochs", 1, "training epochs"),
    Override("train_clips", 1, "new training clips per epoch"),
    Override("test_clips", 1, "held-out test clips"),
    Override("validation_clips", 1, "held-out clips scored after each epoch (the learning curve)"),
    Override("frames", 1, "frames per clip"),
    Override("batch_size", 1, "clips per batch"),
    Override("seed", 0, "seed of the clips and the weights"),
)


def resolve_settings(recipe="quick", size=None, **overrides):
    """The recipe's settings with `size` and any non-None overrides applied.

    Example:
    >>> resolve_settings("quick", epochs=1)["epochs"]
    1
    """
    settings = dict(RECIPES.get(recipe, "recipe"), seed=0)
    if size is not None:
        settings["model_size"] = check_choice("size", size, tuple(SIZES))
    allowed = {o.name: o for o in OVERRIDES}
    for name, value in overrides.items():
        if name not in allowed:
            raise ValueError(f"Unknown override {name!r}. Allowed: {', '.join(allowed)}.")
        if value is not None:
            settings[name] = check_positive_int(name, value, minimum=allowed[name].minimum)
    return settings


def jsonable(settings):
    """The settings with tuples and ranges as lists."""
    return {k: list(v) if isinstance(v, (tuple, range)) else v for k, v in settings.items()}


def recipe_for_model(model, recipe=None):
    """The recipe a trained model's clips come from: `recipe` if given, else the first with its frame size.

    Example:
    >>> import keras
    >>> clips = keras.Input((16, 32, 32, 1))
    >>> recipe_for_model(keras.Model(clips, keras.layers.Identity()(clips)))
    'quick32'
    """
    if recipe is not None:
        RECIPES.get(recipe, "recipe")
        return recipe
    size = model.inputs[0].shape[2]
    for name, settings in RECIPES.items():
        if settings["size"] == size:
            return name
    sizes = ", ".join(f"{name} {settings['size']}" for name, settings in RECIPES.items())
    raise ValueError(f"No recipe makes the {size}-pixel frames model {model.name!r} takes (recipes: {sizes}).")


def settings_for_model(model, recipe=None, seed=0):
    """The clip settings of `recipe` for a trained model: its frame count, checked against its frame size.

    Args:
        model: a Keras model over clips `(frames, size, size, channels)`.
        recipe: the recipe the model was trained with; `None`: the first
            recipe whose frames have the model's size (`recipe_for_model`).
        seed: seed of the clips.
    """
    recipe = recipe_for_model(model, recipe)
    frames, height, width = tuple(model.inputs[0].shape[1:4])
    settings = resolve_settings(recipe, seed=seed)
    if height != width or height != settings["size"]:
        raise ValueError(f"The model takes {height}x{width} frames; recipe {recipe!r} makes {settings['size']}x"
                         f"{settings['size']} clips. Choose the recipe the model was trained with.")
    if frames is not None:
        settings["frames"] = frames
    return settings
