"""Atom swapping and freezing on every STDCF (and rank-1) layer of a model."""

import keras

from stkeras.layers.rank1 import Rank1Conv3D
from stkeras.layers.stdcf import STDCFConv3D
from stkeras.validation import check_choice
from stkeras.validation import check_positive_int

_DECOMPOSED = (STDCFConv3D, Rank1Conv3D)


def decomposed_layers(model_or_layer):
    """The STDCF and rank-1 layers in a model or layer, nested ones included."""
    return [l for l in model_or_layer._flatten_layers(include_self=True, recursive=True) if isinstance(l, _DECOMPOSED)]


def regular_conv3d_layers(model_or_layer):
    """The `keras.layers.Conv3D` layers (stkeras' `FrameConv3D` included) whose kernel spans more than one
    position, nested ones included: the filters a regular 3D network dilates under ITSL."""
    return [l for l in model_or_layer._flatten_layers(include_self=True, recursive=True)
            if isinstance(l, keras.layers.Conv3D) and max(l.kernel_size) > 1]


def _dilate_regular(layer, spatial, temporal):
    old = tuple(layer.dilation_rate)
    new = (old[0] if temporal is None or layer.kernel_size[0] == 1 else temporal,
           old[1] if spatial is None or layer.kernel_size[1] == 1 else spatial,
           old[2] if spatial is None or layer.kernel_size[2] == 1 else spatial)
    if max(new) > 1 and max(layer.strides) > 1:
        raise ValueError(f"Layer {layer.name!r} strides by {tuple(layer.strides)}: a strided Conv3D cannot also be "
                         f"dilated (received dilation {new}).")
    layer.dilation_rate = new


def _forget_compiled_functions(model_or_layer):
    # Dilations are read when a function is traced: drop the traced ones.
    for attribute in ("train_function", "test_function", "predict_function"):
        if getattr(model_or_layer, attribute, None) is not None:
            setattr(model_or_layer, attribute, None)


def set_atom_dilation(model_or_layer, spatial=None, temporal=None, regular=False):
    """Sets the spatial and/or temporal dilation of every STDCF and rank-1 layer.

    The weights are untouched; each layer then equals the convolution with
    its dilated kernel (Miao et al. 2021, Section 2.3). Traced functions of a model
    are dropped so that the next `fit`/`predict` uses the new dilation.

    Args:
        model_or_layer: a model or layer.
        spatial, temporal: new dilations (ints >= 1); `None` leaves one as it is.
        regular: also dilate every regular `Conv3D` with a kernel above 1
            along the axis (Miao et al. 2021's Reg.-3D baseline under ITSL); a
            strided one is refused.

    Returns:
        the number of layers changed.

    Example:
    >>> set_atom_dilation(model, spatial=2, temporal=2)  # doctest: +SKIP
    """
    check_positive_int("spatial", spatial, allow_none=True)
    check_positive_int("temporal", temporal, allow_none=True)
    layers = decomposed_layers(model_or_layer)
    for layer in layers:
        if spatial is not None:
            layer.spatial_dilation = spatial
        if temporal is not None:
            layer.temporal_dilation = temporal
    regular_layers = regular_conv3d_layers(model_or_layer) if regular else []
    for layer in regular_layers:
        _dilate_regular(layer, spatial, temporal)
    _forget_compiled_functions(model_or_layer)
    return len(layers) + len(regular_layers)


def _atom_weights(layer, kind):
    """STDCF's atoms of `kind`; rank-1's sub-convolution of `kind` (its kernel, or its atoms and their coefficients)."""
    if isinstance(layer, STDCFConv3D):
        return [getattr(layer, f"{kind}_atoms")]
    if layer.num_spatial_atoms is None:
        return [getattr(layer, f"{kind}_kernel")]
    return [getattr(layer, f"{kind}_atoms"), getattr(layer, f"{kind}_coefficients")]


def freeze_atoms(model_or_layer, kind):
    """Freezes one kind of atom on every STDCF (and rank-1) layer; coefficients stay trainable.

    Args:
        model_or_layer: a model or layer.
        kind: `"spatial"` (STDCF spatial atoms; rank-1's spatial kernel, or
            its spatial atoms and their coefficients), `"temporal"`, or
            `None` to make every atom trainable again.

    Recompile a model after freezing (the optimizer tracks the trainable
    variables it was built with).

    Example:
    >>> freeze_atoms(model, "spatial")  # doctest: +SKIP
    """
    check_choice("kind", kind, ("spatial", "temporal", None))
    layers = decomposed_layers(model_or_layer)
    for layer in layers:
        for part in ("spatial", "temporal"):
            for weight in _atom_weights(layer, part):
                weight.trainable = kind != part
    _forget_compiled_functions(model_or_layer)
    return len(layers)
