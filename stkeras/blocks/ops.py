"""Registry of the specialized ops that sit inside a residual block.

An op maps a clip tensor `(batch, time, height, width, channels)` to another
clip tensor. The residual bottleneck block picks its op by name from this
registry, so adding an op (as later `conv2plus1d`, `p3d_*`, `stdcf` and
`rank1` do) is one `register_op` call, not a new block class.

Example:
>>> from stkeras.blocks import get_op
>>> layer = get_op("conv3d").build(16, strides=2, name="op")
>>> layer.kernel_size
(3, 3, 3)
"""

import dataclasses
from typing import Callable

import keras

from stkeras.layers.conv2plus1d import Conv2Plus1D
from stkeras.layers.conv_lstm import ConvLSTM2D
from stkeras.layers.pseudo3d import Pseudo3D
from stkeras.layers.rank1 import Rank1Conv3D
from stkeras.layers.stdcf import STDCFConv3D


@dataclasses.dataclass(frozen=True)
class OpSpec:
    """One registered op.

    Attributes:
        name: the registry name.
        factory: `factory(filters, *, kernel_size, temporal_kernel_size,
            strides, temporal_strides, use_bias, name, **options)` returning a
            Keras layer from clips to clips.
        temporal_stride: whether the op can stride in time.
        strides_time_with_space: whether a block using this op strides in
            time by its spatial stride unless told otherwise (`ts_conv3d`).
        description: one line for documentation and error messages.
    """

    name: str
    factory: Callable
    temporal_stride: bool
    strides_time_with_space: bool
    description: str

    def build(
        self,
        filters,
        *,
        kernel_size=3,
        temporal_kernel_size=3,
        strides=1,
        temporal_strides=1,
        use_bias=True,
        name=None,
        **options,
    ):
        """Creates the op's layer (see `factory`)."""
        if temporal_strides != 1 and not self.temporal_stride:
            allowed = ", ".join(n for n, s in _OPS.items() if s.temporal_stride)
            raise ValueError(
                f"Op {self.name!r} cannot stride in time. Received: "
                f"temporal_strides={temporal_strides}. Ops that can: {allowed}."
            )
        return self.factory(
            filters,
            kernel_size=kernel_size,
            temporal_kernel_size=temporal_kernel_size,
            strides=strides,
            temporal_strides=temporal_strides,
            use_bias=use_bias,
            name=name,
            **options,
        )


_OPS = {}


def register_op(
    name, *, temporal_stride=False, strides_time_with_space=False, description=""
):
    """Decorator that registers an op factory under `name`."""

    def decorator(factory):
        if name in _OPS:
            raise ValueError(f"An op named {name!r} is already registered.")
        _OPS[name] = OpSpec(
            name, factory, temporal_stride, strides_time_with_space, description
        )
        return factory

    return decorator


def get_op(name):
    """Returns the `OpSpec` registered as `name`; raises `ValueError` if none."""
    if name not in _OPS:
        raise ValueError(
            f"Unknown op: {name!r}. Available ops: {', '.join(available_ops())}."
        )
    return _OPS[name]


def available_ops():
    """Names of the registered ops, in registration order."""
    return tuple(_OPS)


@register_op("conv2d", description="per-frame k x k convolution (1 x k x k)")
def _conv2d(filters, *, kernel_size, temporal_kernel_size, strides, temporal_strides, use_bias, name, **options):
    return keras.layers.Conv3D(
        filters,
        (1, kernel_size, kernel_size),
        strides=(1, strides, strides),
        padding="same",
        use_bias=use_bias,
        name=name,
        **options,
    )


def _spatiotemporal(layer_class, **fixed):
    """The factory of a layer taking a `(t, k, k)` kernel and `(t, s, s)` strides."""

    def factory(filters, *, kernel_size, temporal_kernel_size, strides, temporal_strides, use_bias, name, **options):
        return layer_class(
            filters,
            kernel_size=(temporal_kernel_size, kernel_size, kernel_size),
            strides=(temporal_strides, strides, strides),
            use_bias=use_bias,
            name=name,
            **fixed,
            **options,
        )

    return factory


register_op(
    "conv3d",
    temporal_stride=True,
    description="t x k x k 3D convolution, strided in space only by default",
)(_spatiotemporal(keras.layers.Conv3D, padding="same"))
register_op(
    "ts_conv3d",
    temporal_stride=True,
    strides_time_with_space=True,
    description="t x k x k 3D convolution that strides in time as in space",
)(_spatiotemporal(keras.layers.Conv3D, padding="same"))


@register_op("convlstm", description="k x k convolutional LSTM over all frames")
def _convlstm(filters, *, kernel_size, temporal_kernel_size, strides, temporal_strides, use_bias, name, **options):
    return ConvLSTM2D(
        filters,
        kernel_size,
        strides=strides,
        padding="same",
        use_bias=use_bias,
        return_sequences=True,
        name=name,
        **options,
    )


register_op(
    "conv2plus1d",
    temporal_stride=True,
    description="(2+1)D: 1 x k x k to M_i channels, BN, ReLU, t x 1 x 1 (parameter-matched)",
)(_spatiotemporal(Conv2Plus1D))
register_op("p3d_a", temporal_stride=True, description="P3D-A: spatial then temporal")(
    _spatiotemporal(Pseudo3D, variant="A")
)
register_op("p3d_b", temporal_stride=True, description="P3D-B: spatial + temporal in parallel")(
    _spatiotemporal(Pseudo3D, variant="B")
)
register_op("p3d_c", temporal_stride=True, description="P3D-C: spatial then temporal, plus spatial skip")(
    _spatiotemporal(Pseudo3D, variant="C")
)
register_op(
    "stdcf", temporal_stride=True, description="STDCF: 3D kernel from spatial/temporal atoms and coefficients"
)(_spatiotemporal(STDCFConv3D))
register_op("rank1", temporal_stride=True, description="rank-1: 1 x k x k then t x 1 x 1, no non-linearity")(
    _spatiotemporal(Rank1Conv3D)
)
