"""A video's frame index: every frame's timestamp in presentation order, the keyframes, the display transform.

`index_video` reads a file once without decoding it (one demux pass over
the video packets), plus the first few frames, and returns a `VideoIndex`:

- *frame i* is the i-th frame that decoding the file from its start gives
  (what `ffmpeg -i FILE -f rawvideo` writes), counted in presentation
  order; frame i's timestamp is the i-th smallest packet timestamp.
  Packets the container marks to be discarded (an MP4 edit list that
  starts mid-GOP) give no frame and are left out;
- `keyframes` are the frames where decoding can start after a seek;
- `frame_order` says how frames are found: `"timestamps"` (by the index,
  seeking to keyframes) or `"decoding"` (counted from the start: the
  timestamps are missing, repeated, or do not give the decoder's order, as
  in AVI files with DivX-style packed B-frames; the frame count is then
  that of a full decode, done once here); a frame folder is `"files"`;
- `display_matrix` is the rotation / flip the file asks a player to apply
  (phone videos), applied as FFmpeg does by default (`display_transform`).

A file that cannot be read raises `VideoDecodeError`, a `ValueError` that
names the file and what is wrong with it.
"""

import dataclasses
import fractions
import itertools
import math
import os

import numpy as np

from stkeras.data.video_folder import decode_frame
from stkeras.data.video_folder import list_frames

FRAME_ORDERS = ("timestamps", "decoding", "files")
PROBE_FRAMES = 8  # frames decoded from the start when indexing: their timestamps must be the index's first ones
TRANSFORMS = ("identity", "rot90", "rot180", "rot270", "transpose", "antitranspose", "hflip", "vflip")


class VideoDecodeError(ValueError):
    """A video file or frame folder that cannot be read; the message names it and says why."""


@dataclasses.dataclass(frozen=True, eq=False)
class VideoIndex:
    """Where a video's frames are: what `index_video` returns and a dataset keeps for each of its videos.

    Attributes:
        path: the video file or frame folder.
        num_frames: the number of frames decoding from the start gives.
        height, width: the first frame's size as coded (before `transform`).
        fps: the average frame rate (`None` for a frame folder).
        frame_order: `"timestamps"`, `"decoding"` or `"files"` (see the module).
        pts: int64 timestamps of frames `0..num_frames-1` in `time_base`
            units (`frame_order="timestamps"` only, else `None`).
        positions: int64 byte offsets in the file of the packets carrying
            those timestamps (-1 where the demuxer gives none): a seek that
            reads the same timestamp from another place is detected.
        keyframes: sorted int64 frame positions where decoding can start.
        time_base: the stream's time base (a `Fraction`).
        num_packets: the packets the demuxer gave for the video stream (a bound of every loop over them).
        display_matrix: the 9 int32 of the file's display matrix, or `None`.
        codec: the decoder's name.
        note: why the frames are counted by decoding, or `None`.

    Example:
    >>> index = index_video("videos/walk/phone.mp4")  # doctest: +SKIP
    >>> index.num_frames, index.transform, index.display_size()  # doctest: +SKIP
    (250, 'rot90', (320, 240))
    >>> decode_frames("videos/walk/phone.mp4", [0, 100], index=index).shape  # doctest: +SKIP
    (2, 320, 240, 3)
    """

    path: str
    num_frames: int
    height: int
    width: int
    fps: float = None
    frame_order: str = "timestamps"
    pts: np.ndarray = None
    positions: np.ndarray = None
    keyframes: np.ndarray = None
    time_base: fractions.Fraction = None
    num_packets: int = 0
    display_matrix: tuple = None
    codec: str = None
    note: str = None

    @property
    def transform(self):
        """The display transform FFmpeg applies by default: one of `TRANSFORMS`."""
        return display_transform(self.display_matrix)

    def display_size(self, rotate=True):
        """`(height, width)` of the frames as shown (after the display transform with `rotate=True`)."""
        if rotate and self.transform in ("rot90", "rot270", "transpose", "antitranspose"):
            return self.width, self.height
        return self.height, self.width

    def agrees_with(self, packet):
        """Whether a demuxed packet is where the index says its timestamp is (or the index cannot tell)."""
        if packet.pts is None or packet.is_discard or self.pts is None:
            return True
        frame = int(np.searchsorted(self.pts, packet.pts))
        if frame == len(self.pts) or self.pts[frame] != packet.pts:
            return False
        expected, position = int(self.positions[frame]), packet.pos
        return expected < 0 or position is None or position < 0 or position == expected

    def keyframe_at_or_before(self, position):
        """The last keyframe position `<= position`, or -1 if none is."""
        if self.keyframes is None or not len(self.keyframes):
            return -1
        return int(self.keyframes[np.searchsorted(self.keyframes, position, side="right") - 1]) \
            if position >= self.keyframes[0] else -1


def display_transform(matrix):
    """The transform FFmpeg's command line applies to frames with this display matrix (its `autorotate`).

    As `ffmpeg` does: the angle of the matrix to the nearest degree; 90 and
    270 degrees transpose the frame (with a flip when the matrix mirrors),
    180 flips what the matrix flips, 0 flips vertically when the matrix
    does. Other angles (FFmpeg's `rotate` filter) are not applied: `"identity"`.

    Args:
        matrix: the 9 int32 of a display matrix (16.16 fixed point), or `None`.

    Returns:
        one of `TRANSFORMS`: `"rot90"` turns the frame a quarter
        counter-clockwise (`np.rot90`), `"rot270"` clockwise,
        `"transpose"` swaps rows and columns, `"antitranspose"` the other
        diagonal.

    Example:
    >>> display_transform([0, -65536, 0, 65536, 0, 0, 0, 0, 1 << 30])  # ffmpeg -display_rotation 90
    'rot90'
    """
    if matrix is None:
        return "identity"
    m = [float(v) for v in matrix]
    scale_x, scale_y = math.hypot(m[0], m[3]), math.hypot(m[1], m[4])
    if scale_x == 0 or scale_y == 0:
        theta = math.nan
    else:
        theta = -round(-math.degrees(math.atan2(m[1] / scale_y, m[0] / scale_x)))
        theta -= 360 * math.floor(theta / 360 + 0.9 / 360)
    if abs(theta - 90) < 1:
        return "transpose" if m[3] > 0 else "rot270"
    if abs(theta - 180) < 1:
        return {(True, True): "rot180", (True, False): "hflip", (False, True): "vflip",
                (False, False): "identity"}[(m[0] < 0, m[4] < 0)]
    if abs(theta - 270) < 1:
        return "antitranspose" if m[3] < 0 else "rot90"
    if abs(theta) > 1:
        return "identity"  # FFmpeg's rotate filter (any angle) is not applied
    return "vflip" if m[4] < 0 else "identity"


def apply_transform(frames, transform):
    """Frames `(..., height, width, channels)` under a display transform of `TRANSFORMS` (views, no copy).

    Example:
    >>> apply_transform(np.arange(6).reshape(2, 3, 1), "rot90")[..., 0].tolist()
    [[2, 5], [1, 4], [0, 3]]
    """
    rows, cols = frames.ndim - 3, frames.ndim - 2
    if transform == "identity":
        return frames
    if transform == "rot90":
        return np.rot90(frames, 1, (rows, cols))
    if transform == "rot270":
        return np.rot90(frames, -1, (rows, cols))
    if transform == "rot180":
        return np.flip(frames, (rows, cols))
    if transform == "transpose":
        return np.swapaxes(frames, rows, cols)
    if transform == "antitranspose":
        return np.flip(np.swapaxes(frames, rows, cols), (rows, cols))
    if transform == "hflip":
        return np.flip(frames, cols)
    if transform == "vflip":
        return np.flip(frames, rows)
    raise ValueError(f"Unknown `transform`: {transform!r}. Expected one of {', '.join(map(repr, TRANSFORMS))}.")


def open_video(path):
    """`(container, video stream)` of a video file; `VideoDecodeError` naming it when it cannot be opened."""
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


def packet_bound(path):
    """An upper bound of the packets a demuxer can give for a file: every packet holds at least a byte of it."""
    return os.path.getsize(path) + 16


def check_packet(packet, path, stream):
    """Raises `VideoDecodeError` if the demuxer flagged the packet as corrupt (cut short by the file's end)."""
    if packet.is_corrupt:
        seconds = f" at {float(packet.pts * stream.time_base):.3f} s" if packet.pts is not None and stream.time_base \
            else ""
        raise VideoDecodeError(f"Video file {path!r} is corrupt or truncated: its video packet{seconds} is cut short "
                               "or damaged.")


def check_frame(frame, path, position):
    """Raises `VideoDecodeError` if the decoder flagged the frame as corrupt (it concealed damaged data)."""
    if frame.is_corrupt:
        raise VideoDecodeError(f"Video file {path!r} is corrupt: frame {position} decodes with errors (the "
                               "decoder had to conceal damaged data).")


def decode_error(path, stream, error):
    """The `VideoDecodeError` naming the file for an FFmpeg error met while demuxing or decoding it."""
    return VideoDecodeError(f"Video file {path!r} is corrupt or truncated ({stream.codec_context.name}): {error}")


def display_matrix(frame):
    """The display matrix a decoded frame carries (9 ints), or `None`."""
    for side_data in frame.side_data:
        if "DISPLAYMATRIX" in str(side_data.type) and side_data.buffer_size >= 36:
            return tuple(int(v) for v in np.frombuffer(bytes(side_data), np.int32)[:9])
    return None


def decode_image(path):
    """A JPEG or PNG frame file as uint8 RGB `(h, w, 3)`; `VideoDecodeError` naming it when it is damaged."""
    try:
        image = decode_frame(path, 3).numpy()
    except Exception as error:  # TensorFlow's error types for a bad image
        raise VideoDecodeError(f"Frame file {path!r} is corrupt or truncated: "
                               f"{getattr(error, 'message', error)}") from None
    return np.round(image * 255).astype(np.uint8)


def index_video(path):
    """The `VideoIndex` of a video file (one demux pass, the first frames decoded) or of a frame folder.

    Args:
        path: a video file or a folder of JPEG/PNG frames.

    Raises:
        VideoDecodeError: (a `ValueError`) naming the file: missing, empty,
            corrupt, truncated, without a video stream or frames, or an
            undecodable codec.

    Example:
    >>> index = index_video("videos/walk/v_001.mp4")  # doctest: +SKIP
    >>> index.num_frames, index.frame_order, index.keyframes  # doctest: +SKIP
    (250, 'timestamps', array([0]))
    """
    path = os.fspath(path)
    if os.path.isdir(path):
        frames = list_frames(os.path.dirname(path), os.path.basename(path))
        first = decode_image(frames[0])
        return VideoIndex(path, len(frames), int(first.shape[0]), int(first.shape[1]), frame_order="files")
    import av

    container, stream = open_video(path)
    try:
        with container:
            return _index_file(path, container, stream)
    except av.FFmpegError as error:  # raised while demuxing or closing a damaged container
        raise decode_error(path, stream, error) from None


def _index_file(path, container, stream):
    import av

    demuxed, packets, timestamps, offsets, key_timestamps, decoded, first = 0, 0, [], [], [], [], None
    try:
        for packet in itertools.islice(container.demux(stream), packet_bound(path)):
            demuxed += 1
            check_packet(packet, path, stream)
            flush = packet.size == 0 and packet.pts is None
            if not flush and not packet.is_discard:
                packets += 1
                timestamps.append(packet.pts)
                offsets.append(-1 if packet.pos is None else packet.pos)
                if packet.is_keyframe:
                    key_timestamps.append(packet.pts)
            if len(decoded) < PROBE_FRAMES and (packet.size or flush):
                for frame in packet.decode():
                    first = frame if first is None else first
                    check_frame(frame, path, len(decoded))
                    decoded.append(frame.pts)
    except av.FFmpegError as error:
        raise decode_error(path, stream, error) from None
    if not packets:
        raise VideoDecodeError(f"Video file {path!r} has no video frames (zero-length video).")
    if first is None:
        raise VideoDecodeError(f"Video file {path!r} is corrupt or truncated: it holds {packets} video packets, "
                               "none of which decodes to a frame.")
    common = dict(height=int(first.height), width=int(first.width), num_packets=demuxed,
                  fps=float(stream.average_rate) if stream.average_rate else None,
                  time_base=fractions.Fraction(stream.time_base) if stream.time_base else None,
                  display_matrix=display_matrix(first), codec=stream.codec_context.name)
    pts, note = _presentation_timestamps(timestamps, decoded, packets)
    if pts is None:
        return VideoIndex(path, _count_frames(path), frame_order="decoding", note=note, **common)
    order = np.argsort(np.asarray(timestamps, np.int64))
    positions = np.asarray(offsets, np.int64)[order][len(order) - len(pts):]
    key_pts = np.asarray(sorted(t for t in key_timestamps if t is not None), np.int64)
    keys = np.searchsorted(pts, key_pts)
    inside = keys < len(pts)
    keys = np.unique(keys[inside][pts[keys[inside]] == key_pts[inside]])
    return VideoIndex(path, len(pts), frame_order="timestamps", pts=pts, positions=positions,
                      keyframes=keys.astype(np.int64), **common)


def _presentation_timestamps(timestamps, decoded, packets):
    """`(sorted int64 timestamps, None)` when they identify the decoder's frames, else `(None, why not)`."""
    if any(t is None for t in timestamps):
        return None, "some packets have no timestamp"
    pts = np.sort(np.asarray(timestamps, np.int64))
    if len(np.unique(pts)) != len(pts):
        return None, "two packets have the same timestamp"
    if any(t is None for t in decoded):
        return None, "decoded frames have no timestamp"
    decoded = np.asarray(decoded, np.int64)
    # The decoder may leave out leading packets (frames before the first keyframe of a cut stream).
    start = int(np.searchsorted(pts, decoded[0]))
    if start < len(pts) and len(decoded) < PROBE_FRAMES and len(decoded) != len(pts) - start:
        return None, f"the file's {len(pts) - start} packets decode to {len(decoded)} frames"
    if start + len(decoded) > len(pts) or not np.array_equal(pts[start:start + len(decoded)], decoded):
        return None, "the decoder's frames do not come in the order of the packets' timestamps"
    return pts[start:], None


def _count_frames(path):
    """The number of frames decoding the whole file from its start gives (a file whose timestamps cannot be used)."""
    import av

    container, stream = open_video(path)
    count = 0
    try:
        with container:
            for packet in itertools.islice(container.demux(stream), packet_bound(path)):
                check_packet(packet, path, stream)
                for frame in packet.decode():
                    check_frame(frame, path, count)
                    count += 1
    except av.FFmpegError as error:
        raise decode_error(path, stream, error) from None
    if not count:
        raise VideoDecodeError(f"Video file {path!r} is corrupt or truncated: none of its packets decodes to a "
                               "frame.")
    return count

