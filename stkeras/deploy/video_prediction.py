"""Predicting over whole videos: sliding windows (or a step model, frame by frame), per-window and per-frame scores."""

import csv
import dataclasses
import json
import os

import numpy as np

from stkeras.data.video_decode import VIDEO_EXTENSIONS
from stkeras.data.video_decode import decode_frames
from stkeras.data.video_decode import is_video_source
from stkeras.data.video_files import list_videos
from stkeras.data.video_index import index_video
from stkeras.deploy.deployable import deployable_model
from stkeras.deploy.frame_preprocessing import preprocessing_config
from stkeras.deploy.streaming import StreamingModel
from stkeras.deploy.streaming import to_streaming
from stkeras.validation import check_bool
from stkeras.validation import check_positive_int

# Frames decoded at once by a step model (it reads them one by one).
STREAM_CHUNK = 64


@dataclasses.dataclass
class VideoPrediction:
    """A model's scores over one whole video.

    Attributes:
        video: the video file or frame folder.
        num_frames: frames in the video.
        fps: its frame rate (`None` for a frame folder).
        window: frames per window (the model's clip).
        frame_step: source frames between a window's frames.
        stride: source frames between the starts of two windows.
        mode: `"windows"` (the clip model on each window) or `"stream"`
            (the step model frame by frame, its state reset at each window).
        window_starts, window_ends: first and last source frame of each window.
        window_scores: `(windows, units)` the model's outputs on each window
            (in `"stream"` mode: at each window's last frame).
        frame_scores: `(num_frames, units)`: per-frame outputs where the
            model has them (averaged over the windows holding a frame),
            else the mean of the scores of the windows covering the frame;
            in `"stream"` mode the step model's output at each frame.
        scores: `(units,)` the video's scores, the mean of `window_scores`.
        class_names: the classes' names, or `None`.
        classification: whether the model classifies (its task's kind;
            `None`: several outputs or class names mean a classifier).
    """

    video: str
    num_frames: int
    fps: float
    window: int
    frame_step: int
    stride: int
    mode: str
    window_starts: np.ndarray
    window_ends: np.ndarray
    window_scores: np.ndarray
    frame_scores: np.ndarray
    scores: np.ndarray
    class_names: list = None
    classification: bool = None

    @property
    def is_classification(self):
        """Whether the scores are class probabilities: the model's task says, else several units or named classes."""
        if self.classification is not None:
            return self.classification
        return self.class_names is not None or self.scores.shape[-1] > 1

    @property
    def label(self):
        """The predicted class's name (its index as text without names), or `None` for a regression."""
        if not self.is_classification:
            return None
        index = int(np.argmax(self.scores))
        return self.class_names[index] if self.class_names is not None else str(index)

    def _names(self):
        if not self.is_classification:
            return ["value"]
        return list(self.class_names) if self.class_names is not None else [str(i) for i in range(len(self.scores))]

    def _seconds(self, frame):
        return None if not self.fps else round(float(frame) / self.fps, 4)

    def to_json(self, path):
        """Writes the prediction, its windows and the settings as JSON; returns `path`."""
        prediction = {"label": self.label, "score": float(np.max(self.scores))} if self.is_classification else {
            "value": float(self.scores[0])}
        record = {
            "video": self.video, "num_frames": self.num_frames, "fps": self.fps, "mode": self.mode,
            "window": self.window, "frame_step": self.frame_step, "stride": self.stride, "outputs": self._names(),
            "prediction": prediction, "scores": [float(v) for v in self.scores],
            "windows": [{"start_frame": int(s), "end_frame": int(e), "start_seconds": self._seconds(s),
                         "end_seconds": self._seconds(e), "scores": [float(v) for v in row]}
                        for s, e, row in zip(self.window_starts, self.window_ends, self.window_scores)],
        }
        with open(path, "w") as file:
            json.dump(record, file, indent=1)
        return path

    def to_csv(self, windows_path, frames_path=None):
        """Writes per-window scores (and, with `frames_path`, per-frame scores) as CSV; returns the paths."""
        names = self._names()
        with open(windows_path, "w", newline="") as file:
            writer = csv.writer(file)
            writer.writerow(["window", "start_frame", "end_frame", "start_seconds", "end_seconds", *names])
            for i, (start, end, row) in enumerate(zip(self.window_starts, self.window_ends, self.window_scores)):
                writer.writerow([i, int(start), int(end), self._seconds(start), self._seconds(end),
                                 *[f"{v:.6g}" for v in row]])
        if frames_path is None:
            return (windows_path,)
        with open(frames_path, "w", newline="") as file:
            writer = csv.writer(file)
            writer.writerow(["frame", "seconds", *names])
            for frame, row in enumerate(self.frame_scores):
                writer.writerow([frame, self._seconds(frame), *["" if np.isnan(v) else f"{v:.6g}" for v in row]])
        return windows_path, frames_path

    def plot_timeline(self, path, top=3):
        """Writes the timeline of the top classes' per-frame scores (PNG); returns `path`."""
        from stkeras.viz.timeline import plot_timeline

        title = os.path.basename(os.path.normpath(self.video)) + (
            f": {self.label} ({float(np.max(self.scores)):.2f})" if self.is_classification
            else f": {float(self.scores[0]):.3g}")
        return plot_timeline(self.frame_scores, path, class_names=self.class_names, fps=self.fps, top=top,
                             title=title)

    def save(self, directory, top=3, stem=None):
        """Writes `<video>.json`, `<video>.windows.csv`, `<video>.frames.csv` and `<video>.timeline.png` to `directory`.

        Args:
            directory: the folder (created).
            top: classes drawn in the timeline.
            stem: the files' name (default: the video's name without its extension).

        Returns:
            the paths written.
        """
        os.makedirs(directory, exist_ok=True)
        stem = os.path.join(directory, stem or _stem(self.video))
        written = [self.to_json(f"{stem}.json")]
        written += list(self.to_csv(f"{stem}.windows.csv", f"{stem}.frames.csv"))
        written.append(self.plot_timeline(f"{stem}.timeline.png", top=top))
        return written


def _stem(video):
    name = os.path.basename(os.path.normpath(video))
    return os.path.splitext(name)[0] if not os.path.isdir(video) else name


def window_starts(num_frames, span, stride):
    """First frames of windows of `span` frames every `stride` frames, the last ending at the last frame.

    A video shorter than a window has one window at frame 0 (its last frame repeated).

    Example:
    >>> window_starts(100, 16, 8).tolist()[-3:]
    [72, 80, 84]
    """
    if num_frames <= span:
        return np.zeros(1, np.int64)
    starts = list(range(0, num_frames - span + 1, stride))
    if starts[-1] != num_frames - span:
        starts.append(num_frames - span)
    return np.asarray(starts, np.int64)


def check_settings(clip_model, preprocessing, window, stride, frame_step, batch_size):
    """`(window, frame_step, span, stride)` of a prediction, each checked against the model (see `predict_video`)."""
    config = preprocessing_config(preprocessing)
    frames = clip_model.inputs[0].shape[1]
    window = check_positive_int("window", window, allow_none=True) or frames or config.get("frames")
    if window is None:
        raise ValueError(f"Model {clip_model.name!r} takes any number of frames: give `window`, the frames per clip.")
    if frames is not None and window != frames:
        raise ValueError(f"Model {clip_model.name!r} takes clips of {frames} frames. Received: window={window}")
    frame_step = check_positive_int("frame_step", frame_step, allow_none=True) or config.get("frame_step") or 1
    span = (window - 1) * frame_step + 1
    stride = check_positive_int("stride", stride, allow_none=True) or max(1, span // 2)
    check_positive_int("batch_size", batch_size)
    return window, frame_step, span, stride


def _progress(total, description, enabled):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=description, unit="window", disable=not enabled, leave=False)


def predict_video(model, path, *, window=None, stride=None, frame_step=None, batch_size=8, preprocessing=None,
                  class_names=None, stream=False, progress=True):
    """Scores a whole video with a clip model over sliding windows, or frame by frame with its step model.

    The video is read with the frame-exact reader (`decode_frames`) a batch
    of windows at a time, never whole; the frames go through the model's
    preprocessing (`FramePreprocessing`, the same computation an exported
    artifact holds).

    Args:
        model: a clip model (for `stream=True`, a causal one, or a `StreamingModel`).
        path: a video file or frame folder.
        window: frames per window (default: the model's frames, else the
            preprocessing's `frames`). With `stream=True`: the frames after
            which the step model's state is reset (its window scores then
            equal the clip model's on consecutive windows).
        stride: source frames between window starts (default: half a
            window); with `stream=True` windows follow each other.
        frame_step: source frames between a window's frames (default: the
            preprocessing's `frame_step`, else 1).
        batch_size: windows per model call.
        preprocessing: the model's preprocessing (a dict or a record with
            `to_config()`: `value_range`, `mean`, `std`, `resize`, `frames`,
            `frame_step`); default: the model's own (`model.preprocessing`,
            which a preset folder's model carries).
        class_names: the names of the model's classes.
        stream: run the step model (`to_streaming`) frame by frame.
        progress: show a progress bar.

    Returns:
        a `VideoPrediction` (`save(directory)` writes the CSV, JSON and timeline).

    Example:
    >>> prediction = predict_video(model, "match.mp4", class_names=names)  # doctest: +SKIP
    >>> prediction.label, prediction.save("predictions")  # doctest: +SKIP
    """
    stream = check_bool("stream", stream)
    clip_model = model.clip_model if isinstance(model, StreamingModel) else model
    if preprocessing is None:
        preprocessing = getattr(clip_model, "preprocessing", None)
    window, frame_step, span, stride = check_settings(clip_model, preprocessing, window, stride, frame_step,
                                                      batch_size)
    path = os.fspath(path)
    index = index_video(path)
    size = index.display_size()
    if class_names is not None:
        class_names = [str(name) for name in class_names]
    task = getattr(clip_model, "task", None)
    classification = None if task is None else task.kind == "classification"
    if stream:
        step = model if isinstance(model, StreamingModel) else to_streaming(model)
        prediction = _stream(step, path, index, size, window, frame_step, preprocessing, class_names, progress)
        prediction.classification = classification
        return prediction
    deployed = deployable_model(clip_model, preprocessing=preprocessing, frame_size=size, frames=window)
    num_frames = index.num_frames
    starts = window_starts(num_frames, span, stride)
    offsets = np.arange(window) * frame_step
    window_scores, sums, counts = [], None, np.zeros(num_frames)
    with _progress(len(starts), os.path.basename(path), progress) as bar:
        for first in range(0, len(starts), batch_size):
            batch = starts[first:first + batch_size]
            wanted = np.minimum(batch[:, None] + offsets, num_frames - 1)
            unique = np.unique(wanted)
            frames = decode_frames(path, unique, index=index)
            clips = frames[np.searchsorted(unique, wanted)]
            if len(clips) < batch_size:  # one batch shape: the model is traced once
                clips = np.concatenate([clips, np.repeat(clips[-1:], batch_size - len(clips), axis=0)])
            outputs = np.asarray(_first(deployed.predict_on_batch(clips)), np.float64)[:len(batch)]
            if sums is None:
                sums = np.zeros((num_frames, outputs.shape[-1]))
            if outputs.ndim == 3:  # per-frame outputs: each one covers its frame_step source frames
                for clip, positions in zip(outputs, wanted):
                    for score, position in zip(clip, positions):
                        end = min(position + frame_step, num_frames)
                        sums[position:end] += score
                        counts[position:end] += 1
                window_scores.extend(outputs.mean(axis=1))
            else:
                for score, start in zip(outputs, batch):
                    end = min(start + span, num_frames)
                    sums[start:end] += score
                    counts[start:end] += 1
                window_scores.extend(outputs)
            bar.update(len(batch))
    window_scores = np.asarray(window_scores)
    with np.errstate(invalid="ignore"):
        frame_scores = sums / counts[:, None]
    return VideoPrediction(path, num_frames, index.fps, window, frame_step, stride, "windows", starts,
                           np.minimum(starts + span - 1, num_frames - 1), window_scores, frame_scores,
                           window_scores.mean(axis=0), class_names, classification)


def _first(outputs):
    return outputs[0] if isinstance(outputs, (list, tuple)) else outputs


def _stream(step, path, index, size, window, frame_step, preprocessing, class_names, progress):
    """The step model over every `frame_step`-th frame, its state reset every `window` frames."""
    deployed = deployable_model(step, preprocessing=preprocessing, frame_size=size)
    num_frames = index.num_frames
    positions = np.arange(0, num_frames, frame_step)
    initial = step.initial_state(1)
    frame_scores, window_scores, starts, ends = None, [], [], []
    states = initial
    with _progress(len(positions), os.path.basename(path), progress) as bar:
        for first in range(0, len(positions), STREAM_CHUNK):
            chunk = positions[first:first + STREAM_CHUNK]
            frames = decode_frames(path, chunk, index=index)
            for k, (position, frame) in enumerate(zip(chunk, frames), start=first):
                if k % window == 0:
                    states = initial
                    starts.append(position)
                results = deployed.predict_on_batch([frame[None], *states])
                scores = np.asarray(results[0][0], np.float64)
                states = results[step.num_outputs:]
                if frame_scores is None:
                    frame_scores = np.full((num_frames, scores.shape[-1]), np.nan)
                frame_scores[position:min(position + frame_step, num_frames)] = scores
                if k % window == window - 1 or k == len(positions) - 1:
                    window_scores.append(scores)
                    ends.append(position)
                bar.update(1)
    window_scores = np.asarray(window_scores)
    return VideoPrediction(path, num_frames, index.fps, window, frame_step, window * frame_step, "stream",
                           np.asarray(starts), np.asarray(ends), window_scores, frame_scores,
                           window_scores.mean(axis=0), class_names)


def video_sources(sources):
    """The videos `sources` name, each once: video files, frame folders, and those found in other folders.

    Raises:
        ValueError: naming a source that does not exist, is no video, or is a folder without videos.
    """
    sources = [sources] if isinstance(sources, (str, os.PathLike)) else list(sources)
    videos = []
    for source in map(os.fspath, sources):
        if not os.path.exists(source):
            raise ValueError(f"No such video: {source!r}")
        if os.path.isdir(source) and not is_video_source(source):
            found = list_videos(source)
            if not found:
                raise ValueError(f"No video file or frame folder under {source!r}.")
            videos.extend(found)
        elif os.path.isdir(source) or is_video_source(source):
            videos.append(source)
        else:
            raise ValueError(f"{source!r} is not a video file ({', '.join(VIDEO_EXTENSIONS)}) or a frame folder.")
    unique = {}
    for video in videos:  # a video named twice (alone and in its folder) is read once
        unique.setdefault(os.path.abspath(video), video)
    return list(unique.values())


def predict_videos(model, sources, directory=None, **options):
    """`predict_video` over several videos: files, frame folders, or folders searched for them.

    Args:
        model: as for `predict_video`.
        sources: a path or a list of paths (a folder without frames of its
            own is searched for videos, `list_videos`).
        directory: where each video's results and `summary.csv` (video,
            prediction, score) are written; `None`: nothing is written.
        **options: `predict_video`'s options.

    Returns:
        the `VideoPrediction`s, in the order of the videos.
    """
    videos = video_sources(sources)
    predictions = [predict_video(model, video, **options) for video in videos]
    if directory is not None:
        write_predictions(predictions, directory)
    return predictions


def write_predictions(predictions, directory, top=3):
    """Writes each prediction's files (`VideoPrediction.save`) and `summary.csv` (video, prediction, score).

    Videos of the same name in different folders are written under their path relative to the folders' common
    parent (`walk__v1.json`).
    """
    os.makedirs(directory, exist_ok=True)
    videos = [p.video for p in predictions]
    stems = [_stem(video) for video in videos]
    if len(set(stems)) < len(stems):
        root = os.path.commonpath([os.path.abspath(video) for video in videos])
        stems = [os.path.splitext(os.path.relpath(os.path.abspath(video), root))[0].replace(os.sep, "__")
                 for video in videos]
    for prediction, stem in zip(predictions, stems):
        prediction.save(directory, top=top, stem=stem)
    with open(os.path.join(directory, "summary.csv"), "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["video", "prediction", "score"])
        for p in predictions:
            writer.writerow([p.video, p.label if p.is_classification else "",
                             f"{float(np.max(p.scores)) if p.is_classification else float(p.scores[0]):.6g}"])
