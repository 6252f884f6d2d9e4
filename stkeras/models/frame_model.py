"""Frame models (Köpüklü et al.): a 2D CNN on each sampled frame, a projection, and a spatiotemporal head.

A clip of `N` sampled frames (one per segment, see
`stkeras.data.sample_segments`) goes frame by frame through a 2D backbone.
Its feature maps are then either averaged over space, dropped out (0.3) and
projected to `D` features by a dense layer (heads that read feature
vectors), or kept and projected to `D` channels by a 1x1 convolution (heads
that read feature maps: `convlstm`, `fcn3d`), as Köpüklü et al. does. TSN's frames
are projected to the task's units instead. The head comes from
`stkeras.heads`.

The backbone is stkeras' small 2D CNN (`"small_cnn"`, for the synthetic
tasks), SqueezeNet 1.1 (`"squeezenet1_1"`, Köpüklü et al.'s light
backbone), any `keras.applications` model by name (built with
`include_top=False`; `weights=None` by default since nothing downloads here,
`"imagenet"` or a weights file path are passed on), or a Keras model from
images to feature maps.
"""

import inspect

import keras

from stkeras.heads.registry import get_head
from stkeras.layers.fused_batch_norm import FusedBatchNormalization
from stkeras.models.family import records_build
from stkeras.models.family import register_family
from stkeras.models.squeezenet import build_squeezenet1_1
from stkeras.models.video_model import VideoModel
from stkeras.tasks import resolve_task
from stkeras.validation import check_options
from stkeras.validation import check_path_or_none
from stkeras.validation import check_positive_int
from stkeras.validation import check_rate
from stkeras.validation import normalize_tuple


def build_frame_cnn(*, input_shape, widths=(32, 64, 128), weights=None, name="small_cnn"):
    """stkeras' small 2D CNN for the synthetic tasks: per width, a stride-2 3x3 conv, batch norm, ReLU,
    then a 3x3 conv, batch norm, ReLU.

    Args:
        input_shape: one frame, `(height, width, channels)`.
        widths: channels per stage; each stage halves the resolution.
        weights: `None` or a path of weights saved by `save_weights`.
        name: the model's name.

    Returns:
        a functional `keras.Model` from frames to feature maps of
        `widths[-1]` channels at `1 / 2**len(widths)` of the resolution.

    Example:
    >>> build_frame_cnn(input_shape=(32, 32, 1)).output.shape
    (None, 4, 4, 128)
    """
    shape = normalize_tuple(input_shape, 3, "input_shape")
    if not isinstance(widths, (tuple, list)) or not widths:
        raise ValueError(f"`widths` must be a non-empty list of channel counts. Received: widths={widths!r}")
    for width in widths:
        check_positive_int("widths", width)
    if min(shape[:2]) < 2 ** len(widths):
        raise ValueError(f"`input_shape` {shape} is too small for {len(widths)} stride-2 stages "
                         f"(at least {2 ** len(widths)} pixels). Received: input_shape={input_shape!r}")
    inputs = keras.Input(shape, name="frame")
    x = inputs
    for i, width in enumerate(widths, start=1):
        for j, stride in enumerate((2, 1), start=1):
            x = keras.layers.Conv2D(width, 3, strides=stride, padding="same", use_bias=False,
                                    name=f"stage{i}_conv{j}")(x)
            x = FusedBatchNormalization(name=f"stage{i}_bn{j}")(x)
            x = keras.layers.ReLU(name=f"stage{i}_relu{j}")(x)
    model = keras.Model(inputs, x, name=name)
    if weights is not None:
        model.load_weights(weights)
    return model


# stkeras' own frame backbones: name -> builder taking `input_shape=`, `weights=` and its options.
_OWN_BACKBONES = {"small_cnn": build_frame_cnn, "squeezenet1_1": build_squeezenet1_1}


def frame_backbones():
    """Backbone names `build_frame_model` accepts: `"small_cnn"`, `"squeezenet1_1"` and every
    `keras.applications` model.

    Example:
    >>> frame_backbones()[:2]
    ('small_cnn', 'squeezenet1_1')
    """
    applications = sorted(
        name for name in dir(keras.applications) if name[:1].isupper() and callable(getattr(keras.applications, name))
    )
    return (*_OWN_BACKBONES, *applications)


def _frame_backbone(backbone, frame_shape, weights, options):
    if isinstance(backbone, keras.Model):
        if options:
            raise ValueError(f"`backbone_options` apply to a backbone given by name. Received: "
                             f"backbone_options={options!r}")
        return backbone
    allowed = frame_backbones()
    if backbone not in allowed:
        raise ValueError(f"Unknown `backbone`: {backbone!r}. Allowed values: a keras.Model from images to feature "
                         f"maps, or one of {', '.join(map(repr, allowed))}.")
    builder = _OWN_BACKBONES.get(backbone) or getattr(keras.applications, backbone)
    unknown = sorted(set(options) - set(inspect.signature(builder).parameters) | {"include_top", "input_shape",
                                                                                   "weights"} & set(options))
    if unknown:
        raise ValueError(f"`backbone_options` has argument(s) {', '.join(unknown)} that the {backbone!r} backbone "
                         f"does not take (or stkeras sets). Received: backbone_options={options!r}")
    if backbone in _OWN_BACKBONES:
        if weights == "imagenet":
            raise ValueError(f"No ImageNet weights ship with the {backbone!r} backbone: give None or a weights file "
                             f"path. Received: weights={weights!r}")
        return builder(input_shape=frame_shape, weights=weights, **options)
    return builder(include_top=False, weights=weights, input_shape=frame_shape, **options)


def _clip_shape(input_shape, num_segments):
    """`(num_segments, frame shape)` of a frame or clip `input_shape`."""
    shape = tuple(input_shape) if isinstance(input_shape, (tuple, list)) else input_shape
    if num_segments is None:
        num_segments = shape[0] if isinstance(shape, tuple) and len(shape) == 4 else 8
    check_positive_int("num_segments", num_segments)
    if isinstance(shape, tuple) and len(shape) == 4:
        if shape[0] != num_segments:
            raise ValueError(f"`input_shape` {shape} has {shape[0]} frames but num_segments={num_segments}. "
                             "Give one frame's (height, width, channels) or matching frames.")
        shape = shape[1:]
    return num_segments, normalize_tuple(shape, 3, "input_shape")


@records_build
def build_frame_model_backbone(*, backbone="small_cnn", num_segments=None, input_shape=(32, 32, 1),
                               backbone_weights=None, backbone_options=None, name=None):
    """A 2D backbone applied to each of `num_segments` frames: clips to per-frame feature maps.

    Args: as `build_frame_model`'s, without the projection, the head and
        the output.

    Returns:
        a `VideoModel` over clips `(batch, N, height, width, channels)` to
        feature maps `(batch, N, h, w, c)`, stage `frame_backbone`.

    Example:
    >>> build_frame_model_backbone(num_segments=4).output.shape
    (None, 4, 4, 4, 128)
    """
    num_segments, frame_shape = _clip_shape(input_shape, num_segments)
    check_path_or_none("backbone_weights", backbone_weights, allowed_names=("imagenet",))
    frame_cnn = _frame_backbone(backbone, frame_shape, backbone_weights,
                                check_options("backbone_options", backbone_options))
    if len(frame_cnn.output.shape) != 4:
        raise ValueError(f"The backbone must map a frame to feature maps (h, w, c). Received: a backbone whose "
                         f"output has shape {tuple(frame_cnn.output.shape)}")
    clips = keras.Input((num_segments, *frame_shape), name="clips")
    maps = keras.layers.TimeDistributed(frame_cnn, name="frame_backbone")(clips)
    label = backbone if isinstance(backbone, str) else backbone.name
    return VideoModel(clips, maps, stage_names=("frame_backbone",), name=name or f"{label}_frames")


@records_build
def build_frame_model(*, backbone="small_cnn", head="mlp", num_segments=None, feature_dim=256, num_classes=None,
                      task=None, classifier_activation="softmax", input_shape=(32, 32, 1), dropout=0.3,
                      backbone_weights=None, backbone_options=None, head_options=None, name=None):
    """A 2D backbone applied to each of `num_segments` frames, a projection to `feature_dim`, and a head.

    Args:
        backbone: `"small_cnn"`, `"squeezenet1_1"`, a `keras.applications`
            model name (see `frame_backbones()`), or a `keras.Model` from one
            frame to feature maps `(h, w, c)`.
        head: a registered head (Köpüklü et al.'s: `stkeras.heads.FRAME_HEADS`).
        num_segments: `N`, frames per clip (one per segment); default: the
            frames of a clip `input_shape`, else 8.
        feature_dim: `D`, features per frame after the projection (256).
        num_classes: classes (a classification task named `"classes"`);
            or give `task`.
        task: a `stkeras.tasks.Task` or a registered task name.
        classifier_activation: the classifier's activation with `num_classes`.
        input_shape: one frame `(height, width, channels)`, or the clip
            `(num_segments, height, width, channels)`.
        dropout: rate before the projection of pooled features (0.3).
        backbone_weights: the 2D backbone's weights: `None` (random),
            `"imagenet"` (keras.applications, downloads) or a weights file
            path. (`weights`, as for every family, are the whole model's:
            `from_preset(name, weights=...)`.)
        backbone_options: more arguments of the backbone's builder (e.g.
            `{"alpha": 0.35}` for MobileNetV2, `{"widths": (16, 32)}`,
            `{"simple_bypass": True}` for SqueezeNet 1.1).
        head_options: the head's options.
        name: the model's name (default `"<backbone>_<head>"`).

    Returns:
        a `VideoModel` over clips `(batch, N, height, width, channels)`
        whose stages are `frame_backbone` and `projection`.

    Example:
    >>> model = build_frame_model(head="trn_multiscale", num_segments=4, num_classes=6)
    >>> model.input_shape, model.output_shape
    ((None, 4, 32, 32, 1), (None, 6))
    """
    # ---- arguments
    spec = get_head(head)
    num_segments, frame_shape = _clip_shape(input_shape, num_segments)
    check_positive_int("feature_dim", feature_dim)
    check_rate("dropout", dropout)
    task = resolve_task(num_classes, task, classifier_activation=classifier_activation)
    head_options = check_options("head_options", head_options)

    # ---- functional graph
    frames = build_frame_model_backbone(backbone=backbone, num_segments=num_segments, input_shape=frame_shape,
                                        backbone_weights=backbone_weights, backbone_options=backbone_options)
    units = task.units if spec.reads_class_scores else feature_dim
    maps = frames.output
    if spec.input == "clips":
        x = keras.layers.Dropout(dropout, name="feature_dropout")(maps) if dropout else maps
        features = keras.layers.TimeDistributed(keras.layers.Conv2D(units, 1), name="projection")(x)
    else:
        x = keras.layers.TimeDistributed(keras.layers.GlobalAveragePooling2D(), name="frame_pool")(maps)
        x = keras.layers.Dropout(dropout, name="feature_dropout")(x) if dropout else x
        features = keras.layers.Dense(units, name="projection")(x)
    outputs = spec.apply(features, task=task, **(head_options or {}))
    label = backbone if isinstance(backbone, str) else backbone.name
    return VideoModel(frames.inputs[0], outputs, stage_names=("frame_backbone", "projection"), task=task,
                      name=name or f"{label}_{head}")


register_family("frame_model", backbone=build_frame_model_backbone, builder=build_frame_model, head="mlp",
                paper="Köpüklü et al.")
