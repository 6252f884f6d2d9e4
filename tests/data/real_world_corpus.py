"""Real-world video encodings made at test time with FFmpeg, and FFmpeg's own decode of them as the reference.

The ffmpeg binary is the one the `imageio-ffmpeg` package ships (libx264,
libx265, libvpx-vp9, libaom, mpeg4, libxvid, mjpeg, prores, ffv1, gif).
Every file shows the same natural-looking moving content, FFmpeg's
`testsrc2` pattern under temporal grain (so no two frames are alike), at a
small size, as the encoders and containers people's videos come in: long
GOPs with B-frames (x264's defaults), open GOPs, HEVC, VP9 and AV1 with
hidden frames, MPEG-4 Part 2 in AVI (B-frames, DivX-style packed B-frames),
intra codecs, 10-bit, variable frame rate, timestamp offsets, an edit list,
an audio track, display rotation, odd sizes, clips of 1 to 3 frames and an
animated GIF. `make_corpus` writes them all (ffmpeg processes in parallel,
about a second on 2 cores); `ffmpeg_frames` decodes one with
`ffmpeg -i FILE -f rawvideo -pix_fmt rgb24 -fps_mode passthrough`: every
decoded frame in decoding-from-the-start order, display rotation applied
(ffmpeg's default), none dropped or repeated for a frame rate.
"""

import concurrent.futures
import dataclasses
import os
import subprocess

import numpy as np

SOURCE = "testsrc2=size={width}x{height}:rate=25"
GRAIN = "scroll=h=0.02:v=0.011,noise=alls=8:allf=t+u"


@dataclasses.dataclass(frozen=True)
class Encoding:
    """One corpus file: `ffmpeg [input_args] -i SOURCE -vf GRAIN[filters] -frames:v frames codec_args NAME`.

    `derive_from` names another corpus file to remux instead of encoding
    (`ffmpeg [input_args] -i THAT codec_args NAME`). `reference` is the
    pixel format of FFmpeg's decode to compare with (see `ffmpeg_frames`).
    """

    name: str
    what: str
    frames: int = 0
    codec_args: tuple = ()
    size: tuple = (48, 64)
    input_args: tuple = ()
    extra_inputs: tuple = ()
    filters: str = ""
    derive_from: str = None
    reference: str = "rgb24"


X264 = ("-c:v", "libx264")
CORPUS = [
    Encoding("x264_default.mp4", "H.264, x264's defaults: keyframes 250 apart, 3 B-frames, B-pyramid", 300, X264),
    Encoding("x264_open_gop.mkv", "H.264 open GOP: a leading B-frame after each I-frame refers to the GOP before",
             150, X264 + ("-x264-params", "open-gop=1:keyint=50:scenecut=0:b-adapt=0")),
    Encoding("x264_trimmed.mp4", "the x264 file cut by stream copy at 2.1 s: an edit list discards the first 53 "
             "packets", derive_from="x264_default.mp4", input_args=("-ss", "2.1"), codec_args=("-c", "copy")),
    Encoding("x264_vfr.mkv", "variable frame rate (frames dropped in an irregular pattern), B-frames", 100,
             X264 + ("-fps_mode", "vfr"), filters=",select='lt(mod(n\\,7)\\,4)'"),
    Encoding("x264_offset.mov", "QuickTime, timestamps starting at 1.5 s (an empty edit)", 100,
             X264 + ("-output_ts_offset", "1.5")),
    Encoding("x264_audio.mp4", "H.264 with an AAC audio track interleaved", 100,
             X264 + ("-c:a", "aac", "-shortest"), extra_inputs=("-f", "lavfi", "-i", "sine=frequency=440")),
    Encoding("x264_rotated.mp4", "a phone video: display matrix 90 degrees (stream copy)",
             derive_from="x264_audio.mp4", input_args=("-display_rotation", "90"), codec_args=("-map", "0:v",
                                                                                              "-c", "copy")),
    Encoding("x264_mirrored.mov", "display matrix 270 degrees and mirrored (a transpose)",
             derive_from="x264_audio.mp4", input_args=("-display_rotation", "270", "-display_hflip"),
             codec_args=("-map", "0:v", "-c", "copy")),
    *[Encoding(name, f"display matrix: {what}", derive_from="x264_audio.mp4", input_args=arguments,
               codec_args=("-map", "0:v", "-c", "copy"))
      for name, what, arguments in [
          ("x264_rotated_270.mp4", "270 degrees", ("-display_rotation", "270")),
          ("x264_mirrored_90.mp4", "90 degrees and mirrored (the other diagonal)",
           ("-display_rotation", "90", "-display_hflip")),
          ("x264_upside_down.mp4", "180 degrees", ("-display_rotation", "180")),
          ("x264_hflip.mp4", "mirrored left to right", ("-display_hflip",)),
          ("x264_vflip.mov", "mirrored top to bottom", ("-display_vflip",))]],
    Encoding("x264_10bit.mkv", "10-bit H.264 (High 10, yuv420p10le)", 60, X264 + ("-pix_fmt", "yuv420p10le"),
             reference="yuv420p10le"),
    Encoding("x264_444_odd.mp4", "H.264 4:4:4 at an odd size, 61x45", 40, X264 + ("-pix_fmt", "yuv444p"),
             size=(45, 61)),
    Encoding("hevc.mp4", "HEVC (x265): open GOPs, CRA keyframes with leading RASL pictures, B-frames", 150,
             ("-c:v", "libx265", "-tag:v", "hvc1", "-x265-params", "log-level=error:keyint=60")),
    Encoding("vp9.webm", "VP9 in WebM with hidden alt-ref frames (superframes)", 120,
             ("-c:v", "libvpx-vp9", "-g", "60", "-deadline", "good", "-cpu-used", "8", "-auto-alt-ref", "1",
              "-lag-in-frames", "25")),
    Encoding("vp9_odd.webm", "VP9 at an odd size, 63x47", 40,
             ("-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8"), size=(47, 63)),
    Encoding("av1.mkv", "AV1 (libaom): hidden frames shown later by 3-byte packets", 120,
             ("-c:v", "libaom-av1", "-cpu-used", "8", "-g", "60")),
    Encoding("mpeg4_bframes.avi", "MPEG-4 Part 2 in AVI, 2 B-frames, one keyframe: the first timestamp is 1", 200,
             ("-c:v", "mpeg4", "-bf", "2", "-g", "300", "-q:v", "4")),
    Encoding("xvid_packed.avi", "Xvid in AVI with DivX-style packed B-frames: 100 frames in, 98 decoded, "
             "timestamps out of order", 100, ("-c:v", "libxvid", "-bf", "2")),
    Encoding("mjpeg.avi", "Motion JPEG (every frame a keyframe, full-range yuvj420p)", 30,
             ("-c:v", "mjpeg", "-q:v", "5")),
    Encoding("prores.mov", "ProRes 422 Proxy (10-bit 4:2:2)", 30, ("-c:v", "prores_ks", "-profile:v", "0")),
    Encoding("ffv1_odd.mkv", "FFV1 lossless at an odd size, 65x49", 20, ("-c:v", "ffv1"), size=(49, 65)),
    Encoding("one_frame.mp4", "H.264, a single frame", 1, X264),
    Encoding("two_frames.avi", "MPEG-4 Part 2 with B-frames, two frames", 2, ("-c:v", "mpeg4", "-bf", "2")),
    Encoding("three_frames.webm", "VP9, three frames", 3, ("-c:v", "libvpx-vp9", "-deadline", "realtime")),
    Encoding("animated.gif", "an animated GIF (palette frames, 4/100 s each)", 30, ("-c:v", "gif")),
]
BY_NAME = {encoding.name: encoding for encoding in CORPUS}


def ffmpeg_executable():
    """The ffmpeg binary of `imageio-ffmpeg`."""
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def _command(encoding, folder):
    out = os.path.join(folder, encoding.name)
    head = [ffmpeg_executable(), "-v", "error", "-nostdin", "-y", *encoding.input_args]
    if encoding.derive_from:
        return head + ["-i", os.path.join(folder, encoding.derive_from), *encoding.codec_args, out]
    height, width = encoding.size
    # testsrc2 and 4:2:0 crops round sizes to even numbers: an odd size is cropped in RGB from a pixel more.
    odd = (width | height) % 2
    source = SOURCE.format(width=width + width % 2, height=height + height % 2)
    crop = f",format=rgb24,crop={width}:{height}:0:0" if odd else ""
    return head + ["-f", "lavfi", "-i", source, *encoding.extra_inputs, "-vf", GRAIN + encoding.filters + crop,
                   "-frames:v", str(encoding.frames), *encoding.codec_args, out]


def _run(command):
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if result.returncode:
        raise RuntimeError(f"{' '.join(command)} failed: {result.stderr.strip()[-2000:]}")


def make_corpus(folder, names=None, workers=4):
    """Writes the corpus files (all, or `names`) into `folder`; returns `{name: path}`."""
    encodings = [BY_NAME[name] for name in names] if names else list(CORPUS)
    sources = {e.derive_from for e in encodings if e.derive_from} - {e.name for e in encodings}
    return encode([BY_NAME[name] for name in sorted(sources)] + encodings, folder, workers)


def encode(encodings, folder, workers=4):
    """Writes `encodings` (names may hold subfolders) into `folder`, ffmpeg processes in parallel; `{name: path}`."""
    for encoding in encodings:
        os.makedirs(os.path.dirname(os.path.join(folder, encoding.name)), exist_ok=True)
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        for stage in ([e for e in encodings if not e.derive_from], [e for e in encodings if e.derive_from]):
            list(pool.map(_run, [_command(e, folder) for e in stage]))
    return {e.name: os.path.join(folder, e.name) for e in encodings}


def ffmpeg_frames(path, *, pix_fmt="rgb24", size=None, autorotate=True):
    """FFmpeg's decode of a file from its start, in a child process: uint8 RGB `(n, h, w, 3)`.

    `pix_fmt="rgb24"` reads the frames as PPM images (each carries its own
    size); another pixel format (e.g. `"yuv420p10le"`) gives the raw planes
    of frames of `size` `(h, w)` as uint16 `(n, h * 3 // 2, w)`.
    """
    command = [ffmpeg_executable(), "-v", "error", "-nostdin", *(() if autorotate else ("-noautorotate",)),
               "-i", str(path), "-map", "0:v:0", "-fps_mode", "passthrough"]
    if pix_fmt == "rgb24":
        data = subprocess.run(command + ["-f", "image2pipe", "-c:v", "ppm", "-pix_fmt", "rgb24", "-"],
                              capture_output=True, check=True, timeout=120).stdout
        return _read_ppm_stream(data)
    data = subprocess.run(command + ["-f", "rawvideo", "-pix_fmt", pix_fmt, "-"], capture_output=True, check=True,
                          timeout=120).stdout
    height, width = size
    return np.frombuffer(data, "<u2").reshape(-1, height * 3 // 2, width)


def _read_ppm_stream(data):
    frames, offset = [], 0
    for _ in range(len(data)):  # at most one frame per byte
        if offset >= len(data):
            break
        magic, dimensions, depth, _ = data[offset:offset + 64].split(b"\n", 3)
        assert magic == b"P6" and depth == b"255", data[offset:offset + 16]
        width, height = map(int, dimensions.split())
        start = offset + len(magic) + len(dimensions) + len(depth) + 3
        frames.append(np.frombuffer(data, np.uint8, height * width * 3, start).reshape(height, width, 3))
        offset = start + height * width * 3
    return np.stack(frames)
