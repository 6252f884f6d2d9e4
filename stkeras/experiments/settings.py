"""Run settings of the applications (compare, train): a recipe with the overrides users pass.

The command line generates its options from `OVERRIDES` (declared in
`stkeras.choices`, so that the help needs no Keras).
"""

from stkeras.choices import OVERRIDES  # noqa: F401  (declared with the command line's other names)
from stkeras.models.courtney import WIDTHS as SIZES
from stkeras.recipes import RECIPES
from stkeras.recipes import list_recipes  # noqa: F401  (part of stkeras.experiments' API)
from stkeras.validation import check_choice
from stkeras.validation import check_positive_int

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
