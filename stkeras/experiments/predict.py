"""`stkeras predict`: a trained model's scores over whole videos, window by window or frame by frame (`--stream`).

Each video (a file, a frame folder, or every video under a folder) is read
a batch of windows at a time with the frame-exact reader and scored with
the model behind its own preprocessing; `--out` gets, per video, the
per-window scores (`.windows.csv`), per-frame scores (`.frames.csv`), the
prediction and windows (`.json`) and a timeline of the top classes
(`.timeline.png`), and `summary.csv` over the videos.

Example:
>>> run_predict(plan_predict(model="runs/ft", videos=["match.mp4"], out="predictions"))  # doctest: +SKIP
"""

import dataclasses
import os

import numpy as np

from stkeras.experiments.deployed_models import load_deployed_model
from stkeras.experiments.report import log


@dataclasses.dataclass
class PredictPlan:
    """What `run_predict` does: the model (or its step model), the videos, the windows."""

    deployed: object
    model: object
    videos: list
    out: str
    options: dict


def plan_predict(*, model, videos, out, weights=None, window=None, stride=None, frame_step=None, batch_size=8,
                 stream=False, top=3, verbose=False):
    """Loads the model, lists the videos and checks the windows (and, with `stream`, that the model is causal).

    Args:
        model: a preset folder (a run folder) or a preset name.
        videos: video files, frame folders, or folders searched for them.
        out: the output folder.
        weights: with a preset name, a checkpoint to load.
        window: frames per window (default: the model's).
        stride: source frames between windows (default: half a window).
        frame_step: source frames between a window's frames (default: the
            model's preprocessing's).
        batch_size: windows per model call.
        stream: run the step model frame by frame, reset every window.
        top: classes drawn in each timeline.
        verbose: show the progress bars' and Keras' output.
    """
    from stkeras.deploy import to_streaming
    from stkeras.deploy.video_prediction import check_settings
    from stkeras.deploy.video_prediction import video_sources

    deployed = load_deployed_model(model, weights)
    check_settings(deployed.model, deployed.preprocessing, window, stride, frame_step, batch_size)
    listed = video_sources(videos)
    step = to_streaming(deployed.model) if stream else deployed.model
    options = dict(window=window, stride=stride, frame_step=frame_step, batch_size=batch_size, stream=stream,
                   preprocessing=deployed.preprocessing, class_names=deployed.class_names, progress=True)
    return PredictPlan(deployed, step, listed, os.fspath(out), dict(options, top=top))


def run_predict(plan):
    """Scores every video and writes their files and `summary.csv`; returns the `VideoPrediction`s."""
    from stkeras.deploy import predict_videos
    from stkeras.deploy.video_prediction import write_predictions

    deployed, options = plan.deployed, dict(plan.options)
    mode = "frame by frame (step model)" if options["stream"] else "over sliding windows"
    log(f"stkeras predict: {deployed.name} on {len(plan.videos)} video(s) {mode}"
        + ("" if deployed.trained else " (a preset name without --weights: random weights)"))
    top = options.pop("top")
    predictions = predict_videos(plan.model, plan.videos, None, **options)
    write_predictions(predictions, plan.out, top=top)
    for prediction in predictions:
        shown = (f"{prediction.label} ({float(np.max(prediction.scores)):.3f})" if prediction.is_classification
                 else f"{float(prediction.scores[0]):.4g}")
        log(f"{prediction.video}: {shown} over {len(prediction.window_starts)} windows of {prediction.window} "
            f"frames")
    log(f"wrote {plan.out}/summary.csv and each video's .json, .windows.csv, .frames.csv and .timeline.png")
    return predictions
