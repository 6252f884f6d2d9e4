"""Frames per second of clips read from video files: the tf.data pipeline against a plain PyAV loop and JPEG folders.

Writes its own videos to a temporary folder (`--videos` MPEG-4 `.mp4`
files of `--frames` frames of `--size` pixels, 12-frame GOPs, moving
noise so that the codec has work to do) and the same frames as JPEG
folders, then reads one evaluation clip of 16 frames, 2 apart, per video:

1. `video_dataset_from_files` over the `.mp4` files (PyAV with seeks,
   resize to 112x112, batches of 8, `tf.data` in parallel);
2. a plain PyAV loop: each video decoded from its start up to the clip's
   last frame, the clip's frames converted to RGB (no resize, one thread);
3. `video_dataset_from_files` over the JPEG folders (same pipeline).

Also `decode_frames` alone (seeking) and a full decode of every frame.
Each reader runs `--repeats` times, interleaved; the median is reported.

    python benchmarks/video_decoding.py [--videos 50] [--frames 64] [--size 128] [--repeats 3]

Prints one JSON line per measurement, then a table.
"""

import argparse
import json
import os
import statistics
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import av  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from stkeras.data import decode_frames  # noqa: E402
from stkeras.data import dense_indices  # noqa: E402
from stkeras.data import video_dataset_from_files  # noqa: E402

CLIP_LENGTH, FRAME_STEP = 16, 2


def write_videos(folder, count, frames, size):
    rng = np.random.default_rng(0)
    videos, folders = [], []
    base = rng.integers(0, 256, (size * 2, size * 2, 3), dtype=np.uint8)
    for v in range(count):
        path = os.path.join(folder, f"v{v:03d}.mp4")
        frame_folder = os.path.join(folder, f"v{v:03d}")
        os.makedirs(frame_folder)
        with av.open(path, "w") as container:
            stream = container.add_stream("mpeg4", rate=25)
            stream.height = stream.width = size
            stream.pix_fmt = "yuv420p"
            stream.codec_context.gop_size = 12
            for i in range(frames):
                shift = (3 * i + v) % size
                image = np.ascontiguousarray(base[shift:shift + size, shift:shift + size])
                for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                    container.mux(packet)
                Image.fromarray(image).save(os.path.join(frame_folder, f"{i + 1:05d}.jpg"), quality=90)
            for packet in stream.encode():
                container.mux(packet)
        videos.append(path)
        folders.append(frame_folder)
    return videos, folders


def clip_indices(frames):
    return dense_indices(frames, clip_length=CLIP_LENGTH, frame_step=FRAME_STEP).reshape(-1)


def pipeline(paths):
    dataset = video_dataset_from_files(paths, [0] * len(paths), clip_length=CLIP_LENGTH, frame_step=FRAME_STEP,
                                       image_size=(112, 112), batch_size=8, shuffle=False)

    def run():
        return sum(int(clips.shape[0]) * int(clips.shape[1]) for clips, _ in dataset)

    return run


def plain_pyav(paths, frames):
    wanted = clip_indices(frames)

    def run():
        count = 0
        for path in paths:
            with av.open(path) as container:
                kept = []
                for index, frame in enumerate(container.decode(video=0)):
                    if index in wanted:
                        kept.append(frame.to_ndarray(format="rgb24"))
                    if index >= wanted.max():
                        break
                count += len(kept)
        return count

    return run


def seeking(paths, frames):
    wanted = clip_indices(frames)
    return lambda: sum(len(decode_frames(path, wanted)) for path in paths)


def full_decode(paths):
    def run():
        count = 0
        for path in paths:
            with av.open(path) as container:
                count += sum(1 for frame in container.decode(video=0) if frame.to_ndarray(format="rgb24") is not None)
        return count

    return run


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--videos", type=int, default=50)
    parser.add_argument("--frames", type=int, default=64)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        videos, folders = write_videos(folder, args.videos, args.frames, args.size)
        start = time.perf_counter()
        readers = {"tf.data pipeline, .mp4 (stkeras)": pipeline(videos)}
        creation = time.perf_counter() - start
        readers["plain PyAV loop, .mp4"] = plain_pyav(videos, args.frames)
        readers["tf.data pipeline, JPEG folders (stkeras)"] = pipeline(folders)
        readers["decode_frames alone (seeking), .mp4"] = seeking(videos, args.frames)
        readers["full decode of every frame, plain PyAV"] = full_decode(videos)
        for run in readers.values():  # warm-up: graph tracing, file cache
            run()
        times = {name: [] for name in readers}
        counts = {}
        for _ in range(args.repeats):
            for name, run in readers.items():
                start = time.perf_counter()
                counts[name] = run()
                times[name].append(time.perf_counter() - start)
    rates = {name: counts[name] / statistics.median(times[name]) for name in readers}
    plain = rates["plain PyAV loop, .mp4"]
    for name in readers:
        print(json.dumps({"reader": name, "frames": counts[name], "seconds": round(statistics.median(times[name]), 4),
                          "frames_per_s": round(rates[name], 1), "vs_plain_pyav": round(rates[name] / plain, 3)}))
    print(json.dumps({"dataset_creation_s": round(creation, 3), "videos": args.videos}))
    print(f"\n{args.videos} videos of {args.frames} frames {args.size}x{args.size}, one clip of {CLIP_LENGTH} frames "
          f"{FRAME_STEP} apart each; dataset creation (probing) {creation:.2f} s\n")
    print("| reader | frames/s | vs plain PyAV loop |\n|---|---|---|")
    for name in readers:
        print(f"| {name} | {rates[name]:,.0f} | {rates[name] / plain:.2f}x |")


if __name__ == "__main__":
    main()
