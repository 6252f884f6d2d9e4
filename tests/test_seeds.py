"""Scores over seeds: means, spreads and Welch's t-test between models."""

import numpy as np
import pytest
from scipy import stats

from stkeras.experiments.seeds import summarize_seeds
from stkeras.experiments.seeds import welch_test


def test_welch_test_matches_scipy_and_names_the_better_model_by_the_metric_direction():
    a, b = [0.30, 0.32, 0.29], [0.40, 0.45, 0.41]
    result = welch_test(a, b, better="lower")
    assert result["p_value"] == pytest.approx(stats.ttest_ind(a, b, equal_var=False).pvalue)
    assert result["significant"] and result["better"] == "a"
    assert welch_test(a, b, better="higher")["better"] == "b"


def test_overlapping_seeds_are_within_the_spread():
    result = welch_test([0.5, 0.7, 0.6], [0.55, 0.65, 0.62])
    assert not result["significant"] and result["better"] is None


def test_one_seed_per_model_is_refused():
    with pytest.raises(ValueError, match="at least two seeds"):
        welch_test([0.5], [0.4, 0.3])


def test_summary_averages_scores_and_histories_over_seeds():
    runs = [{"seed": s, "accuracy": acc, "training_seconds": 2.0,
             "history": [{"epoch": 0.0, "clips_seen": 1024, "val_accuracy": acc - 0.1},
                         {"epoch": 1.0, "clips_seen": 2048, "val_accuracy": acc}]}
            for s, acc in enumerate([0.6, 0.8, 0.7])]
    summary = summarize_seeds(runs, ["accuracy"])
    assert summary["accuracy"] == pytest.approx(0.7) and summary["std"]["accuracy"] == pytest.approx(0.1)
    assert summary["training_seconds"] == 6.0 and len(summary["seeds"]) == 3
    assert [row["val_accuracy"] for row in summary["history"]] == pytest.approx([0.6, 0.7])
    assert np.isclose(summary["history"][1]["epoch"], 1.0)
    assert [row["clips_seen"] for row in summary["history"]] == [1024, 2048]  # whole numbers, not averages
    assert isinstance(summary["history"][1]["clips_seen"], int)
