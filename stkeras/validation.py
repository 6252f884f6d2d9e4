"""Argument checks shared by layers, blocks and builders.

Every check raises a `ValueError` that names the argument, quotes the value
received and says what is allowed, so that a bad argument fails when the layer
or model is built, never as a shape error deep inside a graph.
"""

import math
import os


def normalize_tuple(value, n, name, minimum=1):
    """Returns `value` as a tuple of `n` ints, each at least `minimum`.

    Args:
        value: an int (repeated `n` times) or a sequence of `n` ints.
        n: the length of the tuple.
        name: the argument's name, quoted in the error.
        minimum: the smallest value allowed for each entry.

    Example:
    >>> normalize_tuple(3, 2, "kernel_size")
    (3, 3)
    """
    if isinstance(value, bool):
        raise ValueError(
            f"`{name}` must be an int or a tuple of {n} ints. "
            f"Received: {name}={value!r}"
        )
    if isinstance(value, int):
        result = (value,) * n
    else:
        try:
            result = tuple(value)
        except TypeError:
            raise ValueError(
                f"`{name}` must be an int or a tuple of {n} ints. "
                f"Received: {name}={value!r}"
            ) from None
        if len(result) != n or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in result
        ):
            raise ValueError(
                f"`{name}` must be an int or a tuple of {n} ints. "
                f"Received: {name}={value!r}"
            )
    if any(v < minimum for v in result):
        raise ValueError(
            f"Every entry of `{name}` must be >= {minimum}. "
            f"Received: {name}={value!r}"
        )
    return result


def check_choice(name, value, allowed):
    """Returns `value` if it is one of `allowed`, else raises `ValueError`.

    Example:
    >>> check_choice("task", "digit", ("digit", "order", "speed"))
    'digit'
    """
    if value not in allowed:
        options = ", ".join(repr(a) for a in allowed)
        raise ValueError(
            f"Unknown `{name}`: {value!r}. Allowed values: {options}."
        )
    return value


def check_positive_int(name, value, minimum=1, allow_none=False):
    """Returns `value` if it is an int >= `minimum` (or None when allowed)."""
    if value is None and allow_none:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        allowed = f"an int >= {minimum}" + (" or None" if allow_none else "")
        raise ValueError(f"`{name}` must be {allowed}. Received: {name}={value!r}")
    return value


def check_bool(name, value):
    """Returns `value` if it is True or False, else raises `TypeError`.

    Example:
    >>> check_bool("stem_pool", True)
    True
    """
    if not isinstance(value, bool):
        raise TypeError(f"`{name}` must be True or False. Received: {name}={value!r}")
    return value


def check_dilation_fits(owner, kernel_size, dilation_rate, padding, sizes, dilation_name="dilation_rate"):
    """Raises `ValueError` if a dilated kernel cannot run on inputs of these sizes.

    With `padding="valid"` the dilated kernel must fit in the input; with
    `"same"` a dilation at least the input's size leaves every tap but the
    centre on padding (and makes TensorFlow pad the input to a multiple of
    the dilation, which can exhaust memory), so it is refused too.

    Args:
        owner: the layer's name, for the message.
        kernel_size, dilation_rate: per-axis tuples.
        padding: `"valid"`, `"same"` or `"causal"`.
        sizes: the input's size along the same axes (`None` where unknown).
        dilation_name: the argument that set the dilation, for the message.

    Example:
    >>> check_dilation_fits("conv", (3, 3), (2, 2), "same", (8, 8))
    """
    for axis, (k, d, size) in enumerate(zip(kernel_size, dilation_rate, sizes)):
        if size is None or k == 1:
            continue
        extent = (k - 1) * d + 1
        if padding == "valid" and extent > size:
            raise ValueError(
                f"Layer {owner!r}: kernel_size={tuple(kernel_size)} with {dilation_name}={tuple(dilation_rate)} "
                f"spans {extent} along axis {axis + 1}, more than the input's {size} with padding='valid'.")
        if padding != "valid" and d > 1 and d >= size:
            raise ValueError(
                f"Layer {owner!r}: {dilation_name}={tuple(dilation_rate)} is at least the input's size {size} "
                f"along axis {axis + 1}: every tap but the centre would read padding. Use a dilation below {size}.")


def check_number(name, value, minimum=None, maximum=None):
    """Returns `value` as a float if it is a finite real number in [minimum, maximum], else raises.

    Example:
    >>> check_number("norm_momentum", 0.9, 0, 1)
    0.9
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"`{name}` must be a number. Received: {name}={value!r}")
    if not math.isfinite(value):
        raise ValueError(f"`{name}` must be a finite number. Received: {name}={value!r}")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        bounds = f"in [{minimum}, {maximum}]" if minimum is not None and maximum is not None else (
            f">= {minimum}" if minimum is not None else f"<= {maximum}")
        raise ValueError(f"`{name}` must be {bounds}. Received: {name}={value!r}")
    return float(value)


def check_seed(name, value):
    """Returns `value` if it is None or an int >= 0 (a random seed), else raises `TypeError` or `ValueError`.

    Example:
    >>> check_seed("seed", 7)
    7
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"`{name}` must be None or an int >= 0. Received: {name}={value!r}")
    if value < 0:
        raise ValueError(f"`{name}` must be None or an int >= 0. Received: {name}={value!r}")
    return value


def check_options(name, value):
    """Returns `value` as a dict if it is None or a mapping with string keys, else raises `TypeError`.

    Example:
    >>> check_options("head_options", {"units": 64})
    {'units': 64}
    """
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise TypeError(f"`{name}` must be None or a dict of keyword arguments. Received: {name}={value!r}")
    return dict(value)


def check_path_or_none(name, value, allowed_names=()):
    """Returns `value` if it is None, a file path (str or os.PathLike) or one of `allowed_names`, else raises.

    Example:
    >>> check_path_or_none("weights", None)
    """
    if value is None or value in allowed_names or isinstance(value, (str, os.PathLike)):
        return value
    named = "".join(f", {n!r}" for n in allowed_names)
    raise TypeError(f"`{name}` must be None{named} or a file path. Received: {name}={value!r}")


def check_shape(name, value, allow_none_dims=True):
    """Returns `value` as a tuple if it is a sequence of ints >= 1 (or None where allowed), else raises.

    Example:
    >>> check_shape("input_shape", [8, None, 32])
    (8, None, 32)
    """
    ok = isinstance(value, (tuple, list)) and len(value) > 0 and all(
        (d is None and allow_none_dims) or (isinstance(d, int) and not isinstance(d, bool) and d >= 1) for d in value)
    if not ok:
        raise ValueError(f"`{name}` must be a non-empty tuple of ints >= 1{' or None' if allow_none_dims else ''}. "
                         f"Received: {name}={value!r}")
    return tuple(value)


def check_layer_name(name, value):
    """Returns `value` if it is None or a non-empty string without `/` (a Keras layer or model name).

    Example:
    >>> check_layer_name("output_name", "scores")
    'scores'
    """
    if value is not None and (not isinstance(value, str) or not value or "/" in value):
        raise ValueError(f"`{name}` must be None or a non-empty name without '/'. Received: {name}={value!r}")
    return value


def check_activation(name, value):
    """Returns `value` if Keras knows it as an activation (a name, a function or None), else raises `ValueError`.

    Example:
    >>> check_activation("classifier_activation", "softmax")
    'softmax'
    """
    import keras

    if value is not None and not callable(value):
        try:
            keras.activations.get(value)
        except (ValueError, TypeError):
            value_ok = False
        else:
            value_ok = isinstance(value, str)
        if not value_ok:
            raise ValueError(f"`{name}` must be None, an activation's name such as 'softmax', or a function. "
                             f"Received: {name}={value!r}")
    return value


def check_rate(name, value):
    """Returns `value` if it is a number in [0, 1), else raises `ValueError`.

    Example:
    >>> check_rate("dropout", 0.5)
    0.5
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
        raise ValueError(f"`{name}` must be a number in [0, 1). Received: {name}={value!r}")
    return value
