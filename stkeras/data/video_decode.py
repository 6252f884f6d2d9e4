"""Reading frames of video files with PyAV, frame-exact: frame i is the i-th frame decoding from the start gives.

A *video source* is a video file (`.mp4 .avi .mkv .webm .mov .gif`, any
codec FFmpeg decodes) or a frame folder: a directory of JPEG/PNG frames
sorted by name (`stkeras.data.video_folder.list_frames`). Both give the
same results here, so every loader accepts either.

`decode_frames` reads by the file's frame index (`video_index`): it seeks
to the last keyframe at or before the first wanted frame, decodes forward
and identifies each frame by its timestamp; it seeks again only forward,
to a later keyframe, when one lies before the next wanted frame. Where the
decoder's timestamps disagree with the index (or the index has none), it
decodes from the start and counts frames. Every loop is bounded by the
index (or the file's size), so no file makes it loop without end. The
frames are those of `seek=False`, which decodes from the start: the same
frames `ffmpeg -i FILE -f rawvideo -pix_fmt rgb24 -` writes.

The display rotation of a file (phone videos) is applied as FFmpeg does by
default (`rotate=False` leaves the frames as coded). A file that cannot be
read raises `VideoDecodeError`, a `ValueError` that names the file and what
is wrong with it.
"""

import collections
import itertools
import os

import numpy as np

from stkeras.data.video_folder import FRAME_EXTENSIONS
from stkeras.data.video_folder import list_frames
from stkeras.data.video_index import VideoDecodeError  # noqa: F401  (part of this module's API)
from stkeras.data.video_index import VideoIndex
from stkeras.data.video_index import apply_transform
from stkeras.data.video_index import check_frame
from stkeras.data.video_index import check_packet
from stkeras.data.video_index import decode_error
from stkeras.data.video_index import decode_image
from stkeras.data.video_index import index_video
from stkeras.data.video_index import open_video
from stkeras.data.video_index import packet_bound
from stkeras.validation import check_bool
from stkeras.validation import check_choice
from stkeras.validation import normalize_tuple

VIDEO_EXTENSIONS = (".mp4", ".avi", ".mkv", ".webm", ".mov", ".gif")
INTERPOLATIONS = ("bilinear", "area", "bicubic", "point", "fast_bilinear", "lanczos")

VideoInfo = collections.namedtuple("VideoInfo", ["num_frames", "fps", "height", "width"])
VideoInfo.__doc__ = ("A video's frame count, frame rate (None for a frame folder) and frame size in pixels (as "
                     "shown: after the display rotation).")


def is_video_source(path):
    """Whether `path` is a video file (by extension) or a folder holding JPEG/PNG frames.

    Example:
    >>> is_video_source("clip.mp4"), is_video_source("notes.txt")
    (True, False)
    """
    if os.path.isdir(path):
        return any(f.lower().endswith(FRAME_EXTENSIONS) for f in os.listdir(path))
    return path.lower().endswith(VIDEO_EXTENSIONS)


def probe_video(path, *, rotate=True):
    """A video's `VideoInfo(num_frames, fps, height, width)`, from its frame index (`index_video`).

    The frame count is the number of frames decoding the file from its
    start gives, counted from the packets' timestamps without decoding
    (or by decoding, for a file whose timestamps cannot be used). The
    first frames are decoded, so a file whose codec cannot be decoded
    fails here. A frame folder counts its frames (fps `None`).

    Args:
        path: a video file or a frame folder.
        rotate: the size after the file's display rotation (as the frames
            `decode_frames(..., rotate=True)` gives), else as coded.

    Raises:
        VideoDecodeError: (a `ValueError`) naming the file: missing, empty,
            corrupt, truncated, without a video stream or frames, or an
            undecodable codec.

    Example:
    >>> probe_video("videos/walk/v_001.mp4")  # doctest: +SKIP
    VideoInfo(num_frames=64, fps=25.0, height=240, width=320)
    """
    index = index_video(path)
    return VideoInfo(index.num_frames, index.fps, *index.display_size(check_bool("rotate", rotate)))


def decode_frames(path, indices, *, index=None, seek=True, rotate=True, size=None, interpolation="bilinear"):
    """The frames `indices` of a video as uint8 RGB `(len(indices), height, width, 3)`.

    Frame i is the i-th frame decoding the file from its start gives, in
    presentation order. Indices may repeat and come in any order; each
    distinct frame is decoded once. With `seek=True` the decoder starts at
    the last keyframe at or before the first wanted frame (and jumps
    forward to a later keyframe when one lies before the next wanted frame)
    rather than decoding everything before it; the frames are the same as
    with `seek=False`, which decodes from the start.

    Args:
        path: a video file or a frame folder.
        indices: frame indices (ints in `[0, num_frames)`).
        index: the file's `VideoIndex` (`index_video`); made here if `None`.
        seek: seek by the index (`False`: decode from the start).
        rotate: apply the file's display rotation as FFmpeg does by default.
        size: `(height, width)` of the frames returned (after rotation),
            scaled by FFmpeg's libswscale while converting to RGB (chroma
            interpolated at full width); `None` keeps the decoded size,
            converted as `ffmpeg -pix_fmt rgb24` does. Every frame comes at
            the first frame's size.
        interpolation: the scaling with `size`: `"bilinear"`, `"area"`
            (averaging, for shrinking), `"bicubic"`, `"point"`,
            `"fast_bilinear"` or `"lanczos"` (libswscale's filters).

    Raises:
        VideoDecodeError: naming the file, if it cannot be read, has fewer
            frames than an index asks for (a truncated file) or decodes with
            errors.

    Example:
    >>> decode_frames("videos/walk/v_001.mp4", [0, 8, 8, 4]).shape  # doctest: +SKIP
    (4, 240, 320, 3)
    """
    import av

    path = os.fspath(path)
    indices = np.asarray(indices, np.int64).reshape(-1)
    if indices.size and indices.min() < 0:
        raise ValueError(f"`indices` must be >= 0. Received: indices={indices.tolist()!r} for {path!r}")
    check_bool("seek", seek)
    check_bool("rotate", rotate)
    check_choice("interpolation", interpolation, INTERPOLATIONS)
    if size is not None:
        size = normalize_tuple(size, 2, "size")
    if index is not None and not isinstance(index, VideoIndex):
        raise ValueError(f"`index` must be a VideoIndex (stkeras.data.video_index.index_video) or None. "
                         f"Received: index={index!r}")
    if index is not None and os.fspath(index.path) != path:
        raise ValueError(f"`index` is the index of {index.path!r}, not of {path!r}.")
    wanted = sorted(set(indices.tolist()))
    if os.path.isdir(path):
        frames = list_frames(os.path.dirname(path), os.path.basename(path))
        if wanted and wanted[-1] >= len(frames):
            raise VideoDecodeError(f"Frame folder {path!r} has {len(frames)} frames; frame {wanted[-1]} was asked for.")
        decoded = {i: _resize_image(decode_image(frames[i]), size, interpolation) for i in wanted}
    elif not wanted:
        decoded = {}
    else:
        index = index if index is not None else index_video(path)
        if wanted[-1] >= index.num_frames:
            raise VideoDecodeError(f"Video file {path!r} has {index.num_frames} frames; frame {wanted[-1]} was "
                                   "asked for.")
        convert = _converter(index, rotate, size, interpolation)
        container, stream = open_video(path)
        try:
            with container:
                decoded = None
                if seek and index.frame_order == "timestamps":
                    try:
                        decoded = _read_by_timestamps(container, stream, index, wanted, convert)
                    except _IndexMismatch:
                        decoded = None
            if decoded is None:  # no usable timestamps: decode from the start, counting frames
                container, stream = open_video(path)
                with container:
                    decoded = _read_by_counting(container, stream, path, wanted, convert,
                                                index.num_packets + 16 if index.num_packets else packet_bound(path))
        except av.FFmpegError as error:
            raise decode_error(path, stream, error) from None
        missing = [i for i in wanted if i not in decoded]
        if missing:
            raise VideoDecodeError(f"Video file {path!r} is corrupt or truncated: frame {missing[0]} could not be "
                                   f"decoded ({len(missing)} of the {len(wanted)} frames asked for).")
    if not wanted:
        height, width = size or (0, 0)
        return np.zeros((0, height, width, 3), np.uint8)
    return np.stack([decoded[i] for i in indices.tolist()])


def _converter(index, rotate, size, interpolation):
    """frame -> uint8 RGB array: one reused PyAV `VideoReformatter` (scaling to `size`), then the display transform."""
    from av.video.reformatter import Interpolation
    from av.video.reformatter import VideoReformatter

    reformatter = VideoReformatter()
    transform = index.transform if rotate else "identity"
    if size is not None and tuple(size) == index.display_size(rotate):
        size = None
    swaps = transform in ("rot90", "rot270", "transpose", "antitranspose")
    height, width = (size[::-1] if swaps else size) if size is not None else (index.height, index.width)
    # None: PyAV's default, as `to_ndarray(format="rgb24")` converts; scaling interpolates chroma at full width.
    scaling = None if size is None else Interpolation[interpolation.upper()] | Interpolation.FULL_CHR_H_INT

    def convert(frame):
        # One thread: libswscale's own threads cost more than they save on a frame (0.9 against 0.03 ms at 320x240).
        rgb = reformatter.reformat(frame, width=width, height=height, format="rgb24", interpolation=scaling,
                                   threads=1)
        return apply_transform(rgb.to_ndarray(), transform)

    return convert


def _resize_image(image, size, interpolation):
    if size is None or image.shape[:2] == tuple(size):
        return image
    import av

    frame = av.VideoFrame.from_ndarray(image, format="rgb24")
    return frame.reformat(width=size[1], height=size[0], interpolation=interpolation.upper()).to_ndarray()


class _IndexMismatch(Exception):
    """A packet read after a seek is not where the index says its timestamp is (a damaged file's other reading)."""


def _decoded_frames(container, stream, bound, path, index=None):
    """The frames of decoding from where the container stands, over at most `bound` packets (and the flush).

    With `index`, every packet must be where the index found its timestamp, else `_IndexMismatch`.
    """
    for packet in itertools.islice(container.demux(stream), bound):
        check_packet(packet, path, stream)
        if index is not None and packet.size and not index.agrees_with(packet):
            raise _IndexMismatch(packet.pts)
        yield from packet.decode()


def _read_by_timestamps(container, stream, index, wanted, convert):
    """`{frame: rgb}` for the sorted distinct `wanted` frames, seeking by the index; `None` if timestamps disagree.

    Each round reads one or more wanted frames: it goes on decoding from
    where the last round stopped, or, when a keyframe lies between that
    frame and the next wanted one, seeks forward to it. The first frame at
    or after the keyframe must be that keyframe (decoded as a key frame),
    and every later one the index's next frame, else the seek or the
    timestamps cannot be trusted (`None`, or `_IndexMismatch` from a packet
    read elsewhere than the index found it: the caller decodes from the start).
    """
    pts, decoded, k = index.pts, {}, 0
    frames, position, bound = None, -1, index.num_packets + 16
    for _ in range(len(wanted)):  # every round reads at least one wanted frame
        if k == len(wanted):
            break
        keyframe = index.keyframe_at_or_before(wanted[k])
        if frames is None or keyframe > position:
            start = keyframe if keyframe > 0 else 0
            seeks = frames is not None or start > 0
            if seeks:
                container.seek(int(pts[start]), stream=stream, backward=True, any_frame=False)
            # After a seek, every packet must come from where the index found it.
            frames, anchored = _decoded_frames(container, stream, bound, index.path, index if seeks else None), False
        for frame in frames:
            if not anchored:
                if frame.pts is None:
                    return None
                if frame.pts < pts[start]:
                    continue  # leading frames of an open GOP, decoded from before the keyframe
                if frame.pts != pts[start] or (start > 0 and not frame.key_frame):
                    return None  # the seek landed elsewhere than at the keyframe
                anchored, position = True, start
            else:
                position += 1
                if position >= len(pts) or frame.pts != pts[position]:
                    return None
            check_frame(frame, index.path, position)
            if position == wanted[k]:
                decoded[position] = convert(frame)
                k += 1
                # Stop for a seek when a keyframe lies after this frame and at or before the next wanted one.
                if k == len(wanted) or index.keyframe_at_or_before(wanted[k]) > position:
                    break
        else:
            break  # the stream ended: the frames left are missing
    return decoded


def _read_by_counting(container, stream, path, wanted, convert, bound):
    """`{frame: rgb}` for the sorted distinct `wanted` frames, decoding from the start and counting frames."""
    decoded, k = {}, 0
    for position, frame in enumerate(_decoded_frames(container, stream, bound, path)):
        check_frame(frame, path, position)
        if position == wanted[k]:
            decoded[position] = convert(frame)
            k += 1
            if k == len(wanted):
                break
    return decoded
