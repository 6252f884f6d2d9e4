"""Registry of the specialized ops that sit inside a residual block.

An op maps a clip tensor `(batch, time, height, width, channels)` to another
clip tensor. Each op is registered with a spec that declares what it supports:
a temporal kernel, a temporal stride, its own options. Blocks and builders
ask the spec, never the op's name, and the spec refuses what the op does not
support with a `ValueError` that names the op and the argument, so nothing is
silently dropped. An op registered by a user works everywhere a built-in one
does (blocks, builders, analysis, `.keras` saving if its layer is
serializable).

Example:
>>> from stkeras.blocks import get_op
>>> layer = get_op("conv3d").build(16, strides=2, name="op")
>>> layer.kernel_size
(3, 3, 3)
>>> get_op("convlstm").temporal_kernel
False
>>> get_op("conv3d").causal_padding
True
"""

import collections.abc
import dataclasses
import inspect
from typing import Callable

import keras

from stkeras.layers.channelwise_conv import ChannelwiseConv3D
from stkeras.layers.conv2plus1d import Conv2Plus1D
from stkeras.layers.conv_lstm import ConvLSTM2D
from stkeras.layers.frame_conv import FrameConv3D
from stkeras.layers.pseudo3d import Pseudo3D
from stkeras.layers.rank1 import Rank1Conv3D
from stkeras.layers.stdcf import STDCFConv3D
from stkeras.registry import Registry

# The arguments every op factory takes; anything else is an option.
STANDARD_ARGUMENTS = (
    "filters", "kernel_size", "temporal_kernel_size", "strides", "temporal_strides", "use_bias", "name",
)
PROJECTIONS = ("conv", "convlstm")
DEFAULT_TEMPORAL_KERNEL = 3


@dataclasses.dataclass(frozen=True)
class OpSpec:
    """One registered op and what it supports.

    Attributes:
        name: the registry name.
        factory: `factory(filters, *, kernel_size, temporal_kernel_size,
            strides, temporal_strides, use_bias, name, **options)` returning
            a Keras layer from clips to clips.
        temporal_kernel: whether the op has a temporal kernel size (3D,
            factorized and decomposed convolutions); ops without one accept
            only `temporal_kernel_size=None` (or 1).
        temporal_stride: whether the op can stride in time.
        strides_time_with_space: whether a block using this op strides in
            time by its spatial stride unless told otherwise (`ts_conv3d`).
        projection: the skip-path layer of a strided block in Courtney & Sreenivas 2019's
            Res_ConvLSTM modules: `"conv"` (1x1x1 convolution) or
            `"convlstm"` (1x1 ConvLSTM, type A).
        options: the names of the op's own keyword options.
        description: one line for documentation and error messages.
        mixes_time: whether the op's output at a frame depends on other
            frames (false only for per-frame ops such as `conv2d`); a
            search asks it to find where time starts to be mixed.
        changes_channels: whether the op can give another number of
            channels than it takes (false for the channel-wise `channelwise3d`,
            which searches leave out: their blocks change widths).

    The property `causal_padding` says whether the op takes the option
    `temporal_padding="causal"`, which makes a temporal kernel read only the
    frames up to its own (so that a model streams, `stkeras.deploy`).
    """

    name: str
    factory: Callable
    temporal_kernel: bool
    temporal_stride: bool
    strides_time_with_space: bool
    projection: str
    options: frozenset
    description: str
    mixes_time: bool = True
    changes_channels: bool = True

    @property
    def causal_padding(self):
        """Whether the op takes `temporal_padding="causal"` (its output at a frame then reads no later frame)."""
        return "temporal_padding" in self.options

    def default_temporal_strides(self, strides):
        """The temporal stride of a block whose spatial stride is `strides`."""
        return strides if self.strides_time_with_space else 1

    def check_options(self, options, argument="op_options"):
        """Returns `options` as a dict after checking every key is supported."""
        if options is None:
            return {}
        if not isinstance(options, collections.abc.Mapping):
            raise TypeError(
                f"`{argument}` must be a dict of keyword options of op {self.name!r}. "
                f"Received: {argument}={options!r}"
            )
        unknown = sorted(str(k) for k in options if k not in self.options)
        if unknown:
            supported = ", ".join(sorted(self.options)) or "none"
            raise ValueError(
                f"Op {self.name!r} does not support option(s) {', '.join(map(repr, unknown))} "
                f"(received {argument}={dict(options)!r}). Its options: {supported}."
            )
        return dict(options)

    def resolve_temporal_kernel(self, temporal_kernel_size):
        """The op's temporal kernel size: the default (3) for `None`.

        Raises `ValueError` when an op without a temporal kernel is given
        one larger than 1.
        """
        if temporal_kernel_size is not None and (
            not isinstance(temporal_kernel_size, int) or isinstance(temporal_kernel_size, bool)
            or temporal_kernel_size < 1
        ):
            raise ValueError(
                f"`temporal_kernel_size` must be an int >= 1 or None. Received: "
                f"temporal_kernel_size={temporal_kernel_size!r}"
            )
        if not self.temporal_kernel:
            if temporal_kernel_size not in (None, 1):
                raise ValueError(
                    f"Op {self.name!r} has no temporal kernel. Received: temporal_kernel_size="
                    f"{temporal_kernel_size!r}. Ops with one: {', '.join(ops_supporting('temporal_kernel'))}."
                )
            return 1
        return DEFAULT_TEMPORAL_KERNEL if temporal_kernel_size is None else temporal_kernel_size

    def build(
        self,
        filters,
        *,
        kernel_size=3,
        temporal_kernel_size=None,
        strides=1,
        temporal_strides=1,
        use_bias=True,
        name=None,
        dtype=None,
        **options,
    ):
        """Creates the op's layer after checking every argument against the spec.

        `dtype` (a dtype policy, e.g. the enclosing block's) is passed on when
        given and the factory takes it (by name or `**kwargs`), so that mixed
        precision reaches the op.
        """
        if temporal_strides != 1 and not self.temporal_stride:
            raise ValueError(
                f"Op {self.name!r} cannot stride in time. Received: temporal_strides="
                f"{temporal_strides!r}. Ops that can: {', '.join(ops_supporting('temporal_stride'))}."
            )
        return self.factory(
            filters,
            kernel_size=kernel_size,
            temporal_kernel_size=self.resolve_temporal_kernel(temporal_kernel_size),
            strides=strides,
            temporal_strides=temporal_strides,
            use_bias=use_bias,
            name=name,
            **({"dtype": dtype} if dtype is not None and _accepts(self.factory, "dtype") else {}),
            **self.check_options(options, "options"),
        )


OPS = Registry("op")


def _accepts(function, argument):
    """Whether `function` takes `argument` (by name or through `**kwargs`)."""
    parameters = inspect.signature(function).parameters.values()
    return any(p.name == argument or p.kind == p.VAR_KEYWORD for p in parameters)


def _keyword_options(function, exclude=()):
    """Names of `function`'s keyword parameters other than the standard ones."""
    # Clips are channels-last everywhere in stkeras: `data_format` is no option.
    skip = set(STANDARD_ARGUMENTS) | set(exclude) | {"self", "kwargs", "args", "data_format"}
    parameters = inspect.signature(function).parameters.values()
    return frozenset(
        p.name for p in parameters
        if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name not in skip
    )


def layer_factory(layer_class, **fixed):
    """The op factory of a layer class taking `(filters, kernel_size=(t, k, k), strides=(t, s, s), use_bias, name)`.

    `fixed` arguments are passed to every layer and are not options.

    Example:
    >>> factory = layer_factory(keras.layers.Conv3D, padding="same")
    >>> factory(8, kernel_size=3, temporal_kernel_size=1, strides=1, temporal_strides=1,
    ...         use_bias=False, name="x").kernel_size
    (1, 3, 3)
    """

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

    factory.options = _keyword_options(layer_class.__init__, exclude=fixed)
    return factory


def register_op(
    name,
    factory=None,
    *,
    layer=None,
    fixed=None,
    temporal_kernel=True,
    temporal_stride=False,
    strides_time_with_space=False,
    projection="conv",
    options=None,
    description="",
    mixes_time=True,
    changes_channels=True,
):
    """Registers an op under `name`: a factory, a layer class, or as a decorator.

    Args:
        name: the registry name (must be new).
        factory: `factory(filters, *, kernel_size, temporal_kernel_size,
            strides, temporal_strides, use_bias, name, **options)`.
        layer: instead of `factory`, a layer class taking `filters`,
            `kernel_size=(t, k, k)`, `strides=(t, s, s)`, `use_bias` and
            `name` (see `layer_factory`); its other `__init__` arguments
            become the op's options.
        fixed: with `layer`, arguments passed to every layer.
        temporal_kernel, temporal_stride, strides_time_with_space, projection: capabilities
            (see `OpSpec`).
        options: the op's option names; default: the factory's (or layer's)
            keyword parameters beyond the standard ones.
        description: one line for documentation.
        mixes_time: whether the op mixes frames (see `OpSpec`).
        changes_channels: whether the op can change the number of channels (see `OpSpec`).

    Returns:
        the factory (so that it works as a decorator).

    Example:
    >>> register_op("depthwise3d", layer=keras.layers.Conv3D, temporal_stride=True,
    ...             fixed={"padding": "same", "groups": 4})  # doctest: +SKIP
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"`name` must be a non-empty string. Received: name={name!r}")
    if projection not in PROJECTIONS:
        raise ValueError(f"Unknown `projection`: {projection!r}. Allowed values: {', '.join(map(repr, PROJECTIONS))}.")
    if layer is not None:
        if factory is not None:
            raise ValueError("Pass `factory` or `layer`, not both.")
        factory = layer_factory(layer, **(fixed or {}))

    def add(factory):
        if not callable(factory):
            raise TypeError(f"`factory` must be callable. Received: factory={factory!r}")
        names = options
        if names is None:
            names = getattr(factory, "options", None)
        if names is None:
            names = _keyword_options(factory)
        OPS.register(name, OpSpec(
            name, factory, bool(temporal_kernel), bool(temporal_stride), bool(strides_time_with_space),
            projection, frozenset(names), description, bool(mixes_time), bool(changes_channels),
        ))
        return factory

    return add if factory is None else add(factory)


def get_op(name, argument="op"):
    """Returns the `OpSpec` registered as `name`; raises `ValueError` naming `argument` if none."""
    return OPS.get(name, argument)


def available_ops():
    """Names of the registered ops, in registration order."""
    return OPS.names()


def ops_supporting(capability):
    """Names of the ops whose spec has `capability` (e.g. `"temporal_stride"`) set."""
    return tuple(n for n, spec in OPS.items() if getattr(spec, capability))


@register_op(
    "conv2d", temporal_kernel=False, mixes_time=False,
    options=_keyword_options(FrameConv3D.__init__, exclude=("padding", "temporal_padding")),
    description="per-frame k x k convolution (1 x k x k)",
)
def _conv2d(filters, *, kernel_size, temporal_kernel_size, strides, temporal_strides, use_bias, name, **options):
    return FrameConv3D(
        filters, (1, kernel_size, kernel_size), strides=(1, strides, strides), padding="same",
        use_bias=use_bias, name=name, **options,
    )


register_op(
    "conv3d", layer=FrameConv3D, fixed={"padding": "same"}, temporal_stride=True,
    description="t x k x k 3D convolution, strided in space only by default",
)
register_op(
    "ts_conv3d", layer=FrameConv3D, fixed={"padding": "same"}, temporal_stride=True,
    strides_time_with_space=True, description="t x k x k 3D convolution that strides in time as in space",
)


@register_op(
    "convlstm", temporal_kernel=False, projection="convlstm",
    options=_keyword_options(ConvLSTM2D.__init__, exclude=("padding", "return_sequences", "return_state")),
    description="k x k convolutional LSTM over all frames",
)
def _convlstm(filters, *, kernel_size, temporal_kernel_size, strides, temporal_strides, use_bias, name, **options):
    return ConvLSTM2D(
        filters, kernel_size, strides=strides, padding="same", use_bias=use_bias, return_sequences=True,
        name=name, **options,
    )


register_op("conv2plus1d", layer=Conv2Plus1D, temporal_stride=True,
            description="(2+1)D: 1 x k x k to M_i channels, BN, ReLU, t x 1 x 1 (parameter-matched)")
register_op("p3d_a", layer=Pseudo3D, fixed={"variant": "A"}, temporal_stride=True,
            description="P3D-A: spatial then temporal")
register_op("p3d_b", layer=Pseudo3D, fixed={"variant": "B"}, temporal_stride=True,
            description="P3D-B: spatial + temporal in parallel")
register_op("p3d_c", layer=Pseudo3D, fixed={"variant": "C"}, temporal_stride=True,
            description="P3D-C: spatial then temporal, plus spatial skip")
register_op("stdcf", layer=STDCFConv3D, temporal_stride=True,
            description="STDCF: 3D kernel from spatial/temporal atoms and coefficients")
register_op("rank1", layer=Rank1Conv3D, temporal_stride=True,
            description="rank-1: 1 x k x k then t x 1 x 1, no non-linearity")
register_op("channelwise3d", layer=ChannelwiseConv3D, fixed={"padding": "same"}, temporal_stride=True,
            changes_channels=False,
            description="channel-wise (depthwise) t x k x k 3D convolution, one filter per channel (X3D); "
                        "as many channels out as in")
