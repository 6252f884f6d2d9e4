"""Registry of heads: the part of a model from a backbone's features to a task's outputs.

A head is registered with a spec that declares the features it reads and its
options. Two kinds of features exist: `"clips"`, feature maps over time
`(batch, time, height, width, channels)`, and `"vectors"`, one feature vector
per frame or segment `(batch, time, channels)`. A head that reads vectors
also goes on feature maps: they are averaged over space per frame first (a
layer named `spatial_pool`). The factory is applied to a symbolic feature
tensor inside a functional graph, so a head's layers are nodes of the model
it completes (their names are the head's, optionally prefixed), and any head
can go on any backbone whose features it reads.

Example:
>>> from stkeras.heads import available_heads, build_head
>>> "lstm" in available_heads()
True
>>> build_head("pool", input_shape=(4, 8, 8, 16), task="digit").output.shape
(None, 10)
"""

import dataclasses
import inspect
from typing import Callable

import keras

from stkeras.registry import Registry
from stkeras.tasks import Task
from stkeras.tasks import get_task
from stkeras.validation import check_layer_name
from stkeras.validation import check_positive_int
from stkeras.validation import check_shape
from stkeras.validation import normalize_tuple

# What a head reads: name -> rank of the feature tensor, batch included.
INPUTS = {"clips": 5, "vectors": 3}
STANDARD_ARGUMENTS = ("features", "task", "output_name", "prefix")


@dataclasses.dataclass(frozen=True)
class HeadSpec:
    """One registered head.

    Attributes:
        name: the registry name.
        factory: `factory(features, *, task, output_name, prefix, **options)`
            returning the output tensor; `task` is a `stkeras.tasks.Task`.
        input: what the head reads (`"clips"`: feature maps over time;
            `"vectors"`: a feature vector per frame).
        options: the names of the head's own options.
        description: one line for documentation and the command line.
        reads_class_scores: the head reads one class score per frame
            (TSN): a frame model projects its features to the task's
            units, not to `feature_dim`.
        per_frame: the head outputs at every frame `(B, T, units)`, for
            per-frame targets, not one output per clip.
    """

    name: str
    factory: Callable
    input: str
    options: frozenset
    description: str
    reads_class_scores: bool = False
    per_frame: bool = False

    def accepts(self, rank):
        """Whether the head goes on features of `rank` (batch included)."""
        return rank == INPUTS[self.input] or (self.input == "vectors" and rank == INPUTS["clips"])

    def check_options(self, options, argument="head_options"):
        """Returns `options` as a dict after checking every key is supported."""
        if options is None:
            return {}
        if not isinstance(options, dict):
            raise TypeError(f"`{argument}` must be a dict of options of head {self.name!r}. "
                            f"Received: {argument}={options!r}")
        unknown = sorted(str(k) for k in options if k not in self.options)
        if unknown:
            raise ValueError(
                f"Head {self.name!r} does not support option(s) {', '.join(map(repr, unknown))} "
                f"(received {argument}={options!r}). Its options: {', '.join(sorted(self.options)) or 'none'}."
            )
        return dict(options)

    def apply(self, features, *, task, output_name=None, prefix="", **options):
        """Applies the head to a symbolic feature tensor; returns the outputs."""
        task = get_task(task)
        rank = INPUTS[self.input]
        if not self.accepts(len(features.shape)):
            raise ValueError(
                f"Head {self.name!r} reads {self.input} features of rank {rank} (batch included). "
                f"Received: features of shape {tuple(features.shape)}"
            )
        if len(features.shape) != rank:
            features = spatial_pool(features, prefix)
        return self.factory(
            features, task=task, output_name=output_name or f"{prefix}predictions", prefix=prefix,
            **self.check_options(options, "head_options"),
        )


HEADS = Registry("head")


def spatial_pool(features, prefix=""):
    """Averages every frame's feature map: `(B, T, H, W, C)` -> `(B, T, C)`."""
    return keras.layers.TimeDistributed(keras.layers.GlobalAveragePooling2D(), name=f"{prefix}spatial_pool")(features)


def register_head(name, *, input="clips", options=None, description="", reads_class_scores=False, per_frame=False):
    """Decorator that registers a head factory under `name`.

    Args:
        name: the registry name (must be new).
        input: what the head reads (one of `INPUTS`).
        options: the head's option names; default: the factory's keyword
            parameters beyond `features, task, output_name, prefix`.
        description: one line for documentation.
        reads_class_scores: the head reads a class score per frame (see
            `HeadSpec`).
        per_frame: the head outputs at every frame (see `HeadSpec`).
    """
    if input not in INPUTS:
        raise ValueError(f"Unknown `input`: {input!r}. Allowed values: {', '.join(map(repr, INPUTS))}.")

    def add(factory):
        names = options
        if names is None:
            names = [
                p.name for p in inspect.signature(factory).parameters.values()
                if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name not in STANDARD_ARGUMENTS
            ]
        HEADS.register(name, HeadSpec(name, factory, input, frozenset(names), description, reads_class_scores,
                                      per_frame))
        return factory

    return add


def get_head(name, argument="head"):
    """Returns the `HeadSpec` registered as `name`; raises `ValueError` naming `argument` if none."""
    return HEADS.get(name, argument)


def available_heads():
    """Names of the registered heads, in registration order."""
    return HEADS.names()


def clip_heads():
    """Heads that go on a video backbone's feature maps and give one output per clip.

    Every registered head that accepts `(B, T, H, W, C)` features, reads
    features rather than class scores, and does not output per frame.

    Example:
    >>> "lstm" in clip_heads(), "per_frame" in clip_heads()
    (True, False)
    """
    return tuple(name for name, spec in HEADS.items()
                 if spec.accepts(INPUTS["clips"]) and not spec.reads_class_scores and not spec.per_frame)


def build_head(name, *, input_shape=None, task=None, num_segments=None, feature_dim=None, num_classes=None,
               spatial_size=None, output_name=None, **options):
    """The head alone as a functional `keras.Model` from features to outputs.

    Give the features either as `input_shape` with a `task`, or as Köpüklü et al.
    describes them: `num_segments` frames of `feature_dim` features each
    (`(N, D)`; `(N, h, w, D)` with `spatial_size=(h, w)` for heads that read
    feature maps, `convlstm` and `fcn3d`) and `num_classes` classes.

    Args:
        name: a registered head.
        input_shape: the features without the batch axis, e.g.
            `(time, height, width, channels)` or `(time, channels)`.
        task: a `stkeras.tasks.Task` or a registered task name.
        num_segments: `N`, frames (segments) per clip.
        feature_dim: `D`, features per frame (for a head that reads class
            scores, such as `tsn`, it must equal `num_classes`).
        num_classes: classes of a classification task named `"classes"`.
        spatial_size: `h` or `(h, w)` of the feature maps, for heads that
            read them.
        output_name: name of the output layer (default `"predictions"`).
        **options: the head's options.

    Example:
    >>> build_head("lstm", input_shape=(8, 4, 4, 32), task="speed", layers=1, units=16).count_params()
    3153
    >>> build_head("mlp", num_segments=8, feature_dim=256, num_classes=27).count_params()
    1062939
    """
    spec = get_head(name, "name")
    segment_form = (num_segments, feature_dim, num_classes, spatial_size)
    if input_shape is None and task is None:
        input_shape, task = _segment_features(spec, *segment_form)
    elif any(value is not None for value in segment_form):
        raise ValueError(
            "Give the features either as `input_shape` and `task`, or as `num_segments`, `feature_dim`, "
            f"`num_classes` (and `spatial_size`), not both. Received: input_shape={input_shape!r}, task={task!r}, "
            f"num_segments={num_segments!r}, feature_dim={feature_dim!r}, num_classes={num_classes!r}, "
            f"spatial_size={spatial_size!r}"
        )
    elif input_shape is None or task is None:
        raise ValueError(f"`input_shape` and `task` go together. Received: input_shape={input_shape!r}, task={task!r}")
    check_layer_name("output_name", output_name)
    inputs = keras.Input(shape=check_shape("input_shape", input_shape), name="features")
    outputs = spec.apply(inputs, task=task, output_name=output_name, **options)
    return keras.Model(inputs, outputs, name=f"{name}_head")


def _segment_features(spec, num_segments, feature_dim, num_classes, spatial_size):
    """`(input_shape, task)` of a head on `num_segments` frames of `feature_dim` features."""
    check_positive_int("num_segments", num_segments)
    check_positive_int("feature_dim", feature_dim)
    check_positive_int("num_classes", num_classes, minimum=2)
    task = Task.classification("classes", num_classes)
    if spec.reads_class_scores and feature_dim != num_classes:
        raise ValueError(
            f"Head {spec.name!r} reads one class score per segment: `feature_dim` must equal `num_classes`. "
            f"Received: feature_dim={feature_dim}, num_classes={num_classes}"
        )
    if spec.input == "vectors":
        if spatial_size is not None:
            raise ValueError(f"Head {spec.name!r} reads feature vectors; `spatial_size` is only for heads that read "
                             f"feature maps. Received: spatial_size={spatial_size!r}")
        return (num_segments, feature_dim), task
    if spatial_size is None:
        raise ValueError(f"Head {spec.name!r} reads feature maps: give their `spatial_size` (h or (h, w)). "
                         "Received: spatial_size=None")
    height, width = normalize_tuple(spatial_size, 2, "spatial_size")
    return (num_segments, height, width, feature_dim), task
