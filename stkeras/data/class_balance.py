"""Imbalanced classes: class weights from the training labels, weighted batches, and class-balanced sampling.

Two remedies for a folder with many more videos of some classes than of
others (mmaction2#2797, SlowFast#338):

- **class weights**: each clip's loss weighted by its class's
  `num_videos / (num_classes * class_videos)` (scikit-learn's `"balanced"`
  weights, MMAction2's `CrossEntropyLoss(class_weight=...)`): every class
  weighs as much in the loss as if the classes were balanced. A mixed
  target (MixUp, CutMix) weighs its classes' weights in its proportions.
- **class-balanced sampling**: every class drawn equally often, its videos
  in a random order, repeated as needed (`tf.data.Dataset.sample_from_datasets`
  over one stream per class).

Example:
>>> class_weights([0, 0, 0, 1], num_classes=2).tolist()
[0.6666666666666666, 2.0]
"""

import numpy as np
import tensorflow as tf

from stkeras.validation import check_positive_int


def class_weights(labels, num_classes):
    """`num_labels / (num_classes * count)` per class (0 for a class without labels), as a float64 array.

    Args:
        labels: the training labels, ints in `[0, num_classes)`.
        num_classes: the number of classes.
    """
    check_positive_int("num_classes", num_classes)
    labels = np.asarray(labels, np.int64).reshape(-1)
    if labels.size == 0:
        raise ValueError("`labels` is empty: class weights need the training labels.")
    if labels.min() < 0 or labels.max() >= num_classes:
        raise ValueError(f"`labels` must be in [0, {num_classes}). Received labels from {labels.min()} to "
                         f"{labels.max()}")
    counts = np.bincount(labels, minlength=num_classes).astype(np.float64)
    present = counts > 0
    weights = np.zeros(num_classes)
    weights[present] = labels.size / (present.sum() * counts[present])
    return weights


def weigh_batches(dataset, weights):
    """A dataset of `(clips, targets)` batches as `(clips, targets, sample_weights)`, each clip weighted by its class.

    Args:
        dataset: batches of integer targets `(batch,)` or one-hot / soft
            targets `(batch, classes)`.
        weights: one weight per class (`class_weights`).

    Example:
    >>> import numpy as np, tensorflow as tf
    >>> batches = tf.data.Dataset.from_tensors((np.zeros((3, 2)), np.array([0, 1, 1])))
    >>> next(iter(weigh_batches(batches, [0.5, 2.0])))[2].numpy().tolist()
    [0.5, 2.0, 2.0]
    """
    weights = tf.constant(np.asarray(weights, np.float32))

    def weigh(clips, targets):
        if targets.shape.rank == 1:
            return clips, targets, tf.gather(weights, tf.cast(targets, tf.int32))
        return clips, targets, tf.linalg.matvec(tf.cast(targets, tf.float32), weights)

    return dataset.map(weigh)


def balanced_elements(dataset, labels, seed=None):
    """An endless stream of `dataset`'s elements with every class drawn equally often.

    Args:
        dataset: a finite dataset of elements whose order is that of
            `labels` (one element per label).
        labels: the class of each element.
        seed: seed of the class draws and of each class's order.

    Example:
    >>> import tensorflow as tf
    >>> stream = balanced_elements(tf.data.Dataset.range(4), [0, 0, 0, 1], seed=0)
    >>> drawn = [int(x) for x in stream.take(400)]
    >>> 150 < drawn.count(3) < 250  # the single video of class 1: about half the draws
    True
    """
    labels = np.asarray(labels, np.int64).reshape(-1)
    classes = sorted(set(labels.tolist()))
    if not classes:
        raise ValueError("`labels` is empty: balanced sampling needs the training labels.")
    indexed = tf.data.Dataset.zip((dataset, tf.data.Dataset.from_tensor_slices(labels)))
    streams = []
    for index, label in enumerate(classes):
        members = indexed.filter(lambda element, element_label, label=label: element_label == label)
        count = int(np.sum(labels == label))  # each class stream is finite before its repeat: never empty
        shuffled = members.shuffle(count, seed=None if seed is None else seed + index, reshuffle_each_iteration=True)
        streams.append(shuffled.repeat().map(lambda element, element_label: element))
    return tf.data.Dataset.sample_from_datasets(streams, weights=[1.0 / len(classes)] * len(classes), seed=seed)
