"""Loads another framework's weights into a Keras model through a table of layer names.

A table maps the checkpoint's module names (PyTorch's `state_dict` prefixes,
e.g. `"layer2.0.conv1.0"`) to the model's layer paths (e.g.
`"conv3_1/op1"`). Each tensor's last name part says what it is: a
convolution or dense `weight` becomes the `kernel`, a batch normalization's
`weight`, `bias`, `running_mean`, `running_var` become `gamma`, `beta`,
`moving_mean`, `moving_variance` (`num_batches_tracked`, a counter, is not
a weight). Layouts are converted: a convolution's `(out, in, *kernel)` to
Keras' `(*kernel, in, out)`, a dense `(out, in)` to `(in, out)`; a 3D
kernel of one frame fills a 2D layer's kernel. Every checkpoint tensor must
fill a model weight and every model weight must be filled, else a
`ValueError` lists what is missing, extra or of the wrong shape.

Example:
>>> import keras, numpy as np
>>> inputs = keras.Input((3,))
>>> model = keras.Model(inputs, keras.layers.Dense(2, name="fc")(inputs), name="demo")
>>> state = {"head.weight": np.ones((2, 3), "float32"), "head.bias": np.zeros(2, "float32")}
>>> sorted(load_mapped_weights(model, state, {"head": "fc"}, source="demo.pth"))
['fc/bias', 'fc/kernel']
>>> load_mapped_weights(model, {"head.weight": np.ones((2, 4))}, {"head": "fc"}, source="demo.pth")
Traceback (most recent call last):
...
ValueError: The weights in 'demo.pth' do not fit model 'demo': shape mismatch: head.weight (2, 4) -> fc/kernel (3, 2); model weights not in the file: fc/bias.
"""

import os

import numpy as np

from stkeras.weights.torch_checkpoint import is_torch_checkpoint

# A tensor's last name part -> the Keras weight it fills, by the layer's kind.
NORM_WEIGHTS = {"weight": "gamma", "bias": "beta", "running_mean": "moving_mean", "running_var": "moving_variance"}
LINEAR_WEIGHTS = {"weight": "kernel", "bias": "bias"}
# Bookkeeping tensors of PyTorch layers that hold no weight.
IGNORED = ("num_batches_tracked",)


def _keras_layout(array, shape):
    """A PyTorch kernel in Keras' layout, `(out, in, *k) -> (*k, in, out)`, fitted to `shape`."""
    if array.ndim >= 2:
        array = np.transpose(array, (*range(2, array.ndim), 1, 0))
    if array.shape != tuple(shape) and array.size == int(np.prod(shape)):
        # A one-frame 3D kernel (1, h, w, in, out) for a 2D layer's (h, w, in, out), or the reverse.
        squeezed = [n for n in array.shape if n != 1]
        if squeezed == [n for n in shape if n != 1]:
            array = array.reshape(shape)
    return array


def _listed(items, shown=8):
    more = f", ... ({len(items)} in all)" if len(items) > shown else ""
    return ", ".join(items[:shown]) + more


def map_names(model, state, table, *, skip=()):
    """`{checkpoint name: model weight path}` and the problems found (unmapped, extra, missing).

    Args:
        model: a built Keras model.
        state: `{name: array}` of the checkpoint.
        table: `{checkpoint module: model layer path}`.
        skip: checkpoint modules deliberately not loaded (e.g. a classifier
            of another number of classes).
    """
    variables = {v.path: v for v in model.weights}
    mapping, unmapped = {}, []
    for name in state:
        module, _, part = name.rpartition(".")
        if part in IGNORED or module in skip:
            continue
        if module not in table:
            unmapped.append(name)
            continue
        layer = table[module]
        kind = NORM_WEIGHTS if f"{layer}/gamma" in variables or f"{layer}/moving_mean" in variables else LINEAR_WEIGHTS
        if part not in kind or f"{layer}/{kind[part]}" not in variables:
            unmapped.append(f"{name} (-> {layer}/{kind.get(part, part)}, which model {model.name!r} lacks)")
            continue
        mapping[name] = f"{layer}/{kind[part]}"
    skipped = {table[m] for m in skip if m in table}
    missing = sorted(path for path in set(variables) - set(mapping.values())
                     if path.rpartition("/")[0] not in skipped)
    return mapping, unmapped, missing


def mismatched_classifier(model, state, module, layer="predictions"):
    """`[module]` if the checkpoint's classifier `module` has another number of classes than `layer`, else `[]`.

    The loaders skip such a classifier (fine-tuning: a new one stays
    initialized) and load the rest. The comparison is by size: a
    convolution `(classes, features, 1, 1, 1)` fits a dense
    `(features, classes)` of the same size.

    Example:
    >>> import keras, numpy as np
    >>> inputs = keras.Input((3,))
    >>> model = keras.Model(inputs, keras.layers.Dense(2, name="predictions")(inputs))
    >>> mismatched_classifier(model, {"fc.weight": np.zeros((5, 3))}, "fc"), mismatched_classifier(
    ...     model, {"fc.weight": np.zeros((2, 3))}, "fc")
    (['fc'], [])
    """
    source = state.get(f"{module}.weight")
    kernels = [w for w in model.weights if w.path == f"{layer}/kernel"]
    if source is None or not kernels:
        return []
    target = tuple(kernels[0].shape)
    fits = np.asarray(source).shape[0] == target[-1] and int(np.prod(source.shape)) == int(np.prod(target))
    return [] if fits else [module]


def load_mapped_weights(model, state, table, *, source, skip=()):
    """Assigns the checkpoint's tensors to the model's weights through `table`.

    Args:
        model: a built Keras model.
        state: `{name: array}` (e.g. `stkeras.weights.read_torch_checkpoint`).
        table: `{checkpoint module: model layer path}`.
        source: the checkpoint's name, for error messages.
        skip: checkpoint modules not loaded (their model layers keep
            their values).

    Returns:
        the paths of the model weights assigned.

    Raises:
        ValueError: naming `source` and every missing, extra or misshapen weight;
            nothing is assigned then.
    """
    mapping, unmapped, missing = map_names(model, state, table, skip=skip)
    variables = {v.path: v for v in model.weights}
    values, mismatched = {}, []
    for name, path in mapping.items():
        shape = tuple(variables[path].shape)
        value = _keras_layout(np.asarray(state[name]), shape)
        if value.shape != shape:
            mismatched.append(f"{name} {tuple(state[name].shape)} -> {path} {shape}")
        values[path] = value
    problems = [f"{label}: {_listed(items)}" for label, items in (
        ("shape mismatch", mismatched), ("checkpoint tensors with no model weight", unmapped),
        ("model weights not in the file", missing)) if items]
    if problems:
        raise ValueError(f"The weights in {source!r} do not fit model {model.name!r}: {'; '.join(problems)}.")
    for path, value in values.items():
        variables[path].assign(value.astype(variables[path].dtype))
    return sorted(values)


def load_weights_file(model, weights, *, load_checkpoint):
    """Loads a weights file into `model`: a PyTorch checkpoint (by suffix) through `load_checkpoint`, else Keras'.

    Args:
        model: a built Keras model.
        weights: the file's path.
        load_checkpoint: `load_checkpoint(model, path)`, the family's
            loader of PyTorch checkpoints (e.g. through a name table).

    Returns:
        the paths of the model weights loaded.

    Raises:
        ValueError: naming the file if it does not load.
    """
    if is_torch_checkpoint(weights):
        return load_checkpoint(model, weights)
    try:
        model.load_weights(weights)
    except Exception as error:  # h5py and Keras raise several types for a damaged or mismatched file
        raise ValueError(f"The weights file {os.fspath(weights)!r} cannot be loaded into model {model.name!r}: "
                         f"{error}") from None
    return sorted(w.path for w in model.weights)
