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
        resize: the short side frames are resized to before the crop, or
            `(height, width)` as a checkpoint's recipe gives it (torchvision's
            `(128, 171)`: the pipeline resizes the short side to the smaller
            number, keeping the aspect ratio, which is the same frame for a
            4:3 video); `None`: no resize.
        crop: `(height, width)` of the crop, the model's frame size (an int:
            a square); `None`: the whole frame.
        value_range: `(low, high)` of the pixel values before normalization.
        mean, std: per-channel mean and standard deviation the values are
            normalized with (`(x - mean) / std`), or `None`.
        frame_rate: frames per second the clips of a checkpoint were sampled
            at (a record of its recipe: the pipeline reads frames
            `frame_step` apart whatever the video's rate), or `None`.
        source: where the record comes from (a checkpoint's address), or `None`.
    """

    frames: int = None
    frame_step: int = 1
    sampling: str = "dense"
    resize: object = None
    crop: tuple = None
    value_range: tuple = (0.0, 1.0)
    mean: tuple = None
    std: tuple = None
    frame_rate: float = None
    source: str = None

    def __post_init__(self):
        check_positive_int("frames", self.frames, allow_none=True)
        check_positive_int("frame_step", self.frame_step)
        check_choice("sampling", self.sampling, SAMPLINGS)
        if isinstance(self.resize, (tuple, list)):
            resize = tuple(check_positive_int("resize", r) for r in _pair("resize", self.resize))
            object.__setattr__(self, "resize", resize)
        else:
            check_positive_int("resize", self.resize, allow_none=True)
        crop = (self.crop, self.crop) if isinstance(self.crop, int) and not isinstance(self.crop, bool) else self.crop
        crop = None if crop is None else tuple(check_positive_int("crop", c) for c in _pair("crop", crop))
        object.__setattr__(self, "crop", crop)
        if self.frame_rate is not None and (isinstance(self.frame_rate, bool) or not isinstance(
                self.frame_rate, (int, float)) or self.frame_rate <= 0):
            raise ValueError(f"`frame_rate` must be None or a positive number. Received: "
                             f"frame_rate={self.frame_rate!r}")
        if self.source is not None and not isinstance(self.source, str):
            raise ValueError(f"`source` must be None or a string. Received: source={self.source!r}")
        object.__setattr__(self, "value_range", tuple(float(v) for v in _pair("value_range", self.value_range, False)))
        mean, std = _per_channel("mean", self.mean), _per_channel("std", self.std)
        if (mean is None) != (std is None) or (mean is not None and len(mean) != len(std)):
            raise ValueError(f"`mean` and `std` go together, one number per channel each. Received: mean={mean}, "
                             f"std={std}")
        if std is not None and min(std) <= 0:
            raise ValueError(f"`std` must be positive. Received: std={std}")
        object.__setattr__(self, "mean", mean)
        object.__setattr__(self, "std", std)

    @property
    def short_side(self):
        """The short side the pipeline resizes frames to (`resize`, or the smaller of its pair), or `None`."""
        return min(self.resize) if isinstance(self.resize, tuple) else self.resize

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
        """A `(clips, targets[, ...])` dataset with `normalize` applied to the clips (itself without a mean)."""
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
