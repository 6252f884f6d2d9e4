"""SqueezeNet 1.1, the light frame backbone of Köpüklü et al. (Iandola et al.'s network, torchvision's layout).

Feature layers of torchvision's `squeezenet1_1`: a `3x3` stride-2 convolution
to 64 channels, then Fire modules between three `3x3` stride-2 max poolings
(rounding up, as torchvision's `ceil_mode=True`): fire2-fire3 (squeeze 16,
expand 64 + 64), fire4-fire5 (32, 128 + 128), fire6-fire7 (48, 192 + 192),
fire8-fire9 (64, 256 + 256). Convolutions have biases and ReLU; no batch
norm. A 224x224 frame gives 13x13 feature maps of 512 channels, the
resolution Köpüklü et al. keep for the ConvLSTM and 3D-FCN heads.
"""

import keras

from stkeras.validation import check_bool
from stkeras.validation import check_path_or_none
from stkeras.validation import normalize_tuple

# (name, squeeze, expand 1x1, expand 3x3) per Fire module; "pool" is a 3x3 stride-2 max pooling.
SQUEEZENET1_1 = (
    "pool", ("fire2", 16, 64, 64), ("fire3", 16, 64, 64),
    "pool", ("fire4", 32, 128, 128), ("fire5", 32, 128, 128),
    "pool", ("fire6", 48, 192, 192), ("fire7", 48, 192, 192), ("fire8", 64, 256, 256), ("fire9", 64, 256, 256),
)


def fire_module(x, *, squeeze, expand1x1, expand3x3, bypass=False, name):
    """Iandola et al.'s Fire module: a `1x1` squeeze convolution, then `1x1` and `3x3` expand convolutions
    whose outputs are concatenated, each convolution with a bias and ReLU.

    Args:
        x: a symbolic tensor of images `(batch, height, width, channels)`.
        squeeze: channels of the squeeze convolution.
        expand1x1, expand3x3: channels of the two expand convolutions; the
            output has `expand1x1 + expand3x3`.
        bypass: add the input to the output ("simple bypass"); the input
            must have `expand1x1 + expand3x3` channels.
        name: prefix of the module's layers (`<name>_squeeze`,
            `<name>_expand1x1`, `<name>_expand3x3`, `<name>_concat`,
            `<name>_bypass`).

    Returns:
        the module's output tensor.

    Example:
    >>> images = keras.Input((13, 13, 96))
    >>> fire_module(images, squeeze=16, expand1x1=64, expand3x3=64, name="fire2").shape
    (None, 13, 13, 128)
    """
    conv = dict(activation="relu", kernel_initializer="he_uniform")
    s = keras.layers.Conv2D(squeeze, 1, name=f"{name}_squeeze", **conv)(x)
    e1 = keras.layers.Conv2D(expand1x1, 1, name=f"{name}_expand1x1", **conv)(s)
    e3 = keras.layers.Conv2D(expand3x3, 3, padding="same", name=f"{name}_expand3x3", **conv)(s)
    y = keras.layers.Concatenate(name=f"{name}_concat")([e1, e3])
    if bypass:
        if x.shape[-1] != y.shape[-1]:
            raise ValueError(f"A simple bypass needs the Fire module's input and output channels equal. Received: "
                             f"{x.shape[-1]} input channels and expand1x1 + expand3x3 = {y.shape[-1]} ({name})")
        y = keras.layers.Add(name=f"{name}_bypass")([x, y])
    return y


def _pooled(size):
    """Output size of a 3x3 stride-2 max pooling that rounds up (torchvision's `ceil_mode=True`)."""
    return -(-(size - 3) // 2) + 1


def _ceil_max_pool(x, name):
    """A 3x3 stride-2 max pooling rounding up: zeros padded on the bottom and right, which never win the
    maximum after a ReLU, then a valid pooling."""
    h, w = x.shape[1:3]
    pad = [(_pooled(n) - 1) * 2 + 3 - n for n in (h, w)]
    if any(pad):
        x = keras.layers.ZeroPadding2D(((0, pad[0]), (0, pad[1])), name=f"{name}_pad")(x)
    return keras.layers.MaxPooling2D(3, strides=2, name=name)(x)


def _smallest_frame():
    """The smallest height or width every pooling of SqueezeNet 1.1 has a full window at."""
    size = 3
    while True:
        n = (size - 3) // 2 + 1  # conv1
        ok = True
        for _ in range(3):
            if n < 3:
                ok = False
                break
            n = _pooled(n)
        if ok:
            return size
        size += 1


def build_squeezenet1_1(*, input_shape=(224, 224, 3), simple_bypass=False, weights=None, name="squeezenet1_1"):
    """SqueezeNet 1.1's feature layers (torchvision's `squeezenet1_1().features`): frames to 512-channel maps.

    Args:
        input_shape: one frame, `(height, width, channels)`.
        simple_bypass: residual additions around fire3, fire5, fire7 and
            fire9 (Iandola et al.'s "simple bypass", the variant Köpüklü et
            al. use); no parameters are added.
        weights: `None` (random) or a path of weights saved by `save_weights`.
        name: the model's name.

    Returns:
        a functional `keras.Model` from frames to feature maps of 512
        channels (13x13 for 224x224 frames). With 3 input channels it has
        722,496 parameters, those of torchvision's `squeezenet1_1` without
        its classifier.

    Example:
    >>> model = build_squeezenet1_1(input_shape=(224, 224, 3))
    >>> model.output.shape, model.count_params()
    ((None, 13, 13, 512), 722496)

    Reference: Iandola et al. 2016 (SqueezeNet; version 1.1 of its reference code), the frame backbone of
    Köpüklü et al.
    """
    shape = normalize_tuple(input_shape, 3, "input_shape")
    simple_bypass = check_bool("simple_bypass", simple_bypass)
    check_path_or_none("weights", weights)
    smallest = _smallest_frame()
    if min(shape[:2]) < smallest:
        raise ValueError(f"`input_shape` {shape} is too small for SqueezeNet 1.1's stride-2 convolution and three "
                         f"max poolings (at least {smallest}x{smallest}). Received: input_shape={input_shape!r}")
    inputs = keras.Input(shape, name="frame")
    x = keras.layers.Conv2D(64, 3, strides=2, activation="relu", kernel_initializer="he_uniform", name="conv1")(inputs)
    pools = 0
    for step in SQUEEZENET1_1:
        if step == "pool":
            pools += 1
            x = _ceil_max_pool(x, f"pool{pools}")
            continue
        module, squeeze, expand1x1, expand3x3 = step
        bypass = simple_bypass and x.shape[-1] == expand1x1 + expand3x3
        x = fire_module(x, squeeze=squeeze, expand1x1=expand1x1, expand3x3=expand3x3, bypass=bypass, name=module)
    model = keras.Model(inputs, x, name=name)
    if weights is not None:
        model.load_weights(weights)
    return model
