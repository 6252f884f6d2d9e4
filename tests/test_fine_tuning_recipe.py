"""The fine-tuning settings of recipes: checked values, overrides, the registered `x3d_finetune` and its sources."""

import pytest

from stkeras.recipes import FINE_TUNING
from stkeras.recipes import FINE_TUNING_DEFAULTS
from stkeras.recipes import RECIPES
from stkeras.recipes import fine_tuning_settings
from stkeras.recipes import is_video_recipe
from stkeras.recipes import recipe_settings
from stkeras.training import FineTuning


def test_every_fine_tuning_setting_has_an_option_and_a_default_that_changes_nothing():
    assert [option.name for option in FINE_TUNING] == list(FINE_TUNING_DEFAULTS)
    assert not FineTuning().active and FineTuning() == FineTuning.from_settings(RECIPES.get("blink16_12k"))
    for option in FINE_TUNING:
        assert option.check(FINE_TUNING_DEFAULTS[option.name]) == FINE_TUNING_DEFAULTS[option.name]


@pytest.mark.parametrize("name, value, message", [
    ("label_smoothing", 1.0, r"`label_smoothing` must be a number in \[0, 1\). Received: label_smoothing=1.0"),
    ("mixup_alpha", -0.1, r"`mixup_alpha` must be a number >= 0"),
    ("cutmix_alpha", 2.0, r"`cutmix_alpha` must be a number in \[0, 1\]"),
    ("randaugment_ops", 1.5, r"`randaugment_ops` must be an int >= 0"),
    ("class_balance", "oversample", r"`class_balance` must be one of 'none', 'weights', 'sampling'"),
    ("frozen_stages", -1, r"`frozen_stages` must be an int >= 0"),
    ("layer_decay", 0, r"`layer_decay` must be a number in \(0, 1\]"),
    ("layer_decay", True, r"`layer_decay` must be a number"),
])
def test_a_bad_value_is_refused_naming_the_setting(name, value, message):
    with pytest.raises(ValueError, match=message):
        recipe_settings("x3d_finetune", **{name: value})
    with pytest.raises(ValueError, match=message):
        FineTuning(**{name: value})


def test_overrides_replace_the_recipes_settings_and_a_registered_recipe_is_checked_too():
    settings = recipe_settings("x3d_finetune", label_smoothing=0, class_balance="sampling", frozen_stages=2)
    assert (settings["label_smoothing"], settings["class_balance"], settings["frozen_stages"]) == (0.0, "sampling", 2)
    assert fine_tuning_settings(settings)["mixup_alpha"] == 0.8
    with RECIPES.temporary():
        RECIPES.register("bad_smoothing", {"frames": 8, "epochs": 1, "batch_size": 2, "learning_rate": 0.1,
                                           "warmup_fraction": 0.0, "label_smoothing": 2})
        with pytest.raises(ValueError, match=r"Recipe 'bad_smoothing': `label_smoothing` must be"):
            recipe_settings("bad_smoothing")


def test_the_x3d_fine_tuning_recipe_holds_pyslowfasts_and_mmaction2s_settings():
    recipe = RECIPES.get("x3d_finetune")
    assert is_video_recipe(recipe) and not is_video_recipe(RECIPES.get("blink32_3k"))
    # PySlowFast's X3D_S.yaml: 13 frames; its MViTv2-S fine-tuning: cosine after a warm-up of 20 of 100 epochs,
    # RandAugment m7 (n 2), MixUp 0.8, CutMix 1.0, label smoothing 0.1, layer decay 0.75.
    assert recipe["frames"] == 13 and recipe["schedule"] == "warmup_cosine" and recipe["warmup_fraction"] == 0.2
    assert (recipe["randaugment_ops"], recipe["randaugment_magnitude"]) == (2, 0.7)
    assert (recipe["mixup_alpha"], recipe["cutmix_alpha"], recipe["label_smoothing"]) == (0.8, 1.0, 0.1)
    assert recipe["layer_decay"] == 0.75
    # MMAction2's fine-tuning guide: SGD, momentum 0.9, rate 0.005, weight decay 1e-4, gradients clipped at 40.
    assert (recipe["optimizer"], recipe["momentum"], recipe["learning_rate"]) == ("sgd", 0.9, 0.005)
    assert (recipe["weight_decay"], recipe["global_clipnorm"]) == (1e-4, 40.0)
    assert "X3D_S.yaml" in recipe["source"] and "finetune.md" in recipe["source"]
