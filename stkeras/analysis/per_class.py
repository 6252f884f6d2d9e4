"""Per-class results of a classifier from its confusion matrix: each class's accuracy, and their mean.

On imbalanced test sets the top-1 accuracy is mostly the large classes'
accuracy; the mean-class accuracy (UCF101's and MMAction2's
`mean_class_accuracy`) weighs every class alike. Here it is the mean, over
the classes with at least one test clip, of the share of that class's clips
predicted right (MMAction2 also counts a class that is only predicted, with
accuracy 0).

Example:
>>> confusion = [[8, 0, 0], [0, 1, 1], [0, 0, 0]]  # rows: true class; columns: predicted
>>> round(mean_class_accuracy(confusion), 3)  # (8/8 + 1/2) / 2 classes with clips
0.75
>>> per_class_report(confusion, ["run", "walk", "jump"])[1]
{'class': 'walk', 'clips': 2, 'correct': 1, 'accuracy': 0.5, 'precision': 1.0, 'f1': 0.6666666666666666}
"""

import csv
import io

import numpy as np

from stkeras.training.atomic_files import write_text_atomically


def _matrix(confusion):
    matrix = np.asarray(confusion, np.int64)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1] or matrix.size == 0 or matrix.min() < 0:
        raise ValueError(f"`confusion` must be a square matrix of counts (rows: true class; columns: predicted). "
                         f"Received shape {matrix.shape}")
    return matrix


def mean_class_accuracy(confusion):
    """The mean over classes with test clips of each class's accuracy (its recall).

    Raises:
        ValueError: no test clips at all.
    """
    matrix = _matrix(confusion)
    clips = matrix.sum(axis=1)
    if not clips.any():
        raise ValueError("The confusion matrix counts no clips: there is no mean-class accuracy.")
    present = clips > 0
    return float(np.mean(np.diag(matrix)[present] / clips[present]))


def per_class_report(confusion, class_names):
    """One dict per class, in label order: `class`, `clips` (its test clips), `correct`, `accuracy` (its recall),
    `precision` and `f1` (`None` where undefined: no clips, or never predicted)."""
    matrix = _matrix(confusion)
    if len(class_names) != len(matrix):
        raise ValueError(f"`class_names` must name the {len(matrix)} classes of the confusion matrix. Received "
                         f"{len(class_names)} names")
    rows = []
    for index, name in enumerate(class_names):
        clips, correct, predicted = int(matrix[index].sum()), int(matrix[index, index]), int(matrix[:, index].sum())
        recall = correct / clips if clips else None
        precision = correct / predicted if predicted else None
        f1 = (2 * precision * recall / (precision + recall) if precision and recall else 0.0) \
            if recall is not None and precision is not None else None
        rows.append({"class": name, "clips": clips, "correct": correct, "accuracy": recall, "precision": precision,
                     "f1": f1})
    return rows


def write_per_class_csv(rows, path):
    """Writes `per_class_report`'s rows as a CSV file (empty cells where undefined), atomically."""
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows([{k: "" if v is None else v for k, v in row.items()} for row in rows])
    write_text_atomically(path, text.getvalue())
