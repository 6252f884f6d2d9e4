"""Clip augmentation with Keras' preprocessing layers: one random transform per clip, the same on every frame.

Courtney & Sreenivas 2019 (Section 4.1) trains on a random crop of 48-64 pixels around the
mouth resized to 48x48, randomly flipped, rotated by up to 10 degrees and with
the brightness changed by up to 10%. Keras' image layers draw one transform
per image, so `ClipAugmentation` folds a clip's frames into the channels:
each clip is one image to them, and all its frames move together.
"""

import keras
from keras import ops

from stkeras.data.finite import finite_clips
from stkeras.layers.fold_frames import fold_frames
from stkeras.layers.fold_frames import unfold_frames
from stkeras.validation import check_positive_int
from stkeras.validation import check_seed


def _check_range(argument, value, low, high):
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not low <= value <= high:
        raise ValueError(f"`{argument}` must be a number in [{low}, {high}]. Received: {argument}={value!r}")
    return float(value)


@keras.saving.register_keras_serializable(package="stkeras")
class ClipAugmentation(keras.layers.Layer):
    """A random crop resized to `output_size`, flip, rotation and brightness, drawn per clip.

    The crop: a square of `crop_size[0]` to `crop_size[1]` pixels of the
    source frames (a zoom about the centre of a frame shifted by up to half
    the largest margin, reflected at the borders), resized to
    `output_size`. Outside training only the resize is applied: the whole
    frame, as `predict_tta`'s largest crop.

    Args:
        output_size: height and width of the output frames (48 in Courtney & Sreenivas 2019).
        crop_size: `(smallest, largest)` crop in source pixels, e.g.
            `(48, 64)` for 64-pixel frames; `None`: no crop.
        flip: random horizontal flips.
        rotation: largest rotation in degrees, either way (0: none).
        brightness: largest brightness change as a fraction of
            `value_range`, either way (0: none).
        value_range: `(low, high)` of the pixel values.
        seed: seed of the random transforms.

    Call arguments:
        clips: `(batch, frames, height, width, channels)` or one clip
            `(frames, height, width, channels)`.
        training: apply the random transforms (default True: the layer is
            meant for `tf.data`, see `augment_clips`).

    Example:
    >>> import numpy as np
    >>> augment = ClipAugmentation(output_size=48, crop_size=(48, 64), seed=0)
    >>> augment(np.zeros((2, 8, 64, 64, 1), "float32")).shape
    TensorShape([2, 8, 48, 48, 1])

    Reference: Courtney & Sreenivas 2019, Section 4.1.
    """

    def __init__(self, output_size=48, crop_size=None, flip=True, rotation=10.0, brightness=0.1,
                 value_range=(0.0, 1.0), seed=None, **kwargs):
        super().__init__(**kwargs)
        self.output_size = check_positive_int("output_size", output_size)
        if crop_size is not None:
            if (not isinstance(crop_size, (tuple, list)) or len(crop_size) != 2
                    or not all(isinstance(c, int) and not isinstance(c, bool) and c > 0 for c in crop_size)
                    or crop_size[0] > crop_size[1]):
                raise ValueError("`crop_size` must be None or (smallest, largest) positive pixel sizes, smallest "
                                 f"first. Received: crop_size={crop_size!r}")
            crop_size = tuple(crop_size)
        self.crop_size = crop_size
        self.flip = bool(flip)
        self.rotation = _check_range("rotation", rotation, 0, 180)
        self.brightness = _check_range("brightness", brightness, 0, 1)
        if (not isinstance(value_range, (tuple, list)) or len(value_range) != 2
                or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value_range)
                or not value_range[0] < value_range[1]):
            raise ValueError(f"`value_range` must be (low, high) with low < high. "
                             f"Received: value_range={value_range!r}")
        self.value_range = tuple(float(v) for v in value_range)
        self.seed = check_seed("seed", seed)
        self.transforms = []

    def build(self, input_shape):
        if len(input_shape) not in (4, 5):
            raise ValueError("ClipAugmentation expects clips (batch, frames, height, width, channels) or one clip "
                             f"(frames, height, width, channels). Received: input_shape={tuple(input_shape)}")
        height, width = input_shape[-3], input_shape[-2]
        if self.crop_size is not None:
            if height is None or width is None:
                raise ValueError(f"`crop_size` needs frames of known size. Received: input_shape={tuple(input_shape)}")
            if self.crop_size[1] > min(height, width):
                raise ValueError(f"`crop_size`={self.crop_size} is larger than the {height}x{width} frames.")
            # Zooming in by z keeps (1 - z) of the frame about its centre; the
            # shift lets the crop sit anywhere the smallest crop could.
            smallest, largest = (c / min(height, width) for c in self.crop_size)
            margin = (1 - smallest) / 2
            if margin > 0:
                self.transforms.append(keras.layers.RandomTranslation(margin, margin, fill_mode="reflect",
                                                                      seed=self.seed, name="shift"))
                self.transforms.append(keras.layers.RandomZoom((-(1 - smallest), -(1 - largest)),
                                                               fill_mode="reflect", seed=self.seed, name="crop"))
        if self.flip:
            self.transforms.append(keras.layers.RandomFlip("horizontal", seed=self.seed, name="flip"))
        if self.rotation:
            self.transforms.append(keras.layers.RandomRotation(self.rotation / 360, fill_mode="reflect",
                                                               seed=self.seed, name="rotate"))
        if self.brightness:
            self.transforms.append(keras.layers.RandomBrightness(self.brightness, value_range=self.value_range,
                                                                 seed=self.seed, name="brightness"))
        self.resize = keras.layers.Resizing(self.output_size, self.output_size, name="resize")

    def call(self, clips, training=True):
        single = len(clips.shape) == 4
        if single:
            clips = ops.expand_dims(clips, 0)
        images = fold_frames(clips)
        if training:
            for transform in self.transforms:
                images = transform(images, training=True)
        frames = clips.shape[1] if clips.shape[1] is not None else ops.shape(clips)[1]
        out = unfold_frames(self.resize(images), frames, clips.shape[4])
        return out[0] if single else out

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-3]) + (self.output_size, self.output_size, input_shape[-1])

    def get_config(self):
        return {**super().get_config(), "output_size": self.output_size, "crop_size": self.crop_size,
                "flip": self.flip, "rotation": self.rotation, "brightness": self.brightness,
                "value_range": self.value_range, "seed": self.seed}


def augment_clips(dataset, augmentation):
    """`dataset` of `(clips, targets[, ...])` batches with `augmentation` applied to the clips.

    Args:
        dataset: a batched `tf.data.Dataset` (clips with NaN or Inf stop it
            with an error, `stkeras.data.finite_clips`).
        augmentation: a `ClipAugmentation` (or any layer over clip batches).

    Example:
    >>> import numpy as np, tensorflow as tf
    >>> clips = tf.data.Dataset.from_tensor_slices((np.zeros((4, 8, 64, 64, 1), "float32"), np.arange(4))).batch(2)
    >>> batch = next(iter(augment_clips(clips, ClipAugmentation(48, crop_size=(48, 64), seed=0))))
    >>> tuple(batch[0].shape)
    (2, 8, 48, 48, 1)
    """
    return finite_clips(dataset).map(lambda clips, *rest: (augmentation(clips, training=True), *rest))
