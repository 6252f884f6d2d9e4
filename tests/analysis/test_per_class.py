"""Mean-class accuracy and the per-class report from a confusion matrix, against counts worked by hand."""

import csv

import numpy as np
import pytest

from stkeras.analysis import mean_class_accuracy
from stkeras.analysis import per_class_report
from stkeras.analysis import write_per_class_csv

# Rows: true class; columns: predicted. 10 "run" clips (9 right), 2 "walk" (0 right), none of "jump".
CONFUSION = [[9, 1, 0], [1, 0, 1], [0, 0, 0]]


def test_mean_class_accuracy_weighs_every_class_with_clips_alike():
    assert mean_class_accuracy(CONFUSION) == pytest.approx((9 / 10 + 0 / 2) / 2)
    top1 = np.trace(CONFUSION) / np.sum(CONFUSION)
    assert top1 == pytest.approx(0.75) and mean_class_accuracy(CONFUSION) == pytest.approx(0.45)  # lower: walk fails


def test_the_report_gives_each_class_its_clips_accuracy_precision_and_f1(tmp_path):
    rows = per_class_report(CONFUSION, ["run", "walk", "jump"])
    assert rows[0] == {"class": "run", "clips": 10, "correct": 9, "accuracy": 0.9, "precision": 0.9,
                       "f1": pytest.approx(0.9)}
    assert rows[1] == {"class": "walk", "clips": 2, "correct": 0, "accuracy": 0.0, "precision": 0.0, "f1": 0.0}
    assert rows[2] == {"class": "jump", "clips": 0, "correct": 0, "accuracy": None, "precision": 0.0, "f1": None}
    path = tmp_path / "per_class.csv"
    write_per_class_csv(rows, path)
    with open(path, newline="") as handle:
        written = list(csv.DictReader(handle))
    assert [row["class"] for row in written] == ["run", "walk", "jump"] and written[2]["accuracy"] == ""


@pytest.mark.parametrize("confusion, names, message", [
    ([[1, 0]], ["a"], "square matrix of counts"),
    ([[0, 0], [0, 0]], ["a", "b"], "counts no clips"),
    ([[1, 0], [0, 1]], ["a"], "name the 2 classes"),
])
def test_bad_confusion_matrices_are_refused(confusion, names, message):
    with pytest.raises(ValueError, match=message):
        per_class_report(confusion, names) if len(names) != len(confusion) else mean_class_accuracy(confusion)
