"""Build-time checks of clip shapes shared by the model builders."""


def check_input_shape(input_shape, name="input_shape", allow_unknown_size=False):
    """Checks a clip shape `(time, height, width, channels)`; returns a tuple.

    Args:
        input_shape: the shape; time may be None.
        name: the argument's name, quoted in errors.
        allow_unknown_size: height and width may be None too (fully
            convolutional networks).
    """
    try:
        shape = tuple(input_shape)
    except TypeError:
        shape = None
    free = (0, 1, 2) if allow_unknown_size else (0,)
    ok = shape is not None and len(shape) == 4 and all(
        (d is None and i in free) or (isinstance(d, int) and not isinstance(d, bool) and d >= 1)
        for i, d in enumerate(shape)
    )
    if not ok:
        may = "time, height and width may be None" if allow_unknown_size else "time may be None"
        raise ValueError(
            f"`{name}` must be (time, height, width, channels) with positive "
            f"ints ({may}). Received: {name}={input_shape!r}"
        )
    return shape


def check_strides_fit(input_shape, strides, name="input_shape"):
    """Raises `ValueError` if a stride meets fewer pixels or frames than itself.

    Args:
        input_shape: `(time, height, width, channels)`.
        strides: list of `(layer name, temporal stride, spatial stride)`.
    """
    frames, height, width = input_shape[0], input_shape[1], input_shape[2]
    for layer_name, t_stride, s_stride in strides:
        if min(height, width) < s_stride:
            raise ValueError(
                f"{name}={tuple(input_shape)} is too small for the spatial "
                f"strides: {layer_name} (stride {s_stride}) would receive "
                f"{height}x{width} frames. Use a larger height and width."
            )
        if frames is not None and frames < t_stride:
            raise ValueError(
                f"{name}={tuple(input_shape)}: the temporal strides would shrink "
                f"time below one frame: {layer_name} (temporal stride "
                f"{t_stride}) would receive {frames} frame(s). Use more frames "
                f"or fewer temporal strides (`temporal_strides`)."
            )
        height, width = -(-height // s_stride), -(-width // s_stride)
        if frames is not None:
            frames = -(-frames // t_stride)


def check_per_stage(name, value, stages, kind=int, allow_none=False):
    """One value per stage: a single value is repeated; returns a tuple of `stages`.

    Args:
        name: the argument's name, quoted in errors.
        value: a value or a sequence of `stages` values.
        stages: the number of stages.
        kind: the type of each value (`int` values must be >= 1).
        allow_none: whether `None` (the default of the stage) is allowed.

    Example:
    >>> check_per_stage("temporal_strides", 2, 4)
    (2, 2, 2, 2)
    """
    values = tuple(value) if isinstance(value, (list, tuple)) else (value,) * stages
    kinds = kind if isinstance(kind, tuple) else (kind,)
    allowed = " or ".join(f"a {k.__name__}" for k in kinds) + (" >= 1" if kind is int else "")
    allowed += " or None" if allow_none else ""
    if len(values) != stages:
        raise ValueError(f"`{name}` must be {allowed}, or a list of {stages} (one per stage). "
                         f"Received: {name}={value!r}")
    for v in values:
        if v is None and allow_none:
            continue
        if not isinstance(v, kind) or isinstance(v, bool) or (kind is int and v < 1):
            raise ValueError(f"`{name}` must be {allowed}, or a list of {stages} of them (one per stage). "
                             f"Received: {name}={value!r}")
    return values


def check_op_plan(plan):
    """Raises `ValueError` if a block asks its op for what the op's spec does not support.

    Run in a builder's arguments section, so that an impossible design fails
    before any layer is built.

    Args:
        plan: list of `(block name, OpSpec, temporal stride, temporal kernel)`.
    """
    for block, spec, t_stride, t_kernel in plan:
        if t_stride != 1 and not spec.temporal_stride:
            raise ValueError(f"Block {block}: op {spec.name!r} cannot stride in time. Received: temporal_strides "
                             f"{t_stride!r} there. Use an op that can (see `stkeras.blocks.ops_supporting`) or "
                             f"stride 1.")
        try:
            spec.resolve_temporal_kernel(t_kernel)
        except ValueError as error:
            raise ValueError(f"Block {block}: {error}") from None


# Wider than 64x the papers' networks (8,192 channels where they have 128) is past any machine's memory to train.
MAX_WIDTH_MULTIPLIER = 64


def check_width_multiplier(width_multiplier):
    """Checks a channel multiplier (a number in (0, 64]); returns it as a float."""
    if (isinstance(width_multiplier, bool) or not isinstance(width_multiplier, (int, float))
            or not 0 < width_multiplier <= MAX_WIDTH_MULTIPLIER):
        raise ValueError(f"`width_multiplier` must be a number in (0, {MAX_WIDTH_MULTIPLIER}]. Received: "
                         f"width_multiplier={width_multiplier!r}")
    return float(width_multiplier)


def scale_channels(channels, width_multiplier):
    """`channels * width_multiplier`, rounded, at least 1.

    Example:
    >>> scale_channels(64, 0.5), scale_channels(16, 0.01)
    (32, 1)
    """
    return max(1, int(round(channels * width_multiplier)))
