"""Output sizes of convolutions, shared by the layers' `compute_output_shape`, and frame selection."""

from keras import ops


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


def select_frames(clips, start, count, step=1):
    """Frames `start, start + step, ..., start + (count - 1) * step` of clips `(batch, time, ...)`, known rank.

    Built from `slice` and `reshape` only: TensorFlow's gradient of a strided
    slice (`StridedSliceGrad`) is slow on a CPU (seconds per training step of
    X3D), the gradient of a slice is a padding.

    Example:
    >>> import numpy as np
    >>> clips = np.arange(7.0).reshape(1, 7, 1)
    >>> select_frames(clips, 1, 3, step=2).numpy()[0, :, 0]
    array([1., 3., 5.])
    """
    rank = len(clips.shape)
    shape = ops.shape(clips)
    span = count * step
    available = clips.shape[1] - start
    if span > available:  # the last frame read is within the clip; pad the unread rest of the last step
        clips = ops.pad(clips, [(0, 0), (0, span - available)] + [(0, 0)] * (rank - 2))
    window = ops.slice(clips, (0, start) + (0,) * (rank - 2), (shape[0], span) + tuple(shape[2:]))
    if step == 1:
        return window
    grouped = ops.reshape(window, (shape[0], count, step) + tuple(shape[2:]))
    first = ops.slice(grouped, (0,) * (rank + 1), (shape[0], count, 1) + tuple(shape[2:]))
    return ops.reshape(first, (shape[0], count) + tuple(shape[2:]))
