"""Temporal controls of a model whose answer is known, and the verdict rules on constructed scores."""

import keras
import numpy as np
import pytest

from stkeras.analysis import combine_control_seeds
from stkeras.analysis import mcnemar_test
from stkeras.analysis import temporal_controls
from stkeras.analysis import training_controls
from stkeras.analysis import wilcoxon_test
from stkeras.analysis.significance import chance_test
from stkeras.analysis.significance import verdict

FRAMES = 8


def _direction_model():
    """Class 0 if a clip's last frame is brighter than its first, else class 1: it uses order and nothing else."""
    model = keras.Sequential([keras.Input((FRAMES, 1, 1, 1)), keras.layers.Flatten(), keras.layers.Dense(2)])
    weights = np.zeros((FRAMES, 2), "float32")
    weights[-1, 0], weights[0, 0], weights[0, 1], weights[-1, 1] = 1, -1, 1, -1
    model.layers[-1].set_weights([weights, np.zeros(2, "float32")])
    return model


def _direction_clips(num=96, seed=0):
    """Batches of clips whose frames brighten (class 0) or darken (class 1), in random steps."""
    rng = np.random.default_rng(seed)
    values = np.sort(rng.uniform(size=(num, FRAMES)), axis=1)
    labels = np.arange(num) % 2
    values[labels == 1] = values[labels == 1, ::-1]
    clips = values[:, :, None, None, None].astype("float32")
    return [(clips[i:i + 32], labels[i:i + 32]) for i in range(0, num, 32)]


@pytest.fixture(scope="module")
def result():
    return temporal_controls(_direction_model(), _direction_clips(), task="order", seed=3).summary()


def test_a_model_that_reads_the_direction_of_time_fails_where_the_controls_remove_it(result):
    controls = result["controls"]
    assert result["unperturbed"] == 1.0 and result["unperturbed_vs_chance"] == "above chance"
    # Reversed clips turn every answer into the other class: worse, and systematically wrong.
    assert controls["reversed"]["score"] == 0.0
    assert controls["reversed"]["verdict"] == "worse" and controls["reversed"]["vs_chance"] == "below chance"
    # A static or mean frame has no direction: the model says class 0 everywhere, right on half the clips.
    for name in ("static_middle", "static_random", "mean_frame"):
        assert controls[name]["score"] == 0.5 and controls[name]["verdict"] == "worse"
        assert controls[name]["vs_chance"] == "at chance" and controls[name]["chance_p_value"] == 1.0
    # Shuffled frames leave the first-to-last direction to chance.
    assert 0.3 < controls["shuffled"]["score"] < 0.7 and controls["shuffled"]["verdict"] == "worse"
    assert controls["shuffled"]["vs_chance"] == "at chance"
    # Half and quarter rate keep the first frame and one of the last ones: the direction survives.
    for name in ("half_rate", "quarter_rate"):
        assert controls[name]["score"] == 1.0 and controls[name]["verdict"] == "no significant change"
    assert result["test"] == "McNemar's exact test" and "McNemar" in result["rule"] and "permutation" in result["rule"]


def test_views_are_averaged_and_bad_arguments_are_named():
    batches = [(np.stack([clips, clips], axis=1), labels) for clips, labels in _direction_clips(32)]
    summary = temporal_controls(_direction_model(), batches, task="order", controls=["reversed"]).summary()
    assert summary["unperturbed"] == 1.0 and summary["controls"]["reversed"]["score"] == 0.0
    with pytest.raises(ValueError, match="names a control twice"):
        temporal_controls(_direction_model(), batches, task="order", controls=["reversed", "reversed"])
    with pytest.raises(ValueError, match="Unknown temporal control: 'upside_down'"):
        temporal_controls(_direction_model(), batches, task="order", controls=["upside_down"])
    with pytest.raises(ValueError, match="yielded no batch"):
        temporal_controls(_direction_model(), [], task="order", controls=[])


def test_training_controls_pair_each_controlled_model_with_the_ordered_one_on_the_same_clips():
    model = _direction_model()
    result = training_controls(model, {"shuffled": model, "half_rate": model}, _direction_clips(), task="order", seed=1)
    assert result["ordered"] == 1.0 and result["ordered_vs_chance"] == "above chance"
    assert result["controls"]["shuffled"]["verdict"] == "worse" and result["controls"]["shuffled"]["vs_chance"] == \
        "at chance"
    assert result["controls"]["half_rate"]["verdict"] == "no significant change"
    assert result["controls"]["half_rate"]["unperturbed_score"] == 1.0


def test_paired_tests_over_clips_pass_a_real_difference_and_not_a_small_one():
    right = np.ones(200)
    lost = right.copy()
    lost[:40] = 0  # 40 clips lost
    assert mcnemar_test(lost, right)["p_value"] < 1e-6 and verdict(-0.2, mcnemar_test(lost, right)["p_value"],
                                                                    "higher") == "worse"
    few = right.copy()
    few[:3] = 0  # 3 clips lost: within what chance gives
    assert mcnemar_test(few, right)["p_value"] == pytest.approx(0.25)
    assert verdict(-0.015, 0.25, "higher") == "no significant change"
    rng = np.random.default_rng(0)
    errors = rng.uniform(0, 0.2, 100)
    assert wilcoxon_test(errors + 0.3, errors)["p_value"] < 1e-6  # every error larger: worse
    assert verdict(0.3, 1e-6, "lower") == "worse"
    noisy = errors + rng.normal(0, 0.05, 100)
    assert wilcoxon_test(noisy, errors)["p_value"] > 0.05
    assert wilcoxon_test(errors, errors)["p_value"] == 1.0


def test_chance_is_the_predictions_against_other_clips_targets():
    targets = np.arange(300) % 6
    assert chance_test(targets, targets, "classification")["p_value"] < 0.01  # perfect: above chance
    constant = chance_test(np.full(300, 2), targets, "classification")
    assert constant["p_value"] == 1.0 and constant["chance"] == pytest.approx(1 / 6)  # a blind model
    shifted = chance_test((targets + 1) % 6, targets, "classification")
    assert shifted["difference"] < -0.1 and shifted["p_value"] < 0.01  # systematically wrong: below chance
    speeds = np.repeat([1.0, 2.0], 100)
    assert chance_test(speeds + 0.1, speeds, "regression")["difference"] < -0.3  # MAE far below chance's
    assert chance_test(np.random.default_rng(1).uniform(1, 2, 200), speeds, "regression")["p_value"] > 0.05


def _summary(seed, unperturbed, shuffled, clip_p):
    return {"seed": seed, "better": "higher", "rule": "r", "test": "McNemar's exact test", "unperturbed": unperturbed,
            "unperturbed_chance": 0.17, "unperturbed_chance_p_value": 0.001, "unperturbed_vs_chance": "above chance",
            "controls": {"shuffled": {"score": shuffled, "change": shuffled - unperturbed, "p_value": clip_p,
                                      "verdict": verdict(shuffled - unperturbed, clip_p, "higher"), "chance": 0.17,
                                      "chance_p_value": 0.5, "vs_chance": "at chance"}}}


def test_over_seeds_welchs_test_decides_and_one_seed_or_no_spread_falls_back_to_the_clips():
    drop = combine_control_seeds([_summary(s, u, c, 1e-9) for s, u, c in ((0, .91, .17), (1, .93, .19), (2, .90, .16))])
    row = drop["controls"]["shuffled"]
    assert row["test"] == "Welch's t-test" and row["verdict"] == "worse" and row["p_value"] < 0.001
    assert row["score"] == pytest.approx(0.17333, abs=1e-4) and row["std"] == pytest.approx(0.01528, abs=1e-4)
    assert row["vs_chance"] == "at chance" and drop["unperturbed"]["vs_chance"] == "above chance"
    # Each seed's clips say "worse", but the seeds overlap: within the seed spread.
    spread = combine_control_seeds([_summary(0, .90, .88, 0.01), _summary(1, .92, .93, 0.01)])["controls"]["shuffled"]
    assert spread["verdict"] == "no significant change" and spread["seed_verdicts"] == ["worse", "better"]
    # One seed, or the same score on every seed (a deterministic control on the same clips): the clips decide.
    one = combine_control_seeds([_summary(0, .9, .5, 0.001)])["controls"]["shuffled"]
    same = combine_control_seeds([_summary(0, .9, .5, 0.001), _summary(1, .9, .5, 0.001)])["controls"]["shuffled"]
    for row in (one, same):
        assert row["test"] == "McNemar's exact test" and row["verdict"] == "worse" and row["p_value"] == 0.001
