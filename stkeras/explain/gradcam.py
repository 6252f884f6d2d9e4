"""Class-activation maps of video models through tf-keras-vis: `(batch, frames, height, width)` in [0, 1]."""

import contextlib
import warnings

import keras
import numpy as np
import tensorflow as tf
from tf_keras_vis.gradcam import Gradcam
from tf_keras_vis.gradcam_plus_plus import GradcamPlusPlus
from tf_keras_vis.saliency import Saliency
from tf_keras_vis.scorecam import Scorecam
from tf_keras_vis.utils import normalize

from stkeras.backend_support import require_tensorflow
from stkeras.choices import METHODS
from stkeras.choices import WEIGHTINGS
from stkeras.explain.feature_layer import feature_layer
from stkeras.training.data_parallel import refuse_under_data_parallel
from stkeras.validation import check_choice
from stkeras.validation import check_positive_int



class PerFrameGradcam(Gradcam):
    """tf-keras-vis' Grad-CAM with one weight per channel and time step.

    tf-keras-vis averages the gradients over every axis but the channels:
    one weight per channel for the whole clip. Here they are averaged over
    height and width only, so a channel's weight at frame `t` comes from the
    gradients at frame `t` (MMAction2's Grad-CAM for 3D CNNs does the same).
    """

    def _calculate_cam(self, grads, penultimate_output, gradient_modifier, activation_modifier):
        if gradient_modifier is not None:
            grads = gradient_modifier(grads)
        weights = keras.ops.mean(grads, axis=(2, 3), keepdims=True)  # (batch, T, 1, 1, C)
        cam = np.sum(np.multiply(penultimate_output, weights), axis=-1)
        if activation_modifier is not None:
            cam = activation_modifier(cam)
        return cam


@contextlib.contextmanager
def _quiet():
    """Hides what tf-keras-vis' calls print: Score-CAM's `predict` bars, Keras' input-structure warning."""
    interactive = keras.config.is_interactive_logging_enabled()
    keras.config.disable_interactive_logging()
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="The structure of `inputs` doesn't match")
            yield
    finally:
        if interactive:
            keras.config.enable_interactive_logging()


def _check_output(model):
    if len(model.outputs) != 1 or len(model.outputs[0].shape) != 2:
        raise ValueError(f"gradcam explains models with one output of shape (batch, units). Model {model.name!r} "
                         f"has outputs {[tuple(o.shape) for o in model.outputs]}.")


def _score(targets, method):
    """tf-keras-vis' score function: the target class's log-probability, or the regression output."""
    if targets is None:
        return lambda outputs: outputs[:, 0]
    targets = tf.constant(targets)
    if method == "scorecam":
        # Score-CAM weights masks by the softmax of the outputs it gets, so it wants a positive score.
        return lambda outputs: tf.gather(outputs, targets, batch_dims=1)
    # The log-probability: its gradient does not vanish when the softmax saturates.
    return lambda outputs: tf.math.log(tf.gather(outputs, targets, batch_dims=1) + 1e-7)


def _targets(model, clips, target):
    units = model.outputs[0].shape[-1]
    if units == 1:
        return None
    if target is None:
        return np.argmax(model.predict(clips, verbose=0), axis=-1).astype(np.int32)
    target = np.broadcast_to(np.asarray(target), (len(clips),))
    if not np.issubdtype(target.dtype, np.integer) or target.min() < 0 or target.max() >= units:
        raise ValueError(f"`target` must be class indices in [0, {units}). Received: target={target.tolist()!r}")
    return target.astype(np.int32)


def gradcam(model, clips, *, target=None, layer=None, method="gradcam", weighting="global", batch_size=8,
            verbose=False):
    """Where in space and time a model's output comes from: one map per clip.

    The maps are computed by tf-keras-vis (`Gradcam`, `GradcamPlusPlus`,
    `Scorecam`, `Saliency`), on the feature maps of `layer` (the last
    spatiotemporal layer by default, see `feature_layer`), resized to the
    clips' frames, height and width and scaled to [0, 1] per clip.

    `weighting="global"` (tf-keras-vis' Grad-CAM) gives each channel one
    weight for the whole clip: right when a feature means the same at every
    frame (per-frame CNNs, late layers). `"per_frame"` weights each channel
    at each time step by that step's gradients: right for 3D CNNs and
    recurrent layers, whose channels respond to different frames, and when
    the evidence moves or blinks (quadrant-blink clips).

    Args:
        model: a Keras model from clips `(batch, T, H, W, C)` to one output
            `(batch, units)`: class probabilities or a regression value.
        clips: array `(n, T, H, W, C)` (or one clip without `n`).
        target: class index (one for all clips or one per clip); `None`:
            the predicted class. Ignored for regression, whose output is
            explained as it is.
        layer: see `feature_layer` (a layer name, `"block/op"` or `None`).
            Not used by `"saliency"`, which differentiates the input.
        method: `"gradcam"`, `"gradcam++"`, `"scorecam"` or `"saliency"`.
        weighting: `"global"` or `"per_frame"` (Grad-CAM only).
        batch_size: clips per tf-keras-vis call.
        verbose: show a progress bar over the batches.

    Returns:
        float32 array `(n, T, H, W)` in [0, 1].

    Example:
    >>> from stkeras.models import build_conv3d_lstm
    >>> model = build_conv3d_lstm(input_shape=(8, 32, 32, 1))
    >>> gradcam(model, np.random.rand(2, 8, 32, 32, 1).astype("float32"), weighting="per_frame").shape
    (2, 8, 32, 32)
    """
    if keras.distribution.distribution() is not None:
        refuse_under_data_parallel("Grad-CAM")
    require_tensorflow("Grad-CAM")
    check_choice("method", method, METHODS)
    check_choice("weighting", weighting, WEIGHTINGS)
    if weighting == "per_frame" and method != "gradcam":
        raise ValueError(f"weighting='per_frame' is a Grad-CAM weighting; method={method!r} has its own. "
                         "Use method='gradcam' or weighting='global'.")
    check_positive_int("batch_size", batch_size)
    clips = np.asarray(clips, dtype=np.float32)
    if clips.ndim == 4:
        clips = clips[None]
    expected = tuple(model.inputs[0].shape[1:]) if len(model.inputs) == 1 else None
    if expected is None or clips.ndim != 5 or any(e is not None and e != c for e, c in zip(expected, clips.shape[1:])):
        raise ValueError(f"`clips` must be (n,) + the model's clip shape {expected}. Received shape: {clips.shape}")
    _check_output(model)
    targets = _targets(model, clips, target)
    run_model, penultimate = (model, None) if method == "saliency" else feature_layer(model, layer)
    visualizer = {
        "gradcam": PerFrameGradcam if weighting == "per_frame" else Gradcam,
        "gradcam++": GradcamPlusPlus,
        "scorecam": Scorecam,
        "saliency": Saliency,
    }[method](run_model, clone=False)
    progress = keras.utils.Progbar(len(clips), unit_name="clip") if verbose else None
    maps = []
    for start in range(0, len(clips), batch_size):
        batch = clips[start:start + batch_size]
        batch_score = _score(None if targets is None else targets[start:start + batch_size], method)
        with _quiet():
            if method == "saliency":
                cam = visualizer(batch_score, batch, keepdims=False)
            else:
                cam = visualizer(batch_score, batch, penultimate_layer=penultimate,
                                 seek_penultimate_conv_layer=False)
        maps.append(normalize(np.asarray(cam, dtype=np.float32).reshape(batch.shape[:4])))
        if progress is not None:
            progress.add(len(batch))
    return np.clip(np.concatenate(maps), 0.0, 1.0)
