"""Reading frames of video files with PyAV: probe a file, decode chosen frames by seeking.

A *video source* is a video file (`.mp4 .avi .mkv .webm .mov`, any codec
FFmpeg decodes) or a frame folder: a directory of JPEG/PNG frames sorted
by name (`stkeras.data.video_folder.list_frames`). Both give the same
results here, so every loader accepts either.

`decode_frames` seeks: it jumps to the keyframe at or before the first
wanted frame and decodes forward from there (and seeks again across a gap
of more than `SEEK_GAP` frames), instead of decoding the video from its
start. A file that cannot be read raises `VideoDecodeError`, a `ValueError`
that names the file and what is wrong with it.
"""

import collections
import fractions
import os

import numpy as np

from stkeras.data.video_folder import FRAME_EXTENSIONS
from stkeras.data.video_folder import list_frames

VIDEO_EXTENSIONS = (".mp4", ".avi", ".mkv", ".webm", ".mov")
SEEK_GAP = 32  # frames: a gap longer than this between wanted frames is crossed by a seek, not by decoding

VideoInfo = collections.namedtuple("VideoInfo", ["num_frames", "fps", "height", "width"])
VideoInfo.__doc__ = "A video's frame count, frame rate (None for a frame folder) and frame size in pixels."


class VideoDecodeError(ValueError):
    """A video file or frame folder that cannot be read; the message names it and says why."""


def is_video_source(path):
    """Whether `path` is a video file (by extension) or a folder holding JPEG/PNG frames.

    Example:
    >>> is_video_source("clip.mp4"), is_video_source("notes.txt")
    (True, False)
    """
    if os.path.isdir(path):
        return any(f.lower().endswith(FRAME_EXTENSIONS) for f in os.listdir(path))
    return path.lower().endswith(VIDEO_EXTENSIONS)


def _open(path):
    import av

    if not os.path.exists(path):
        raise VideoDecodeError(f"Video file {path!r} does not exist.")
    if os.path.getsize(path) == 0:
        raise VideoDecodeError(f"Video file {path!r} is empty (0 bytes).")
    try:
        container = av.open(path)
    except av.FFmpegError as error:
        raise VideoDecodeError(f"Video file {path!r} is corrupt, truncated or not a video container: {error}") from None
    if not container.streams.video:
        container.close()
        raise VideoDecodeError(f"Video file {path!r} has no video stream.")
    stream = container.streams.video[0]
    if stream.codec_context is None or not stream.codec_context.is_decoder:
        tag = getattr(stream, "codec_tag", None)
        container.close()
        raise VideoDecodeError(f"Video file {path!r}: its codec{f' ({tag!r})' if tag else ''} cannot be decoded by "
                               "this FFmpeg build (unknown or unsupported codec).")
    return container, stream


def _frame_index(frame, stream):
    """The frame's index from its timestamp (constant frame rate), or None without one."""
    if frame.pts is None or not stream.average_rate or stream.time_base is None:
        return None
    start = stream.start_time or 0
    return int(round(float((frame.pts - start) * stream.time_base * stream.average_rate)))


def _rgb(frame):
    return frame.to_ndarray(format="rgb24")


def probe_video(path):
    """A video's `VideoInfo(num_frames, fps, height, width)`.

    The frame count comes from the container's header; where the header has
    none (WebM, Matroska), the video packets are counted (no decoding). The
    first frame is decoded, so a file whose codec cannot be decoded fails
    here. A frame folder counts its frames (fps `None`).

    Args:
        path: a video file or a frame folder.

    Raises:
        VideoDecodeError: (a `ValueError`) naming the file: missing, empty,
            corrupt, truncated, without a video stream or frames, or an
            undecodable codec.

    Example:
    >>> probe_video("videos/walk/v_001.mp4")  # doctest: +SKIP
    VideoInfo(num_frames=64, fps=25.0, height=240, width=320)
    """
    import av

    path = os.fspath(path)
    if os.path.isdir(path):
        frames = list_frames(os.path.dirname(path), os.path.basename(path))
        first = _decode_image(frames[0])
        return VideoInfo(len(frames), None, int(first.shape[0]), int(first.shape[1]))
    container, stream = _open(path)
    try:
        with container:
            count = stream.frames
            try:
                first = next(container.decode(stream), None)
                if first is None and count:
                    raise VideoDecodeError(f"Video file {path!r} is truncated or corrupt: its header lists {count} "
                                           "frames, none could be decoded.")
                if first is None:
                    raise VideoDecodeError(f"Video file {path!r} has no video frames (zero-length video).")
                height, width = first.height, first.width
                if not count:
                    container.seek(0)
                    count = sum(1 for packet in container.demux(stream) if packet.size)
            except av.FFmpegError as error:
                raise VideoDecodeError(f"Video file {path!r} could not be decoded "
                                       f"({stream.codec_context.name}): {error}") from None
    except av.FFmpegError as error:  # raised while closing a damaged container
        raise VideoDecodeError(f"Video file {path!r} is corrupt or truncated: {error}") from None
    if count <= 0:
        raise VideoDecodeError(f"Video file {path!r} has no video frames (zero-length video).")
    fps = float(stream.average_rate) if stream.average_rate else None
    return VideoInfo(int(count), fps, int(height), int(width))


def _decode_image(path):
    from stkeras.data.video_folder import decode_frame

    try:
        image = decode_frame(path, 3).numpy()
    except Exception as error:  # TensorFlow's error types for a bad image
        raise VideoDecodeError(f"Frame file {path!r} is corrupt or truncated: "
                               f"{getattr(error, 'message', error)}") from None
    return np.round(image * 255).astype(np.uint8)


def decode_frames(path, indices, *, seek=True):
    """The frames `indices` of a video as uint8 RGB `(len(indices), height, width, 3)`.

    Indices may repeat and come in any order; each distinct frame is decoded
    once. With `seek=True` the decoder jumps to the keyframe before the first
    wanted frame (and again across gaps of more than `SEEK_GAP` frames)
    rather than decoding everything before it; the frames are the same as
    with `seek=False`, which decodes from the start.

    Args:
        path: a video file or a frame folder.
        indices: frame indices (ints in `[0, num_frames)`).
        seek: seek to the wanted frames (`False`: decode from the start).

    Raises:
        VideoDecodeError: naming the file, if it cannot be read or has fewer
            frames than an index asks for (a truncated file).

    Example:
    >>> decode_frames("videos/walk/v_001.mp4", [0, 8, 8, 4]).shape  # doctest: +SKIP
    (4, 240, 320, 3)
    """
    import av

    path = os.fspath(path)
    indices = np.asarray(indices, np.int64).reshape(-1)
    if indices.size and indices.min() < 0:
        raise ValueError(f"`indices` must be >= 0. Received: indices={indices.tolist()!r} for {path!r}")
    wanted = sorted(set(indices.tolist()))
    if os.path.isdir(path):
        frames = list_frames(os.path.dirname(path), os.path.basename(path))
        if wanted and wanted[-1] >= len(frames):
            raise VideoDecodeError(f"Frame folder {path!r} has {len(frames)} frames; frame {wanted[-1]} was asked for.")
        decoded = {i: _decode_image(frames[i]) for i in wanted}
    else:
        container, stream = _open(path)
        decoded = {}
        try:
            with container:
                decoded = _decode_video(container, stream, wanted, seek)
        except av.FFmpegError as error:
            raise VideoDecodeError(f"Video file {path!r} is corrupt or truncated "
                                   f"({stream.codec_context.name}): {error}") from None
        missing = [i for i in wanted if i not in decoded]
        if missing:
            raise VideoDecodeError(f"Video file {path!r} is truncated or corrupt: frame {missing[0]} could not be "
                                   f"decoded ({len(missing)} of the {len(wanted)} frames asked for).")
    if not wanted:
        return np.zeros((0, 0, 0, 3), np.uint8)
    return np.stack([decoded[i] for i in indices.tolist()])


def _decode_video(container, stream, wanted, seek):
    """`{index: rgb frame}` for the sorted distinct `wanted` indices (missing ones are left out)."""
    decoded, k, started = {}, 0, False
    timed = bool(seek and stream.average_rate and stream.time_base)
    while k < len(wanted):
        target = wanted[k]
        if timed and (started or target > SEEK_GAP):
            seconds = fractions.Fraction(target) / stream.average_rate
            container.seek(int(seconds / stream.time_base) + (stream.start_time or 0), stream=stream,
                           backward=True, any_frame=False)
        elif started:
            container.seek(0)
        started, counter, fallback = True, -1, False
        for frame in container.decode(stream):
            counter += 1
            index = _frame_index(frame, stream) if timed else counter
            # Without timestamps, after a seek past the target or across a gap in them, frames are counted
            # from the start instead.
            if timed and (index is None or index > wanted[k]):
                fallback = True
                break
            if index == wanted[k]:
                decoded[index] = _rgb(frame)
                k += 1
            if k == len(wanted) or (timed and wanted[k] > index + SEEK_GAP):
                break
        else:
            break  # the stream ended: the frames left are missing
        if fallback:
            decoded, k, timed = {}, 0, False
    return decoded
