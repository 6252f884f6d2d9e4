"""State-reset sensitivity (Courtney & Sreenivas 2019, Figure 5): which spatial scales use their ConvLSTMs' memory.

Courtney & Sreenivas reset the internal states of the convolutional LSTMs at
one spatial scale every T frames, with all other layers running normally,
and report the accuracy relative to the unreset network. A scale whose
accuracy holds up when reset every frame does not use its temporal
connections.

Here a scale is the output size (height, width) of a ConvLSTM: every stkeras
`ConvLSTM2D` whose output has that size, the 1x1 ConvLSTMs in the skip path
of type-A sub-blocks included, is reset together. ConvLSTMs are found in the
model's layers and, through the analysis protocol's `paths()`, inside
residual blocks.

Example:
>>> from stkeras.models import ResConvLSTM, build_res_convlstm
>>> model = build_res_convlstm(stages=[ResConvLSTM(1, 1, 4, 8), ResConvLSTM(2, 8, 8, 16)],
...                               input_shape=(4, 16, 16, 1), num_classes=3, lstm_units=8)
>>> [(scale.label, scale.layers) for scale in convlstm_scales(model)]
[('s/2', ('res1_1/op', 'res1_1/projection')), ('s/4', ('res2_1/op', 'res2_1/projection', 'res2_2/op'))]

Reference: Courtney & Sreenivas 2019, Section 5 and Figure 5.
"""

import dataclasses

import keras
import numpy as np

from stkeras.layers.conv_lstm import ConvLSTM2D
from stkeras.validation import check_choice
from stkeras.validation import check_positive_int

METRICS = ("accuracy", "mae")


@dataclasses.dataclass(frozen=True)
class ConvLSTMScale:
    """The ConvLSTMs of a model at one spatial scale.

    Attributes:
        label: `"s/<factor>"` relative to the input frames (`"<h>x<w>"` where
            the input is not a multiple).
        size: the ConvLSTMs' output `(height, width)`.
        layers: their paths in the model (`"res2_1/op"`, `"res2_1/projection"`).
    """

    label: str
    size: tuple
    layers: tuple


@dataclasses.dataclass(frozen=True)
class StateResetSensitivity:
    """What `state_reset_sensitivity` measured.

    Attributes:
        metric: `"accuracy"` or `"mae"`.
        baseline: the metric of the unreset model.
        scales: the `ConvLSTMScale`s analysed, largest first.
        periods: the reset periods (`None`: never reset).
        scores: `{(scale label, period): metric}`.
        clips: clips scored per measurement.
    """

    metric: str
    baseline: float
    scales: tuple
    periods: tuple
    scores: dict
    clips: int

    def relative(self, scale, period):
        """Performance relative to the unreset model: accuracy over the
        baseline's, or the baseline's MAE over this MAE (below 1: worse)."""
        score = self.scores[(scale, period)]
        if self.metric == "mae":
            return self.baseline / score if score > 0 else 1.0
        return score / self.baseline if self.baseline > 0 else float("nan")

    def to_dict(self):
        """JSON-ready: the scales with their layers, and one row per scale and period."""
        return {
            "metric": self.metric,
            "baseline": self.baseline,
            "clips": self.clips,
            "periods": list(self.periods),
            "scales": [{"label": s.label, "size": list(s.size), "layers": list(s.layers)} for s in self.scales],
            "rows": [{"scale": s.label, "period": p, "score": self.scores[(s.label, p)],
                      "relative": self.relative(s.label, p)} for s in self.scales for p in self.periods],
        }

    def format(self):
        """A markdown table: one row per scale, one column per period, relative performance."""
        header = " | ".join("never" if p is None else f"T={p}" for p in self.periods)
        lines = [f"| scale | ConvLSTMs | {header} |", "|---|---|" + "---|" * len(self.periods)]
        for s in self.scales:
            cells = " | ".join(f"{self.relative(s.label, p):.3f}" for p in self.periods)
            lines.append(f"| {s.label} ({s.size[0]}x{s.size[1]}) | {len(s.layers)} | {cells} |")
        return "\n".join(lines) + "\n"


def _spatial(layer, shape):
    """The (height, width) of a ConvLSTM2D output shape."""
    shape = tuple(shape)
    if layer.data_format == "channels_first":
        return tuple(shape[-2:])
    return tuple(shape[-3:-1])


def _convlstms(layer, input_shape, output_shape, path):
    """`(path, layer, (h, w))` of every ConvLSTM2D in `layer`, in call order."""
    if isinstance(layer, ConvLSTM2D):
        yield path, layer, _spatial(layer, output_shape)
    elif isinstance(layer, keras.Model):
        yield from _model_convlstms(layer, prefix=f"{path}/")
    elif hasattr(layer, "paths"):
        seen = set()
        for sub_path in layer.paths(tuple(input_shape)):
            for sub, sub_in, sub_out in sub_path:
                if id(sub) not in seen:
                    seen.add(id(sub))
                    yield from _convlstms(sub, sub_in, sub_out, f"{path}/{sub.name}")


def _model_convlstms(model, prefix=""):
    for layer in model.layers:
        if not isinstance(layer, (ConvLSTM2D, keras.Model)) and not hasattr(layer, "paths"):
            continue  # no ConvLSTM2D the analysis can reach (merges, heads, Keras layers)
        yield from _convlstms(layer, layer.input.shape, layer.output.shape, prefix + layer.name)


def convlstm_scales(model):
    """The spatial scales of a model's stkeras ConvLSTMs, largest first.

    Args:
        model: a functional Keras model over clips (e.g. Courtney & Sreenivas 2019's ResNet
            ConvLSTM, or Courtney & Sreenivas 2022's ConvLSTM model).

    Returns:
        a list of `ConvLSTMScale`.
    """
    if not isinstance(model, keras.Model) or not model.inputs:
        raise TypeError(f"`model` must be a functional Keras model. Received: model={model!r}")
    by_size = {}
    for path, _, size in _model_convlstms(model):
        by_size.setdefault(size, []).append(path)
    if not by_size:
        raise ValueError(
            f"Model {model.name!r} has no stkeras ConvLSTM2D layer (in its layers or in blocks with `paths()`): "
            "there are no states to reset."
        )
    height = model.inputs[0].shape[-3] if len(model.inputs[0].shape) == 5 else None
    scales = []
    for size in sorted(by_size, key=lambda s: (-(s[0] or 0), -(s[1] or 0))):
        if height and size[0] and height % size[0] == 0:
            label = f"s/{height // size[0]}" if height != size[0] else "s"
        else:
            label = f"{size[0]}x{size[1]}"
        scales.append(ConvLSTMScale(label, size, tuple(by_size[size])))
    return scales


def _select_scales(model, scales):
    known = convlstm_scales(model)
    if scales is None:
        return known
    if isinstance(scales, str):
        scales = (scales,)
    labels = [s.label for s in known]
    chosen = []
    for wanted in scales:
        if wanted not in labels:
            raise ValueError(f"Unknown scale {wanted!r} in `scales`. Model {model.name!r} has ConvLSTMs at: "
                             f"{', '.join(labels)}.")
        chosen.append(known[labels.index(wanted)])
    return chosen


def with_state_resets(model, period, scales=None):
    """A copy of `model` whose ConvLSTMs at `scales` reset their states every `period` frames.

    The model is rebuilt from its config and given the same weights; the
    original is left as it is.

    Args:
        model: a functional Keras model with stkeras `ConvLSTM2D` layers.
        period: `None` (never reset) or an int `k >= 1`: the states are
            zeroed before frames k, 2k, ...
        scales: labels from `convlstm_scales(model)` (`"s/4"`), one or a
            list; `None` resets every scale.

    Returns:
        the new model (uncompiled).

    Example:
    >>> from stkeras.models import ResConvLSTM, build_res_convlstm
    >>> model = build_res_convlstm(stages=[ResConvLSTM(1, 1, 4, 8)], input_shape=(4, 8, 8, 1), num_classes=2,
    ...                               lstm_units=4)
    >>> reset = with_state_resets(model, 2, scales="s/2")
    >>> reset.get_layer("res1_1").projection.state_reset_period
    2
    """
    period = check_positive_int("period", period, allow_none=True)
    chosen = {path for scale in _select_scales(model, scales) for path in scale.layers}
    clone = model.__class__.from_config(model.get_config())
    clone.set_weights(model.get_weights())
    for path, layer, _ in _model_convlstms(clone):
        if path in chosen:
            layer.state_reset_period = period
    return clone


def _score(predictions, targets, metric):
    predictions = np.asarray(predictions, "float64")
    targets = np.asarray(targets)
    if metric == "mae":
        return float(np.mean(np.abs(predictions.reshape(len(targets), -1)[:, 0] - targets.reshape(len(targets)))))
    if predictions.ndim == 3:  # per-frame outputs: the clip's class is the mean over frames
        predictions = predictions.mean(axis=1)
    if targets.ndim == predictions.ndim:  # one-hot targets
        targets = targets.argmax(axis=-1)
    return float(np.mean(predictions.argmax(axis=-1) == targets.reshape(len(targets))))


def _arrays(dataset):
    """`(clips, targets)` of a finite dataset of `(clips, targets[, ...])` batches, or of such a tuple."""
    if isinstance(dataset, (tuple, list)) and len(dataset) >= 2:
        return np.asarray(dataset[0]), np.asarray(dataset[1])
    batches = [(np.asarray(b[0]), np.asarray(b[1])) for b in dataset]
    if not batches:
        raise ValueError("`dataset` yielded no batches.")
    return np.concatenate([b[0] for b in batches]), np.concatenate([b[1] for b in batches])


def state_reset_sensitivity(model, dataset, *, periods=(1, 2, 4, 8, 16, None), scales=None, metric="accuracy",
                            batch_size=16, progress=False):
    """Relative performance when one scale's ConvLSTMs are reset every T frames (Courtney & Sreenivas 2019, Figure 5).

    For each scale and period, the model is copied with that scale's
    ConvLSTMs (skip-path ConvLSTMs included) resetting every `period` frames
    and every other layer as it was, and scored on the same clips.

    Args:
        model: a trained functional model with stkeras `ConvLSTM2D` layers,
            or the path of a saved one (loaded with `safe_mode=True`).
        dataset: a finite dataset of `(clips, targets[, info])` batches, or
            a `(clips, targets)` tuple of arrays. Targets: class indices or
            one-hot (`metric="accuracy"`), or numbers (`"mae"`).
        periods: reset periods T (ints >= 1; `None` is the unreset model,
            relative performance 1 by construction).
        scales: scale labels to analyse (default: every scale of
            `convlstm_scales(model)`).
        metric: `"accuracy"` (per-frame outputs are averaged over frames)
            or `"mae"` (the first output column).
        batch_size: clips per prediction batch.
        progress: print one line per measurement.

    Returns:
        a `StateResetSensitivity`; `.relative(scale, period)` is Figure 5's
        value, `.format()` a markdown table.

    Example:
    >>> import numpy as np
    >>> from stkeras.models import ResConvLSTM, build_res_convlstm
    >>> model = build_res_convlstm(stages=[ResConvLSTM(1, 1, 4, 8)], input_shape=(4, 8, 8, 1), num_classes=2,
    ...                               lstm_units=4)
    >>> clips = np.random.default_rng(0).uniform(size=(4, 4, 8, 8, 1)).astype("float32")
    >>> result = state_reset_sensitivity(model, (clips, np.array([0, 1, 0, 1])), periods=(2, None))
    >>> result.relative("s/2", None)
    1.0
    """
    if isinstance(model, (str, bytes)) or hasattr(model, "__fspath__"):
        model = keras.saving.load_model(model, safe_mode=True)
    metric = check_choice("metric", metric, METRICS)
    check_positive_int("batch_size", batch_size)
    if isinstance(periods, (int, type(None))):
        periods = (periods,)
    periods = tuple(check_positive_int("periods", p, allow_none=True) for p in periods)
    if not periods:
        raise ValueError("`periods` must hold at least one period. Received: periods=()")
    chosen = _select_scales(model, scales)
    clips, targets = _arrays(dataset)
    baseline = _score(model.predict(clips, batch_size=batch_size, verbose=0), targets, metric)
    scores = {}
    for scale in chosen:
        for period in periods:
            if period is None:
                scores[(scale.label, None)] = baseline
                continue
            reset = with_state_resets(model, period, scales=scale.label)
            scores[(scale.label, period)] = _score(reset.predict(clips, batch_size=batch_size, verbose=0), targets,
                                                   metric)
            del reset
            if progress:
                print(f"    {scale.label}: reset every {period} frame(s): {metric} {scores[(scale.label, period)]:.3f} "
                      f"(unreset {baseline:.3f})", flush=True)
    return StateResetSensitivity(metric, baseline, tuple(chosen), periods, scores, len(clips))
