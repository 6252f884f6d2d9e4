"""Confusion matrices of a classifier's predictions, as counts and as a plot."""

import numpy as np


def confusion_matrix(labels, predictions, num_classes):
    """Counts `(num_classes, num_classes)`: row = true class, column = predicted class.

    Example:
    >>> confusion_matrix([0, 1, 1], [0, 1, 0], 2)
    array([[1, 0],
           [1, 1]])
    """
    labels, predictions = np.asarray(labels, np.int64), np.asarray(predictions, np.int64)
    matrix = np.zeros((num_classes, num_classes), np.int64)
    np.add.at(matrix, (labels, predictions), 1)
    return matrix


def plot_confusion_matrix(matrix, class_names, path, title=""):
    """Saves a confusion matrix (rows normalised to the share of each true class) as an annotated heatmap.

    Args:
        matrix: counts `(classes, classes)`, rows true and columns predicted.
        class_names: the classes' names in label order.
        path: the image file to write (e.g. `confusion_matrix.png`).
        title: the figure's title.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    matrix = np.asarray(matrix, dtype=float)
    shares = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    n = len(class_names)
    side = min(max(4.0, 0.45 * n + 2), 24.0)
    figure, axis = plt.subplots(figsize=(side, side))
    image = axis.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    figure.colorbar(image, ax=axis, fraction=0.046, pad=0.04, label="share of the true class")
    axis.set_xticks(range(n), class_names, rotation=90 if n > 6 else 0)
    axis.set_yticks(range(n), class_names)
    axis.set_xlabel("predicted class")
    axis.set_ylabel("true class")
    if n <= 30:  # counts stay legible up to about 30 classes
        for i in range(n):
            for j in range(n):
                if matrix[i, j]:
                    axis.text(j, i, int(matrix[i, j]), ha="center", va="center", fontsize=8,
                              color="white" if shares[i, j] > 0.5 else "black")
    axis.set_title(title)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
