"""RandAugment of clips with Keras' layer: one draw of ops and magnitudes per clip, the same on every frame.

Keras' `RandAugment` draws its ops once per call and each op's magnitude
once per image. `ClipRandAugment` draws a transformation for one frame of a
clip (`get_random_transformation`), repeats its per-image parameters for
every frame, and transforms the clip's frames as one batch: every frame
gets the same ops with the same magnitudes. Keras' layer computes each of
its eleven ops at every op it applies and keeps the drawn one; here only the
drawn op is computed (`tf.switch_case` over the same sub-layers), with the
same result. It runs inside `tf.data` on any Keras backend (under JAX,
Keras' `Equalization` builds a histogram of 256 unrolled steps there, which
makes the pipeline's first trace take seconds).

Example:
>>> import numpy as np, tensorflow as tf
>>> augment = ClipRandAugment(num_ops=2, magnitude=0.7, seed=0)
>>> frame = np.random.rand(1, 16, 16, 3).astype("float32")
>>> clip = tf.constant(np.repeat(frame, 4, axis=0))[None]  # a clip of 4 equal frames
>>> out = augment(clip).numpy()
>>> out.shape, bool(np.all(out[0] == out[0, :1]))  # its frames are still equal
((1, 4, 16, 16, 3), True)
"""

import keras
import tensorflow as tf

from stkeras.validation import check_number
from stkeras.validation import check_positive_int
from stkeras.validation import check_seed


@tf.autograph.experimental.do_not_convert
def _repeat_per_frame(transformation, frames):
    """The transformation of one image with each per-image parameter (leading axis 1) repeated `frames` times.

    Keras' transformations also carry the batch's shape (`input_shape`, a
    tuple) and size (`batch_size`): those become the clip's.
    """
    if isinstance(transformation, dict):
        return {key: frames if key == "batch_size" else _repeat_per_frame(value, frames)
                for key, value in transformation.items()}
    if isinstance(transformation, (tuple, list)):  # an input shape: (1, height, width, channels)
        return type(transformation)(frames if i == 0 else v for i, v in enumerate(transformation))
    if getattr(transformation, "shape", None) is None or len(transformation.shape) == 0 \
            or transformation.shape[0] != 1:
        return transformation
    return tf.repeat(transformation, frames, axis=0)


class ClipRandAugment:
    """Keras' `RandAugment` with one draw per clip.

    Args:
        num_ops: ops applied to each clip, in turn (RandAugment's N).
        magnitude: the ops' strength in [0, 1] (Keras' `factor`; timm's
            magnitude m out of 10 is m / 10).
        value_range: `(low, high)` of the clips' values.
        seed: seed of the draws.

    Call arguments:
        clips: `(batch, frames, height, width, 3)`.
    """

    def __init__(self, *, num_ops=2, magnitude=0.5, value_range=(0.0, 1.0), seed=None):
        self.num_ops = check_positive_int("num_ops", num_ops)
        self.magnitude = check_number("magnitude", magnitude, minimum=0, maximum=1)
        self.layer = keras.layers.RandAugment(value_range=value_range, num_ops=self.num_ops, factor=self.magnitude,
                                              seed=check_seed("seed", seed))

    def transformation(self, clip):
        """A draw for one clip `(frames, h, w, 3)`: Keras' transformation of its first frame, repeated per frame."""
        if not self.layer.built:
            self.layer.build(clip.shape)
        drawn = self.layer.get_random_transformation(clip[:1], training=True)
        return _repeat_per_frame(drawn, tf.shape(clip)[0])

    def transform(self, clip, transformation):
        """The clip's frames transformed by `transformation`'s ops, in turn, each computed only when drawn.

        One `tf.switch_case` over Keras' sub-layers in a `tf.while_loop`
        over the ops: each sub-layer is traced once, whatever `num_ops`.
        """
        transforms = transformation["transforms"]  # Keras' ops in the order its `layer_idxes` index
        indexes = tf.cast(transformation["layer_idxes"], tf.int32)

        def apply(i, images):
            branches = [lambda name=name: tf.cast(getattr(self.layer, name).transform_images(images, transforms[name]),
                                                  images.dtype) for name in transforms]
            return i + 1, tf.ensure_shape(tf.switch_case(indexes[i], branches), images.shape)

        images = tf.cast(clip, self.layer.compute_dtype)
        return tf.while_loop(lambda i, _: i < self.num_ops, apply, (tf.constant(0), images))[1]

    def augment_clip(self, clip):
        """One clip `(frames, h, w, 3)` with one draw."""
        return self.transform(clip, self.transformation(clip))

    def __call__(self, clips):
        if clips.shape[-1] != 3:
            raise ValueError(f"RandAugment's colour ops need RGB clips (3 channels). Received clips of shape "
                             f"{tuple(clips.shape)}")
        return tf.map_fn(self.augment_clip, clips, fn_output_signature=tf.TensorSpec(clips.shape[1:], tf.float32))


def randaugment_clips(dataset, augment):
    """A dataset of `(clips, targets[, ...])` batches with `augment` (a `ClipRandAugment`) applied to the clips.

    Example:
    >>> import numpy as np, tensorflow as tf
    >>> batches = tf.data.Dataset.from_tensors((np.zeros((2, 4, 8, 8, 3), "float32"), np.arange(2)))
    >>> tuple(next(iter(randaugment_clips(batches, ClipRandAugment(seed=0))))[0].shape)
    (2, 4, 8, 8, 3)
    """
    return dataset.map(lambda clips, *rest: (augment(clips), *rest))
