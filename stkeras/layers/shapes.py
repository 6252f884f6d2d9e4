"""Output sizes of convolutions, shared by the layers' `compute_output_shape`."""


def conv_output_size(sizes, kernel_size, strides, padding, dilation=None):
    """Output length per axis of a convolution (`None` stays `None`).

    Example:
    >>> conv_output_size((9, 8), (3, 3), (2, 2), "valid")
    (4, 3)
    """
    dilation = dilation or (1,) * len(sizes)
    out = []
    for size, k, s, d in zip(sizes, kernel_size, strides, dilation):
        if size is None:
            out.append(None)
        elif padding == "same":
            out.append(-(-size // s))
        else:
            out.append((size - (k - 1) * d - 1) // s + 1)
    return tuple(out)
