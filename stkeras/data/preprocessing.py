"""`Preprocessing`: how a model's clips are made, as data (torchvision's `weights.transforms()` in a record).

A model sees clips made one way: so many frames, so many source frames
apart, resized and cropped to its frame size, values in a range, perhaps
normalized by a mean and a standard deviation per channel. A preset folder
keeps this record beside the weights (`preprocessing.json`), a published
checkpoint declares it (torchvision's Kinetics video ResNets: short side
128, centre 112x112, Kinetics' mean and std), and the data pipeline that
feeds the model applies it: the frames and crop when it reads the videos,
`normalize` on the clips it yields.

Example:
>>> torchvision = Preprocessing(frames=16, frame_step=2, resize=128, crop=(112, 112),
...                             mean=(0.43216, 0.394666, 0.37645), std=(0.22803, 0.22145, 0.216989))
>>> Preprocessing.from_config(torchvision.to_config()) == torchvision
True
"""

import dataclasses

from stkeras.validation import check_choice
from stkeras.validation import check_positive_int

SAMPLINGS = ("dense", "segments")


def _pair(name, value, allow_none=True):
    if value is None and allow_none:
        return None
    if not isinstance(value, (tuple, list)) or len(value) != 2 or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
        raise ValueError(f"`{name}` must be a pair of numbers{' or None' if allow_none else ''}. "
                         f"Received: {name}={value!r}")
    return tuple(value)


def _per_channel(name, value):
    if value is None:
        return None
    if not isinstance(value, (tuple, list)) or not value or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
        raise ValueError(f"`{name}` must be None or one number per channel. Received: {name}={value!r}")
    return tuple(float(v) for v in value)


@dataclasses.dataclass(frozen=True)
class Preprocessing:
    """How the clips a model takes are made.

    Attributes:
        frames: frames per clip (`None`: any number).
        frame_step: source frames between a clip's frames (1: consecutive).
        sampling: `"dense"` (consecutive frames `frame_step` apart) or
            `"segments"` (one frame per segment, TSN).
        resize: the short side frames are resized to before the crop
            (`None`: no resize).
        crop: `(height, width)` of the crop, the model's frame size
            (`None`: the whole frame).
        value_range: `(low, high)` of the pixel values before normalization.
        mean, std: per-channel mean and standard deviation the values are
            normalized with (`(x - mean) / std`), or `None`.
    """

    frames: int = None
    frame_step: int = 1
    sampling: str = "dense"
    resize: int = None
    crop: tuple = None
    value_range: tuple = (0.0, 1.0)
    mean: tuple = None
    std: tuple = None

    def __post_init__(self):
        check_positive_int("frames", self.frames, allow_none=True)
        check_positive_int("frame_step", self.frame_step)
        check_choice("sampling", self.sampling, SAMPLINGS)
        check_positive_int("resize", self.resize, allow_none=True)
        crop = None if self.crop is None else tuple(check_positive_int("crop", c) for c in _pair("crop", self.crop))
        object.__setattr__(self, "crop", crop)
        object.__setattr__(self, "value_range", tuple(float(v) for v in _pair("value_range", self.value_range, False)))
        mean, std = _per_channel("mean", self.mean), _per_channel("std", self.std)
        if (mean is None) != (std is None) or (mean is not None and len(mean) != len(std)):
            raise ValueError(f"`mean` and `std` go together, one number per channel each. Received: mean={mean}, "
                             f"std={std}")
        if std is not None and min(std) <= 0:
            raise ValueError(f"`std` must be positive. Received: std={std}")
        object.__setattr__(self, "mean", mean)
        object.__setattr__(self, "std", std)

    def normalize(self, clips):
        """`(clips - mean) / std` over the last axis (the channels); the clips themselves without a mean.

        Example:
        >>> import numpy as np
        >>> Preprocessing(mean=(0.5,), std=(0.25,)).normalize(np.ones((1, 2, 2, 2, 1), "float32"))[0, 0, 0, 0]
        array([2.], dtype=float32)
        """
        if self.mean is None:
            return clips
        import numpy as np

        mean = np.asarray(self.mean, "float32")
        std = np.asarray(self.std, "float32")
        return (clips - mean) / std

    def normalized(self, dataset):
        """A `(clips, targets[, ...])` dataset with `normalize` applied to the clips (the dataset itself without a mean)."""
        if self.mean is None:
            return dataset
        return dataset.map(lambda clips, *rest: (self.normalize(clips), *rest))

    def replace(self, **changes):
        """A copy with `changes` (e.g. `frames=8`)."""
        return dataclasses.replace(self, **changes)

    def to_config(self):
        """The record as a JSON-able dict."""
        return {key: list(value) if isinstance(value, tuple) else value
                for key, value in dataclasses.asdict(self).items()}

    @classmethod
    def from_config(cls, config):
        """The record of `to_config`'s dict; unknown keys are refused."""
        fields = {field.name for field in dataclasses.fields(cls)}
        unknown = sorted(set(config) - fields)
        if unknown:
            raise ValueError(f"Unknown preprocessing setting(s) {', '.join(map(repr, unknown))}. Allowed: "
                             f"{', '.join(sorted(fields))}.")
        return cls(**{key: tuple(value) if isinstance(value, list) else value for key, value in config.items()})
