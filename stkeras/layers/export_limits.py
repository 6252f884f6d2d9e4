"""The export protocol: which export formats cannot hold a layer, and why.

`stkeras.deploy.export` asks every layer of a model before converting it, so
that a model a format cannot hold is refused with the layer's name and the
reason rather than with a converter's crash. A layer says it through
`export_limits()`, returning `{format name: reason}` (format names as in
`stkeras.deploy.available_formats()`: `"saved_model"`, `"onnx"`,
`"litert"`, `"openvino"`); Keras' own layers get theirs from `KERAS_LIMITS`.
A layer that says nothing is taken to convert.

Example:
>>> import keras
>>> print(export_limits(keras.layers.Conv3D(4, 3, dilation_rate=2)).get("litert"))
its dilated 3D convolution (dilation_rate=(2, 2, 2)) runs as SpaceToBatchND and BatchToSpaceND over 5-D tensors, which LiteRT's built-in ops do not have
"""

import keras


def dilated_conv3d_limits(dilation_rate):
    """`{format: reason}` of a 3D convolution with `dilation_rate` (nothing without dilation)."""
    if all(d == 1 for d in dilation_rate):
        return {}
    return {"litert": f"its dilated 3D convolution (dilation_rate={tuple(dilation_rate)}) runs as SpaceToBatchND and "
                      "BatchToSpaceND over 5-D tensors, which LiteRT's built-in ops do not have"}


# Keras' own layer types -> a function of the layer returning `{format: reason}`.
KERAS_LIMITS = {
    keras.layers.Conv3D: lambda layer: dilated_conv3d_limits(layer.dilation_rate),
}


def export_limits(layer):
    """`{format name: reason}` for the formats that cannot hold `layer` (its own `export_limits()` first)."""
    if hasattr(layer, "export_limits"):
        return dict(layer.export_limits())
    for cls in type(layer).__mro__:
        if cls in KERAS_LIMITS:
            return KERAS_LIMITS[cls](layer)
    return {}
