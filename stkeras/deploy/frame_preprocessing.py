"""`FramePreprocessing`: uint8 RGB frames as an application has them, made into a model's clips inside the model."""

import keras
import numpy as np
from keras import ops

from stkeras.layers.streaming import StreamingRule
from stkeras.validation import check_choice
from stkeras.validation import check_positive_int
from stkeras.validation import normalize_tuple

# ITU-R BT.601 luma, as `tf.image.rgb_to_grayscale`.
LUMA = (0.2989, 0.587, 0.114)


def _numbers(name, value, allow_none=True):
    if value is None and allow_none:
        return None
    if not isinstance(value, (tuple, list)) or not value or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
        raise ValueError(f"`{name}` must be a list of numbers{' or None' if allow_none else ''}. "
                         f"Received: {name}={value!r}")
    return tuple(float(v) for v in value)


def resized_size(size, short, crop):
    """`(height, width)` a frame of `size` is resized to so that its short side is `short` and `crop` fits.

    The rule of the video pipeline (`stkeras.data.video_files`): scale by the
    largest of `short / min(size)`, `crop_h / h`, `crop_w / w`.

    Example:
    >>> resized_size((240, 320), 128, (112, 112))
    (128, 171)
    """
    height, width = size
    scale = max(short / min(height, width), crop[0] / height, crop[1] / width)
    return max(int(np.ceil(height * scale - 1e-3)), crop[0]), max(int(np.ceil(width * scale - 1e-3)), crop[1])


@keras.saving.register_keras_serializable(package="stkeras")
class FramePreprocessing(keras.layers.Layer):
    """uint8 RGB frames `(batch, frames, height, width, 3)` to a model's clips: the preprocessing inside the model.

    In order: values to `value_range` (`0..255` to `low..high`); frames of
    another size than the model's resized so that the short side is
    `resize` (bilinear, as the video pipeline) and centre-cropped to the
    model's `crop`; RGB to one luma channel for a model of one channel;
    `(x - mean) / std` per channel. Every size is fixed when the layer is
    built, so exported graphs hold plain resize and slice ops.

    Args:
        channels: the model's channels: 3 (RGB) or 1 (luma, ITU-R BT.601).
        value_range: `(low, high)` of the model's pixel values.
        mean, std: per-channel normalization after the range, or `None`.
        crop: `(height, width)` of the model's frames; frames of another
            size are resized and centre-cropped to it. `None`: frames come
            at the model's size.
        resize: the short side frames are resized to before the crop
            (`None`: the smallest resize that fits the crop).

    Call arguments:
        frames: uint8 (or float 0..255) RGB frames `(batch, frames, height, width, 3)`.

    Example:
    >>> frames = np.full((1, 2, 6, 8, 3), 255, np.uint8)
    >>> layer = FramePreprocessing(channels=1, value_range=(0.0, 1.0), crop=(4, 4))
    >>> layer(frames).shape, round(float(layer(frames)[0, 0, 0, 0, 0]), 3)
    (TensorShape([1, 2, 4, 4, 1]), 1.0)
    """

    def __init__(self, channels=3, value_range=(0.0, 1.0), mean=None, std=None, crop=None, resize=None, **kwargs):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        self.channels = check_choice("channels", channels, (1, 3))
        self.value_range = _numbers("value_range", value_range, allow_none=False)
        if len(self.value_range) != 2:
            raise ValueError(f"`value_range` must be (low, high). Received: value_range={value_range!r}")
        self.mean, self.std = _numbers("mean", mean), _numbers("std", std)
        if (self.mean is None) != (self.std is None) or (self.mean is not None and (
                len(self.mean) != self.channels or len(self.std) != self.channels)):
            raise ValueError(f"`mean` and `std` go together, one number per channel ({self.channels}). Received: "
                             f"mean={mean!r}, std={std!r}")
        if self.std is not None and min(self.std) <= 0:
            raise ValueError(f"`std` must be positive. Received: std={std!r}")
        self.crop = None if crop is None else normalize_tuple(crop, 2, "crop")
        self.resize = check_positive_int("resize", resize, allow_none=True)

    def build(self, input_shape):
        if len(input_shape) != 5 or input_shape[-1] != 3:
            raise ValueError(f"FramePreprocessing takes RGB frames (batch, frames, height, width, 3). Received: "
                             f"input_shape={tuple(input_shape)}")
        size = tuple(input_shape[2:4])
        if self.crop is not None and size != self.crop and None in size:
            raise ValueError(f"FramePreprocessing resizes frames to the model's {self.crop}: it needs their size. "
                             f"Received: input_shape={tuple(input_shape)}")
        self.input_size = size

    def _resize_and_crop(self, x):
        if self.crop is None or self.input_size == self.crop:
            return x
        height, width = resized_size(self.input_size, self.resize or min(self.crop), self.crop)
        frames = ops.shape(x)[1]
        images = ops.reshape(x, (-1, *self.input_size, 3))
        if (height, width) != self.input_size:
            images = ops.image.resize(images, (height, width), interpolation="bilinear", antialias=False)
        top, left = (height - self.crop[0]) // 2, (width - self.crop[1]) // 2
        images = images[:, top:top + self.crop[0], left:left + self.crop[1]]
        return ops.reshape(images, (-1, frames, *self.crop, 3))

    def call(self, frames):
        low, high = self.value_range
        x = ops.cast(frames, "float32") * ((high - low) / 255.0) + low
        x = self._resize_and_crop(x)
        if self.channels == 1:
            x = ops.sum(x * ops.convert_to_tensor(LUMA, "float32"), axis=-1, keepdims=True)
        if self.mean is not None:
            x = (x - ops.convert_to_tensor(self.mean, "float32")) / ops.convert_to_tensor(self.std, "float32")
        return x

    def compute_output_shape(self, input_shape):
        size = self.crop if self.crop is not None else tuple(input_shape[2:4])
        return (input_shape[0], input_shape[1], *size, self.channels)

    def compute_output_spec(self, frames):
        return keras.KerasTensor(self.compute_output_shape(frames.shape), dtype="float32")

    def streaming_rule(self):
        """Streaming protocol: every frame on its own."""
        return StreamingRule.per_frame()

    def get_config(self):
        return {**super().get_config(), "channels": self.channels, "value_range": list(self.value_range),
                "mean": None if self.mean is None else list(self.mean),
                "std": None if self.std is None else list(self.std),
                "crop": None if self.crop is None else list(self.crop), "resize": self.resize}

    @classmethod
    def for_model(cls, model, preprocessing=None, name="preprocessing"):
        """The layer that makes `model`'s clips from uint8 RGB frames, following `preprocessing`.

        Args:
            model: a model over clips `(batch, frames, height, width, channels)`.
            preprocessing: the model's preprocessing, a mapping (or an
                object with `to_config()`, such as a preset folder's) with
                any of `value_range`, `mean`, `std`, `resize` (the short side,
                or a `(height, width)` whose smaller side it is); default: the
                model's own (`model.preprocessing`, which a preset folder's
                model carries), else values in `0..1`, no normalization.
        """
        config = preprocessing_config(preprocessing if preprocessing is not None else getattr(
            model, "preprocessing", None))
        shape = tuple(model.inputs[0].shape[1:])
        resize = config.get("resize")
        if isinstance(resize, (list, tuple)):  # a checkpoint's (height, width): the short side is the smaller
            resize = min(resize)
        return cls(channels=shape[-1], value_range=config.get("value_range", (0.0, 1.0)), mean=config.get("mean"),
                   std=config.get("std"), crop=shape[1:3], resize=resize, name=name)


def preprocessing_config(preprocessing):
    """A preprocessing record as a dict: `None`, a mapping, or an object with `to_config()`."""
    if preprocessing is None:
        return {}
    if hasattr(preprocessing, "to_config"):
        preprocessing = preprocessing.to_config()
    if not isinstance(preprocessing, dict):
        raise ValueError(f"`preprocessing` must be a dict of settings (value_range, mean, std, resize, frames, "
                         f"frame_step) or a preprocessing record. Received: preprocessing={preprocessing!r}")
    return dict(preprocessing)
