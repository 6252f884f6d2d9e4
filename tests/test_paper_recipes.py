"""The papers' recipes: registered with their source lines, each trains a step with its optimizer and schedule."""

import keras
import numpy as np
import pytest

import stkeras
from stkeras.experiments import synthetic_data
from stkeras.experiments import train_model
from stkeras.experiments.run_models import build_run_model
from stkeras.recipes import PAPER_RECIPES
from stkeras.recipes import TRAINING_DEFAULTS
from stkeras.recipes import recipe_settings
from stkeras.training import recipe_optimizer

# A small model of the paper's kind for each recipe, and overrides that keep one step short.
MODELS = {
    "koepueklue_jester": ("frames_trn", {"frames": 8}),
    "courtney_lrw": ("lipreading_reduced", {"frames": 8}),
    "miao_kth": ("small_3d_cnn_stdcf", {"frames": 8}),
    "miao_kinetics": ("small_3d_cnn_stdcf", {"frames": 4}),
}
AUTHORS = ("Köpüklü et al.", "Courtney & Sreenivas 2019", "Miao et al. 2021")


def test_every_paper_recipe_is_listed_with_its_source_lines():
    assert set(PAPER_RECIPES) == set(MODELS)
    assert set(PAPER_RECIPES) <= set(stkeras.list_recipes())
    for name, recipe in PAPER_RECIPES.items():
        assert recipe["source"].startswith(AUTHORS) and ", lines " in recipe["source"], name
        assert set(recipe) >= {"optimizer", "schedule", "learning_rate", "batch_size", "epochs"}, name


@pytest.mark.parametrize("recipe", sorted(MODELS))
def test_paper_recipe_trains_a_step_with_its_optimizer(recipe, tmp_path):
    name, overrides = MODELS[recipe]
    data = synthetic_data(recipe=recipe, epochs=1, train_clips=4, validation_clips=4, test_clips=4, batch_size=4,
                          **overrides)
    model = build_run_model(name, data, seed=0, folder=str(tmp_path)).model
    history = train_model(model, data, seed=0, folder=str(tmp_path), label=name)
    assert len(history) == 1 and np.isfinite(history[0]["loss"])
    optimizer, paper = model.optimizer, PAPER_RECIPES[recipe]
    assert type(optimizer).__name__ == {"sgd": "SGD", "adam": "Adam"}[paper["optimizer"]]
    assert float(getattr(optimizer, "momentum", 0.0)) == pytest.approx(paper.get("momentum", 0.0))
    assert (optimizer.weight_decay or 0.0) == pytest.approx(paper.get("weight_decay", 0.0))
    assert optimizer.global_clipnorm == paper.get("global_clipnorm")


def test_step_schedule_divides_the_rate_at_its_epochs():
    settings = recipe_settings("miao_kth")  # 1e-3, then 1e-4 from epoch 20
    optimizer, callbacks = recipe_optimizer(settings, steps_per_epoch=10)
    schedule = optimizer._learning_rate  # the schedule itself; `learning_rate` is its current value
    assert callbacks == []
    values = [float(schedule(step)) for step in (0, 199, 200, 399)]  # step 200: the first of the 21st epoch
    np.testing.assert_allclose(values, [1e-3, 1e-3, 1e-4, 1e-4], rtol=1e-6)


def test_plateau_schedule_divides_by_ten_at_most_twice():
    settings = recipe_settings("koepueklue_jester")
    optimizer, (plateau,) = recipe_optimizer(settings, steps_per_epoch=10)
    assert isinstance(plateau, keras.callbacks.ReduceLROnPlateau)
    assert (plateau.monitor, plateau.factor, plateau.patience) == ("val_loss", 0.1, 2)
    assert 1e-5 * 0.99 < plateau.min_lr < 1e-5  # 1e-3 / 10 / 10, and no lower
    assert float(optimizer.learning_rate) == pytest.approx(1e-3)


def test_recipes_without_training_keys_train_as_before():
    """The synthetic recipes name no optimizer: Adam with the warm-up and cosine decay, no decay, no clipping."""
    settings = recipe_settings("blink16_12k")
    assert not set(TRAINING_DEFAULTS) & set(settings)
    optimizer, callbacks = recipe_optimizer(settings, steps_per_epoch=32)
    assert type(optimizer).__name__ == "Adam" and callbacks == []
    assert optimizer.weight_decay is None and optimizer.global_clipnorm is None
    schedule = optimizer._learning_rate
    total = 32 * settings["epochs"]
    assert float(schedule(0)) < float(schedule(int(0.05 * total))) == pytest.approx(3e-3, rel=1e-3)


def test_unknown_optimizer_or_schedule_is_named():
    settings = dict(recipe_settings("blink16_12k"), optimizer="rmsprop")
    with pytest.raises(ValueError, match="Unknown `optimizer`: 'rmsprop'. Allowed values: 'adam', 'sgd'"):
        recipe_optimizer(settings, 10)
    with pytest.raises(ValueError, match="Unknown `schedule`: 'linear'"):
        recipe_optimizer(dict(recipe_settings("blink16_12k"), schedule="linear"), 10)
