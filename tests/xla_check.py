"""Run as a child process: one SGD step of every family with and without XLA, printed as JSON.

XLA keeps every executable it compiled for the life of the process (about
3.5 GB for the families here), so the comparison runs in a process of its
own and gives the memory back when it ends.

    python -m tests.xla_check            # every family of tests.families
    python -m tests.xla_check NAME ...   # only these families of tests.families
"""

import json
import os
import sys
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# XLA's CPU backend without its LLVM optimizations compiles these steps 2-3x faster, with the
# same graph and fusions. XLA reads the flags at its first compilation in the process.
if "--xla_backend_optimization_level" not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} --xla_backend_optimization_level=0".strip()

import keras  # noqa: E402
import numpy as np  # noqa: E402

from tests.families import FAMILIES  # noqa: E402


def _one_step(model, weights, x, y, loss, jit_compile):
    """Loss of one SGD step from `weights`, and the weights after it."""
    clone = keras.models.clone_model(model)
    clone.set_weights(weights)
    # SGD: the update is the gradient times the rate, so equal updates mean equal gradients
    # (Adam's first step, about rate * sign(gradient), would magnify differences of near-zero gradients).
    clone.compile(optimizer=keras.optimizers.SGD(0.01), loss=loss, jit_compile=jit_compile)
    return float(clone.train_on_batch(x, y)), clone.get_weights()


def compare(family):
    """`{xla_loss, plain_loss, update, difference}` of one family, or `{error}` if XLA refused it."""
    keras.utils.clear_session()
    keras.utils.set_random_seed(0)
    model = FAMILIES[family]()
    weights = model.get_weights()
    x = np.random.default_rng(0).uniform(size=(2, *model.input.shape[1:])).astype("float32")
    if len(model.output.shape) == 2:
        y, loss = np.array([0, 2]), "sparse_categorical_crossentropy"
    else:
        y, loss = np.zeros((2, *model.output.shape[1:]), "float32"), "mse"
    try:
        with warnings.catch_warnings():
            # Keras would fall back to jit_compile=False with a warning: make that a failure.
            warnings.simplefilter("error", UserWarning)
            xla_loss, xla_weights = _one_step(model, weights, x, y, loss, jit_compile=True)
    except UserWarning as warning:
        return {"error": f"Keras fell back from XLA: {warning}"}
    plain_loss, plain_weights = _one_step(model, weights, x, y, loss, jit_compile=False)
    update = np.sqrt(sum(np.sum((after - before) ** 2) for after, before in zip(plain_weights, weights)))
    difference = np.sqrt(sum(np.sum((a - b) ** 2) for a, b in zip(xla_weights, plain_weights)))
    return {"xla_loss": xla_loss, "plain_loss": plain_loss, "update": float(update), "difference": float(difference)}


if __name__ == "__main__":
    families = sys.argv[1:] or list(FAMILIES)
    print(json.dumps({name: compare(name) for name in families}))
