"""Argument checks shared by layers, blocks and builders.

Every check raises a `ValueError` that names the argument, quotes the value
received and says what is allowed, so that a bad argument fails when the layer
or model is built, never as a shape error deep inside a graph.
"""

import math

import psutil


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


def check_weights_fit(owner, shapes, arguments, bytes_per_value=4):
    """Raises `ValueError` if weights of these shapes could not be allocated.

    Called in a layer's `build` before its weights are created, so that a
    huge `kernel_size` or number of atoms fails at once, with the size it
    would need, instead of inside TensorFlow's allocator or after minutes.

    Args:
        owner: the layer's name, for the message.
        shapes: `{weight name: shape}`.
        arguments: the arguments that set the sizes, e.g.
            `"kernel_size=(3, 3, 3), filters=64"`, for the message.
        bytes_per_value: bytes of one value (4 for float32).

    Example:
    >>> check_weights_fit("conv", {"kernel": (10**6, 10**6)}, "filters=1000000")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: Layer 'conv': filters=1000000 would need 1,000,000,000,000 weights (3725.3 GiB)...
    """
    count = sum(math.prod(int(d) for d in shape) for shape in shapes.values())
    needed = count * bytes_per_value
    available = psutil.virtual_memory().available
    if needed > available:
        raise ValueError(
            f"Layer {owner!r}: {arguments} would need {count:,} weights ({needed / 2**30:.1f} GiB), more than "
            f"the {available / 2**30:.1f} GiB of memory available. Use smaller values."
        )


def check_rate(name, value):
    """Returns `value` if it is a number in [0, 1), else raises `ValueError`.

    Example:
    >>> check_rate("dropout", 0.5)
    0.5
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
        raise ValueError(f"`{name}` must be a number in [0, 1). Received: {name}={value!r}")
    return value
