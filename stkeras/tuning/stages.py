"""The per-stage temporal design as keras-tuner hyperparameters, declared from the op registry.

A network's stages each get an op, a temporal kernel and a temporal stride;
`first_temporal_stage` says where the search starts to choose ops: every
stage before it is per-frame (`conv2d`), so "where is time first mixed?" is
one hyperparameter. Which ops a stage may take, and which of them get a
temporal kernel or a temporal stride, is asked of the op registry
(`stkeras.blocks.get_op`), never decided by name; ops registered by a user
join the space.
"""

import dataclasses

from stkeras.blocks import available_ops
from stkeras.blocks import get_op

PER_FRAME_OP = "conv2d"
TEMPORAL_KERNELS = (3, 5)
TEMPORAL_STRIDES = (1, 2)


@dataclasses.dataclass(frozen=True)
class Stage:
    """A stage of a network whose temporal design is searched.

    Attributes:
        name: prefix of the stage's hyperparameters (`res1`, `conv3_x`).
        temporal_kernel: whether the builder takes a temporal kernel for it.
        temporal_stride: whether the builder takes a temporal stride for it.
    """

    name: str
    temporal_kernel: bool = True
    temporal_stride: bool = True


def searchable_ops(ops=None):
    """The ops a search chooses from: `ops`, or every registered op.

    Ops whose spec strides time with space by default (`ts_conv3d`) are left
    out of the default list: with the temporal stride searched explicitly
    they repeat another op (`conv3d` with stride 2). So are ops that cannot
    change the number of channels (`channelwise3d`): a search's blocks do.

    Example:
    >>> "conv3d" in searchable_ops(), "ts_conv3d" in searchable_ops()
    (True, False)
    """
    if ops is None:
        return tuple(name for name in available_ops()
                     if not get_op(name).strides_time_with_space and get_op(name).changes_channels)
    ops = tuple(ops)
    if not ops:
        raise ValueError("`ops` must name at least one registered op. Received: ops=()")
    for name in ops:
        if not get_op(name).changes_channels:  # get_op: a ValueError naming the op and the registered ones
            raise ValueError(f"`ops` names {name!r}, which gives as many channels as it takes; a search's blocks "
                             f"change widths. Received: ops={ops}")
    return ops


def declare_stages(hp, stages, ops, *, default_op="conv3d", temporal_kernels=TEMPORAL_KERNELS,
                   temporal_strides=TEMPORAL_STRIDES):
    """Declares the temporal design of `stages` on `hp`; returns it per stage.

    Hyperparameters (`s` is a stage name):
        first_temporal_stage: Int 1 ... len(stages) + 1, default 1. Stages
            before it use `conv2d` (per frame); len(stages) + 1: no stage
            mixes time (only the head does).
        {s}_op: Choice of `ops`, default `default_op`; active when the
            stage is at or after `first_temporal_stage`.
        {s}_temporal_kernel: Choice of `temporal_kernels`, default 3;
            active when `{s}_op` has a temporal kernel.
        {s}_temporal_stride: Choice of `temporal_strides`, default 1;
            active when `{s}_op` can stride in time (and the stage strides).

    Args:
        hp: a `keras_tuner.HyperParameters`.
        stages: a sequence of `Stage`.
        ops: the op names a stage may take (`searchable_ops()`).
        default_op: the op of the default point.
        temporal_kernels, temporal_strides: the values searched.

    Returns:
        `(ops, temporal kernels, temporal strides)`, one entry per stage;
        a kernel is `None` and a stride 1 where the op has none.

    Example:
    >>> import keras_tuner
    >>> declare_stages(keras_tuner.HyperParameters(), [Stage("res1"), Stage("res2")], ("conv2d", "conv3d"))
    (['conv3d', 'conv3d'], [3, 3], [1, 1])
    """
    if default_op not in ops:
        raise ValueError(f"`default_op` must be one of the searched ops {ops}. Received: default_op={default_op!r}")
    with_kernel = [name for name in ops if get_op(name).temporal_kernel]
    with_stride = [name for name in ops if get_op(name).temporal_stride]
    first = hp.Int("first_temporal_stage", 1, len(stages) + 1, default=1)
    design = ([], [], [])
    for index, stage in enumerate(stages, start=1):
        op, kernel, stride = PER_FRAME_OP, None, 1
        # The stage's op is searched when the first temporal stage is this one or an earlier one.
        with hp.conditional_scope("first_temporal_stage", list(range(1, index + 1))):
            chosen = hp.Choice(f"{stage.name}_op", list(ops), default=default_op)
            if stage.temporal_kernel and with_kernel:
                with hp.conditional_scope(f"{stage.name}_op", with_kernel):
                    kernel = hp.Choice(f"{stage.name}_temporal_kernel", list(temporal_kernels),
                                       default=temporal_kernels[0])
            if stage.temporal_stride and with_stride:
                with hp.conditional_scope(f"{stage.name}_op", with_stride):
                    stride = hp.Choice(f"{stage.name}_temporal_stride", list(temporal_strides),
                                       default=temporal_strides[0]) or 1
        if index >= first:
            op = chosen
        else:
            kernel, stride = None, 1
        design[0].append(op)
        design[1].append(kernel if get_op(op).temporal_kernel else None)
        design[2].append(stride if get_op(op).temporal_stride else 1)
    return design
