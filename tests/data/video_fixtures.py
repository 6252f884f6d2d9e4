"""Small encoded videos written with PyAV for the tests: frame `i` of a video has brightness `brightness(i)`."""

import os

import numpy as np

av = __import__("pytest").importorskip("av")

CODECS = {".mp4": "mpeg4", ".avi": "mjpeg", ".mkv": "mpeg4", ".webm": "libvpx-vp9", ".mov": "mpeg4"}


def brightness(i, offset=0):
    """The grey level of frame `i` (distinct, far apart for lossy codecs, wrapping below 250)."""
    return (offset + 20 * i) % 240 + 5


def write_video(path, num_frames, *, size=(32, 32), fps=25, codec=None, offset=0, gop=None):
    """Writes `num_frames` grey frames of `size` (height, width); returns `path`."""
    path = str(path)
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    codec = codec or CODECS[os.path.splitext(path)[1].lower()]
    with av.open(path, "w") as container:
        stream = container.add_stream(codec, rate=fps)
        stream.height, stream.width = size
        stream.pix_fmt = "yuvj420p" if codec == "mjpeg" else "yuv420p"
        if gop:
            stream.codec_context.gop_size = gop
        for i in range(num_frames):
            frame = av.VideoFrame.from_ndarray(np.full((*size, 3), brightness(i, offset), np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def write_frame_folder(path, num_frames, *, size=(32, 32), offset=0):
    """A folder of JPEG frames `00001.jpg`, ... with the same content as `write_video`; returns `path`."""
    from PIL import Image

    path = str(path)
    os.makedirs(path, exist_ok=True)
    for i in range(num_frames):
        Image.fromarray(np.full((*size, 3), brightness(i, offset), np.uint8)).save(
            os.path.join(path, f"{i + 1:05d}.jpg"), quality=95)
    return path


def frame_levels(frames):
    """The mean grey level of each frame of uint8 or [0, 1] float frames `(..., n, h, w, 3)`."""
    frames = np.asarray(frames, np.float64)
    if frames.max() <= 1.0:
        frames = frames * 255
    return frames.mean(axis=(-3, -2, -1))
