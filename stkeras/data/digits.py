"""Sources of 28x28 digit images: an embedded MNIST sample, or the full MNIST."""

import functools
import importlib.resources
import logging

import numpy as np

from stkeras.validation import check_choice

logger = logging.getLogger(__name__)

SOURCES = ("auto", "embedded", "tfds")
SPLITS = ("train", "test")


@functools.lru_cache(maxsize=None)
def _embedded(split):
    path = importlib.resources.files("stkeras.data") / "assets" / "mnist_5k.npz"
    with importlib.resources.as_file(path) as file, np.load(file) as data:
        return data[f"{split}_images"], data[f"{split}_labels"].astype(np.int64)


def tfds_available(data_dir=None):
    """Whether the full MNIST of tensorflow-datasets is on this machine."""
    absl_logger = logging.getLogger("absl")
    level = absl_logger.level
    # A probe: tfds' warnings about partial folders are not the user's concern.
    absl_logger.setLevel(logging.ERROR)
    try:
        import tensorflow_datasets as tfds

        return tfds.builder("mnist", data_dir=data_dir).is_prepared()
    except Exception:  # noqa: BLE001 - any failure means "not available"
        return False
    finally:
        absl_logger.setLevel(level)


def _tfds(split, data_dir=None):
    import tensorflow_datasets as tfds

    images, labels = tfds.as_numpy(
        tfds.load("mnist", split=split, batch_size=-1, as_supervised=True,
                  download=False, data_dir=data_dir)
    )
    return images[..., 0].astype(np.uint8), labels.astype(np.int64)


def load_digits(split="train", source="auto", data_dir=None):
    """Returns `(images uint8 (n, 28, 28), labels int64 (n,))` of one split.

    Args:
        split: `"train"` or `"test"`; the two are disjoint sets of digits.
        source: `"embedded"` (5,000 real MNIST digits shipped in the package:
            4,000 train, 1,000 test; works offline), `"tfds"` (the full MNIST
            of tensorflow-datasets, which must already be on this machine;
            nothing is downloaded), or `"auto"` (tfds when prepared, else
            embedded; the choice is logged).
        data_dir: tensorflow-datasets data folder (default: its own).

    Example:
    >>> images, labels = load_digits("test", source="embedded")
    >>> images.shape, images.dtype
    ((1000, 28, 28), dtype('uint8'))
    """
    check_choice("split", split, SPLITS)
    check_choice("source", source, SOURCES)
    if source == "auto":
        source = "tfds" if tfds_available(data_dir) else "embedded"
        logger.info("stkeras.data.load_digits: using the %s digits", source)
    if source == "tfds":
        if not tfds_available(data_dir):
            raise ValueError(
                "source='tfds' needs MNIST prepared by tensorflow-datasets on "
                "this machine (stkeras never downloads). Prepare it with "
                "`tfds.load('mnist')` where there is network access, or use "
                "source='embedded' or source='auto'."
            )
        return _tfds(split, data_dir)
    images, labels = _embedded(split)
    return images.copy(), labels.copy()
