"""Reading a clip's frames with less decoding: packets that nothing needs are not decoded.

`read_clip` gives exactly `decode_frames`' frames (the same arrays) for a
file with a `VideoIndex`, and is what the video pipelines call. It differs
in how much it decodes:

- it starts at the last keyframe at or before the first wanted frame, and
  seeks forward again only across a gap of more than `SEEK_AHEAD` frames
  (a seek empties the decoder, whose frames held back for reordering are
  then decoded twice);
- for H.264, HEVC, MPEG-4 Part 2 and MPEG-1/2 it tells the decoder, packet
  by packet, to skip a frame that is not wanted *and* that no other frame
  refers to (FFmpeg's `skip_frame="NONREF"`): most B-frames before and
  between a clip's frames. Skipping them changes no other frame, since
  none is predicted from them. In x264's default encoding (3 B-frames,
  B-pyramid) that is about half of the frames, and a fifth to a quarter
  of the decoding time;
- once every wanted frame's packet is in the decoder, it flushes the
  decoder instead of decoding the packets after;
- a decoded frame is identified by its timestamp in the index (frames are
  skipped, so they cannot be counted), and must come in increasing order.

Anything that disagrees with the index (a frame whose timestamp the index
does not have, frames out of order, a seek that lands elsewhere than the
keyframe or reads a packet from another byte offset than the index found,
a wanted frame that never comes), a file whose frames are counted by
decoding (`frame_order="decoding"`) and every error are left to
`decode_frames`, which reads the file its own way and names a damaged file.
"""

import bisect
import itertools
import os

import numpy as np

from stkeras.data.video_decode import _converter
from stkeras.data.video_decode import decode_frames
from stkeras.data.video_index import VideoDecodeError
from stkeras.data.video_index import check_frame
from stkeras.data.video_index import check_packet
from stkeras.data.video_index import open_video

# Codecs whose FFmpeg decoders skip with AVDISCARD_NONREF only frames that no other frame is predicted from.
SKIPPING_CODECS = ("h264", "hevc", "mpeg4", "mpeg2video", "mpeg1video")
SEEK_AHEAD = 16  # frames: a keyframe further ahead than this is reached by a seek, a nearer one by decoding


def read_clip(path, indices, *, index, rotate=True, size=None, interpolation="bilinear"):
    """The frames `indices` of an indexed video, as `decode_frames` gives them, decoding fewer packets.

    Args:
        path: the video file (or frame folder: read by `decode_frames`).
        indices: frame indices (ints in `[0, index.num_frames)`), in any
            order, repeats allowed.
        index: the file's `VideoIndex` (`video_index.index_video`).
        rotate, size, interpolation: as `decode_frames`.

    Returns:
        uint8 RGB `(len(indices), height, width, 3)`, equal to
        `decode_frames(path, indices, index=index, rotate=rotate, size=size,
        interpolation=interpolation)`.

    Example:
    >>> index = index_video("videos/walk/v_001.mp4")  # doctest: +SKIP
    >>> read_clip("videos/walk/v_001.mp4", range(100, 132, 2), index=index, size=(128, 171)).shape  # doctest: +SKIP
    (16, 128, 171, 3)
    """
    import av

    path = os.fspath(path)
    indices = np.asarray(indices, np.int64).reshape(-1)
    options = dict(index=index, rotate=rotate, size=size, interpolation=interpolation)
    if (index.frame_order != "timestamps" or not indices.size or indices.min() < 0
            or indices.max() >= index.num_frames or os.fspath(index.path) != path):
        return decode_frames(path, indices, **options)
    wanted = np.unique(indices)
    decoded = None
    try:
        convert = _converter(index, rotate, size, interpolation)
        container, stream = open_video(path)
        with container:
            decoded = _read_skipping(container, stream, index, wanted, convert)
    except (av.FFmpegError, VideoDecodeError):
        decoded = None  # decode_frames reads it again, and names the file if it is damaged
    if decoded is None:
        return decode_frames(path, indices, **options)
    return np.stack([decoded[i] for i in indices.tolist()])


def _read_skipping(container, stream, index, wanted, convert):
    """`{frame: rgb}` of the sorted distinct `wanted` frames, or None where the file disagrees with the index."""
    pts, path = index.pts, index.path
    timestamps = pts.tolist()  # bisect on a list: a frame's position, without NumPy's per-call cost
    wanted = wanted.tolist()
    wanted_pts = {timestamps[i] for i in wanted}
    context = stream.codec_context
    skipping = index.codec in SKIPPING_CODECS
    context.thread_count = 1  # the pipelines decode one clip per process; FFmpeg's threads would compete
    # last: the last frame decoded; reached: the furthest frame whose packet was read (kept up to date only
    # when a forward seek is in question).
    decoded, k, last, reached, packets, mode, fed = {}, 0, -1, -1, None, None, set()
    for _ in range(len(wanted)):  # each round starts at a keyframe and reads at least one wanted frame
        keyframe = max(index.keyframe_at_or_before(wanted[k]), 0)
        if packets is None or keyframe > reached + SEEK_AHEAD:
            seeks = packets is not None or keyframe > 0
            if seeks:  # after a seek, every packet must come from where the index found it
                container.seek(timestamps[keyframe], stream=stream, backward=True, any_frame=False)
            packets, anchored, reached = container.demux(stream), False, keyframe
        next_keyframe = keyframe
        for packet in itertools.islice(packets, index.num_packets + 16):
            check_packet(packet, path, stream)
            if seeks and packet.size and not index.agrees_with(packet):
                return None
            if skipping:  # until the frame decoding starts from has come, nothing is skipped
                wanted_mode = "DEFAULT" if not anchored or packet.pts in wanted_pts else "NONREF"
                if wanted_mode != mode:
                    context.skip_frame = mode = wanted_mode
            frames = packet.decode()
            if packet.pts in wanted_pts:
                fed.add(packet.pts)
                if len(fed) == len(wanted_pts):  # every wanted frame is in the decoder: flush it, read no further
                    frames += context.decode(None)
            for frame in frames:
                if frame.pts is None:
                    return None
                if not anchored:
                    if frame.pts < timestamps[keyframe]:
                        continue  # leading frames of an open GOP, decoded from before the keyframe
                    if frame.pts != timestamps[keyframe] or (keyframe > 0 and not frame.key_frame):
                        return None  # the seek landed elsewhere than at the keyframe
                    anchored = True
                position = bisect.bisect_left(timestamps, frame.pts)
                if position == len(timestamps) or timestamps[position] != frame.pts or not last < position <= wanted[k]:
                    return None  # not the index's frame, out of order, or past a wanted frame that did not come
                last = position
                check_frame(frame, path, position)
                if position == wanted[k]:
                    decoded[position] = convert(frame)
                    k += 1
                    if k == len(wanted):
                        return decoded
                    next_keyframe = index.keyframe_at_or_before(wanted[k])
            if len(fed) == len(wanted_pts):
                return None  # flushed, and a wanted frame did not come
            if next_keyframe > last + SEEK_AHEAD and packet.pts is not None:
                reached = max(reached, bisect.bisect_left(timestamps, packet.pts))
                if next_keyframe > reached + SEEK_AHEAD:
                    break  # a seek reaches the next wanted frame sooner
        else:
            return None  # the stream ended before a wanted frame came
    return None
