"""Which layer's feature maps an explanation of a video model reads."""

import keras

from stkeras.models.taps import block_names
from stkeras.models.taps import expose_ops


def _output_rank(layer):
    try:
        output = layer.output
    except (AttributeError, ValueError):  # a layer never called in the graph, or called several times
        return None
    return len(output.shape) if hasattr(output, "shape") else None


def spatiotemporal_layers(model):
    """Names of the model's layers whose output is a clip of feature maps `(batch, T, H, W, C)`, in graph order.

    Example:
    >>> from stkeras.models import build_conv3d_lstm
    >>> spatiotemporal_layers(build_conv3d_lstm(input_shape=(8, 32, 32, 1)))[-2:]
    ('res4_3', 'res4_4')
    """
    return tuple(layer.name for layer in model.layers
                 if not isinstance(layer, keras.layers.InputLayer) and _output_rank(layer) == 5)


def feature_layer(model, layer=None):
    """The model to differentiate and the layer whose feature maps Grad-CAM weights.

    tf-keras-vis looks for the last `Conv` layer, which misses ConvLSTM
    blocks, (2+1)D and P3D layers, STDCF blocks and frame backbones wrapped in
    `TimeDistributed`. Every stkeras family ends its backbone in a layer whose
    output is `(batch, T, H, W, C)`: the last such layer is the finest map that
    has seen the most of the clip (`res4_4` of Courtney & Sreenivas 2022's models, the last
    block of a video ResNet or STDCF network, `frame_backbone` of a frame
    model).

    Args:
        model: a functional Keras model over clips.
        layer: `None` (the automatic choice), a layer name (e.g. `"res3_1"`),
            or a block's op as `"res3_1/op"`: the op is not a node of the
            model's graph, so the model is then replaced by a clone in which
            it is (`stkeras.models.expose_ops`, same weights and outputs).

    Returns:
        `(model, layer)`: the model to run (`model` or the clone) and the
        layer in it.

    Example:
    >>> from stkeras.models import build_conv3d_lstm
    >>> model = build_conv3d_lstm(input_shape=(8, 32, 32, 1))
    >>> feature_layer(model)[1].name, feature_layer(model, "res3_1/op")[1].name
    ('res4_4', 'res3_1_op')
    """
    if isinstance(layer, str) and layer.endswith("/op"):
        block = layer[: -len("/op")]
        if block not in block_names(model):
            raise ValueError(f"`layer` {layer!r} names the op of a block the model does not have. Blocks: "
                             f"{', '.join(block_names(model)) or 'none'}.")
        model = expose_ops(model, [block])
        return model, model.get_layer(f"{block}_op")
    candidates = spatiotemporal_layers(model)
    if layer is None:
        if not candidates:
            raise ValueError(f"Model {model.name!r} has no layer whose output is a clip of feature maps "
                             "(batch, frames, height, width, channels) for Grad-CAM to weight.")
        return model, model.get_layer(candidates[-1])
    name = layer.name if isinstance(layer, keras.layers.Layer) else layer
    if not isinstance(name, str) or name not in candidates:
        ops = [f"{b}/op" for b in block_names(model)]
        raise ValueError(f"`layer` must name a layer of {model.name!r} whose output is (batch, frames, height, "
                         f"width, channels), or a block's op. Received: layer={name!r}. Allowed: "
                         f"{', '.join(candidates + tuple(ops)) or 'none'}.")
    return model, model.get_layer(name)
