"""Convolution with dilated kernels, strided or not (used by STDCF and rank-1 layers)."""

from keras import ops


def dilate_kernel(kernel, rates):
    """Inserts `rate - 1` zeros between the taps of a `(t, h, w, in, out)` kernel.

    Example:
    >>> import numpy as np
    >>> k = np.arange(2.0).reshape(2, 1, 1, 1, 1)
    >>> ops.convert_to_numpy(dilate_kernel(k, (3, 1, 1)))[:, 0, 0, 0, 0]
    array([0., 0., 0., 1.])
    """
    for axis, rate in enumerate(rates):
        if rate == 1:
            continue
        size = kernel.shape[axis]
        expanded = ops.expand_dims(kernel, axis + 1)
        pad = [(0, 0)] * len(expanded.shape)
        pad[axis + 1] = (0, rate - 1)
        spread = ops.pad(expanded, pad)
        shape = list(kernel.shape)
        shape[axis] = size * rate
        spread = ops.reshape(spread, shape)
        kernel = ops.take(spread, ops.arange((size - 1) * rate + 1), axis=axis)
    return kernel


def dilated_conv3d(inputs, kernel, strides, padding, rates):
    """`ops.conv` with dilation `rates`, also when `strides > 1`.

    Stride 1 uses the backend's dilated convolution; with a stride the
    kernel is dilated explicitly (TensorFlow does not combine the two), so
    the result always equals a strided convolution with the dilated kernel.
    """
    if max(rates) == 1:
        return ops.conv(inputs, kernel, strides=strides, padding=padding)
    if max(strides) == 1:
        return ops.conv(inputs, kernel, strides=1, padding=padding, dilation_rate=rates)
    return ops.conv(inputs, dilate_kernel(kernel, rates), strides=strides, padding=padding)
