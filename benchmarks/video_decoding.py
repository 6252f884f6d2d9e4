"""Clips per second of a training run's video reading: stkeras against PyAV, decord, torchcodec and a DataLoader.

The job (what one epoch of training on a video folder asks of the reader):
one clip of 16 frames, 2 apart, at a random start in each video, the short
side resized to 128 and a 112x112 centre crop, uint8 out. Two sets of 20
videos of 10 s at 320x240, 25 frames/s, written by the ffmpeg binary of
`imageio-ffmpeg` with libx264: (a) x264's defaults (one keyframe in 250
frames here, B-frames), (b) the same with a 12-frame keyframe interval. The
content is a slow zoom and pan over a Mandelbrot image (a different region
per video), a moving test-pattern object and film-grain noise, at 430
(x264 defaults) and 580 kb/s (12-frame GOP), about UCF101's rate.

Readers, run interleaved, `--repeats` passes after a warm-up pass, medians
of the clips per second and of the CPU time per clip (every process of the
reader, read from /proc):

- `stkeras tf.data pipeline`: `video_dataset_from_files(..., training=True,
  dtype="uint8")` (random start, random 112x112 crop, batches of 8), one
  epoch, decoding on tf.data's threads (`workers=0`) and in `--workers`
  processes; the videos are indexed once, when the dataset is made (timed
  apart);
- `stkeras tf.data pipeline over the frame cache`: the same reading a
  `write_frame_cache` of the videos (`cache=`), written before the passes
  (its time and size are printed);
- `stkeras read_clip` and `stkeras decode_frames`, one process: the
  pipelines' reader and the general decoder, scaling while converting;
- `plain PyAV loop`: decode from the start to the clip's last frame,
  convert the clip's frames with scaling (`to_ndarray(width=, height=)`);
  also with FFmpeg's frame and slice threads (`thread_type="AUTO"`);
- `decord`: `VideoReader(width=, height=).get_batch`, its default threads
  (`num_threads=0`) and one thread;
- `torchcodec`: `VideoDecoder(seek_mode="exact", transforms=[Resize,
  CenterCrop]).get_frames_at` (torch with one intra-op thread);
- `DataLoader over torchcodec`: a PyTorch `DataLoader` (2 persistent worker
  processes, batches of 8) over the torchcodec reader.

Frame exactness: every decoder's frames at one clip's indices per video,
unresized, are compared with the ffmpeg binary's decode of the whole video
from its start (`rawvideo` rgb24): the frames equal to the frame asked for,
those whose closest reference frame (of the 8 either side) is the one asked
for, and the mean absolute difference to it.

The peers run in a throwaway virtual environment of their own, in a child
process of this run (none of them is a stkeras dependency):

    apt-get install -y ffmpeg      # the shared libraries torchcodec loads
    python -m venv /tmp/vt-venv
    /tmp/vt-venv/bin/pip install torch==2.14.1 torchcodec==0.17.0 torchvision==0.29.1 decord==0.6.0 av numpy
    python benchmarks/video_decoding.py --peer-python /tmp/vt-venv/bin/python [--videos 20] [--repeats 3] \\
        [--folder DIR] [--out docs/results/video_decoding.jsonl]

Without `--peer-python` only the readers of this environment run. `--folder`
keeps the generated videos (and the cache) between runs. Prints one JSON
line per measurement, then the table and the ratios stkeras/peer.
"""

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

CLIP_LENGTH, FRAME_STEP, SHORT_SIDE, CROP, BATCH = 16, 2, 128, 112, 8
SPAN = (CLIP_LENGTH - 1) * FRAME_STEP + 1
SETS = {"x264 defaults": [], "12-frame GOP": ["-g", "12"]}
# Regions of the Mandelbrot set (centre x, centre y, scale) that the videos zoom and pan over.
REGIONS = [(-0.743643887037151, 0.13182590420533, 0.05), (-0.7453, 0.1127, 0.012), (-1.25066, 0.02012, 0.03),
           (-0.16, 1.0405, 0.05), (0.285, 0.01, 0.04)]


# ---------------------------------------------------------------------------------------------------------------
# Videos


def ffmpeg_exe():
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def write_videos(folder, count, seconds, options):
    """`count` videos of `seconds` s at 320x240, 25 frames/s, in `folder` (kept when they exist)."""
    os.makedirs(folder, exist_ok=True)
    ffmpeg, paths = ffmpeg_exe(), []
    for v in range(count):
        path = os.path.join(folder, f"v{v:02d}.mp4")
        paths.append(path)
        if os.path.exists(path):
            continue
        x, y, scale = REGIONS[v % len(REGIONS)]
        background = os.path.join(folder, f"background{v % len(REGIONS)}.png")
        if not os.path.exists(background):
            subprocess.run([ffmpeg, "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                            f"mandelbrot=s=1280x960:maxiter=256:start_x={x}:start_y={y}:start_scale={scale}:"
                            "outer=normalized_iteration_count", "-frames:v", "1", background], check=True)
        zoom, pan_x, pan_y, move = 150 + 11 * v, 200 + 13 * v, 160 + 7 * v, 3 + v % 4
        graph = (f"[0]zoompan=z='1.6+0.5*sin(2*PI*on/{zoom})':x='(iw-iw/zoom)*(0.5+0.45*sin(2*PI*on/{pan_x}))':"
                 f"y='(ih-ih/zoom)*(0.5+0.45*cos(2*PI*on/{pan_y}))':d=1:s=320x240:fps=25,hue=h={37 * v}[bg];"
                 f"testsrc2=s=64x64:r=25[obj];[bg][obj]overlay=x='(W-w)*(0.5+0.45*sin(2*PI*t/{move}))':"
                 f"y='(H-h)*(0.5+0.45*cos(2*PI*t/{move + 1}))':shortest=1,noise=alls=4:allf=t,format=yuv420p")
        subprocess.run([ffmpeg, "-hide_banner", "-loglevel", "error", "-y", "-loop", "1", "-framerate", "25", "-i",
                        background, "-filter_complex", graph, "-t", str(seconds), "-c:v", "libx264", *options,
                        path + ".part.mp4"], check=True)
        os.replace(path + ".part.mp4", path)
    return paths


def frame_counts(paths):
    import av

    counts = []
    for path in paths:
        with av.open(path) as container:
            counts.append(sum(1 for packet in container.demux(video=0) if packet.size))
    return counts


def reference_window(path, indices, margin=8):
    """`(first, frames)`: FFmpeg's decode of `path` from its start (rgb24), frames `first` to `margin` past `indices`."""
    completed = subprocess.run([ffmpeg_exe(), "-v", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                               check=True, stdout=subprocess.PIPE)
    import av

    with av.open(path) as container:
        height, width = container.streams.video[0].height, container.streams.video[0].width
    frames = np.frombuffer(completed.stdout, np.uint8).reshape(-1, height, width, 3)
    first = max(min(indices) - margin, 0)
    return first, frames[first:max(indices) + margin + 1].copy()


def job_indices(counts, rng):
    """One clip's frame indices per video, at a random start."""
    return [list(range(start, start + SPAN, FRAME_STEP)) for start in
            (int(rng.integers(0, max(count - SPAN, 0) + 1)) for count in counts)]


def resized_size(height, width):
    """`(height, width)` with the short side `SHORT_SIDE` (rounded up, as stkeras)."""
    scale = SHORT_SIDE / min(height, width)
    return int(np.ceil(height * scale - 1e-3)), int(np.ceil(width * scale - 1e-3))


def tree_cpu_seconds(pid=None):
    """CPU seconds (user + system) used so far by a process and its living descendants (Linux's /proc)."""
    tick, total, pids = os.sysconf("SC_CLK_TCK"), 0.0, [pid or os.getpid()]
    for _ in range(10000):
        if not pids:
            break
        current = pids.pop()
        try:
            with open(f"/proc/{current}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as handle:
                    pids.extend(int(child) for child in handle.read().split())
        except (OSError, IndexError, ValueError):  # a process that ended meanwhile
            continue
    return total


def center_crop(frames):
    top, left = (frames.shape[-3] - CROP) // 2, (frames.shape[-2] - CROP) // 2
    return frames[..., top:top + CROP, left:left + CROP, :]


# ---------------------------------------------------------------------------------------------------------------
# Peer readers (run in the peers' environment, in a child process)


def pyav_clip(path, indices, size=None, threads=False):
    import av

    wanted, out = set(indices), {}
    with av.open(path) as container:
        if threads:
            container.streams.video[0].thread_type = "AUTO"  # FFmpeg's frame and slice threads, one per core
        for index, frame in enumerate(container.decode(video=0)):
            if index in wanted:
                out[index] = (frame.to_ndarray(format="rgb24", width=size[1], height=size[0]) if size
                              else frame.to_ndarray(format="rgb24"))
            if index >= indices[-1]:
                break
    frames = np.stack([out[i] for i in indices])
    return center_crop(frames) if size else frames


def decord_clip(path, indices, size=None, threads=0):
    import decord

    options = dict(width=size[1], height=size[0]) if size else {}
    reader = decord.VideoReader(path, num_threads=threads, **options)
    frames = reader.get_batch(indices).asnumpy()
    return center_crop(frames) if size else frames


def torchcodec_decoder(path, size=None):
    from torchcodec.decoders import VideoDecoder
    from torchcodec.transforms import CenterCrop
    from torchcodec.transforms import Resize

    transforms = [Resize(size=size), CenterCrop(size=(CROP, CROP))] if size else None
    return VideoDecoder(path, seek_mode="exact", dimension_order="NHWC", transforms=transforms)


def torchcodec_clip(path, indices, size=None):
    return torchcodec_decoder(path, size).get_frames_at(indices).data.numpy()


class TorchcodecClips:
    """A map-style dataset whose items are `(path, frame indices)` jobs (the sampler gives them), for a DataLoader."""

    def __init__(self, size):
        self.size = size

    def __getitem__(self, job):
        path, indices = job
        return torchcodec_decoder(path, self.size).get_frames_at(indices).data


PEER_CLIPS = {"plain PyAV loop": pyav_clip, "decord": decord_clip, "torchcodec": torchcodec_clip}
PEER_VARIANTS = {"plain PyAV loop, FFmpeg threads": lambda path, indices, size: pyav_clip(path, indices, size, True),
                 "decord, 1 thread": lambda path, indices, size: decord_clip(path, indices, size, 1)}
DATALOADER = "DataLoader over torchcodec"
PEER_READERS = [*PEER_CLIPS, *PEER_VARIANTS, DATALOADER]


def serve_peers():
    """The child process: reads one JSON command a line, answers one JSON line."""
    import torch

    # One intra-op thread, as the DataLoader's workers have: with one per core torchcodec's resizing took 4x the
    # CPU time here, and the idle threads' spinning slowed the readers timed after it.
    torch.set_num_threads(1)
    loaders, sampler = {}, []
    for line in sys.stdin:
        command = json.loads(line)
        if command["kind"] == "quit":
            break
        jobs, size, reader = command["jobs"], tuple(command["size"]), command["reader"]
        if command["kind"] == "exact":
            frames = np.stack([PEER_CLIPS[reader](path, indices) for path, indices in jobs])
            np.save(command["out"], frames)
            print(json.dumps({"ok": True}), flush=True)
            continue
        start, cpu = time.perf_counter(), tree_cpu_seconds()
        if reader == DATALOADER:
            sampler[:] = [tuple(job) for job in jobs]  # read by the loader in this process, every epoch
            if "loader" not in loaders:
                loaders["loader"] = torch.utils.data.DataLoader(TorchcodecClips(size), batch_size=BATCH, num_workers=2,
                                                                sampler=sampler, persistent_workers=True)
            clips = sum(int(batch.shape[0]) for batch in loaders["loader"])
        else:
            read = PEER_CLIPS.get(reader) or PEER_VARIANTS[reader]
            clips = len([read(path, indices, size) for path, indices in jobs])
        print(json.dumps({"seconds": time.perf_counter() - start, "cpu_seconds": tree_cpu_seconds() - cpu,
                          "clips": clips}), flush=True)


class PeerProcess:
    def __init__(self, python):
        self.process = subprocess.Popen([python, os.path.abspath(__file__), "--serve-peers"], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": ""})

    def ask(self, command):
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"The peers' process ended (exit code {self.process.wait()}).")
        return json.loads(line)

    def versions(self):
        code = ("import json, av, decord, torch, torchcodec, torchvision; print(json.dumps({'torch': torch.__version__,"
                " 'torchcodec': torchcodec.__version__, 'torchvision': torchvision.__version__, 'decord': "
                "decord.__version__, 'av': av.__version__}))")
        return json.loads(subprocess.run([self.process.args[0], "-c", code], capture_output=True, text=True,
                                         check=True).stdout)

    def close(self):
        # A quit command, not the end of stdin: forked processes of this run may hold the pipe open.
        try:
            self.process.stdin.write(json.dumps({"kind": "quit"}) + "\n")
            self.process.stdin.close()
            self.process.wait(timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait()


# ---------------------------------------------------------------------------------------------------------------
# stkeras readers (this environment)


def stkeras_clips(read, jobs, size):
    """`read(path, indices, index=, size=)` over the jobs, one process (the files' indexes made beforehand)."""
    return [center_crop(read(path, indices, index=INDEXES[path], size=size)) for path, indices in jobs]


INDEXES = {}  # path -> VideoIndex, made once (as a dataset keeps them)


def stkeras_pipeline(paths, **options):
    from stkeras.data import video_dataset_from_files

    return video_dataset_from_files(paths, [0] * len(paths), clip_length=CLIP_LENGTH, frame_step=FRAME_STEP,
                                    image_size=(CROP, CROP), resize_short=SHORT_SIDE, batch_size=BATCH,
                                    training=True, shuffle=True, seed=0, dtype="uint8", **options)


def epoch(dataset):
    clips, shape = 0, None
    for batch, _ in dataset:
        clips += int(batch.shape[0])
        shape = list(batch.shape[1:])
    return clips, shape


def exactness(frames, window, indices):
    """`(frames equal to the reference frame asked for, frames whose closest reference frame it is, mean |error|)`.

    `window` is `reference_window`'s: the frames around the clip, 8 either side.
    """
    first, reference = window
    equal = closest = 0
    errors = []
    for frame, index in zip(frames.astype(np.int16), indices):
        distance = np.abs(reference.astype(np.int16) - frame).mean(axis=(1, 2, 3))
        equal += int(distance[index - first] == 0)
        closest += int(np.argmin(distance) == index - first)
        errors.append(float(distance[index - first]))
    return equal, closest, float(np.mean(errors))


def emit(record, out):
    line = json.dumps(record)
    print(line, flush=True)
    if out is not None:
        out.write(line + "\n")
        out.flush()


def machine():
    model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
                 platform.processor())
    return {"cpu": model, "cores": len(os.sched_getaffinity(0)), "python": platform.python_version(),
            "load_average": [round(x, 2) for x in os.getloadavg()]}


def run_set(name, paths, args, peers, out):
    import av

    from stkeras.data import decode_frames
    from stkeras.data import write_frame_cache
    from stkeras.data.clip_reader import read_clip
    from stkeras.data.video_index import index_video

    counts = frame_counts(paths)
    with av.open(paths[0]) as container:
        size = resized_size(container.streams.video[0].height, container.streams.video[0].width)
    rng = np.random.default_rng(0)
    INDEXES.update({path: index_video(path) for path in paths})

    # Exactness: every decoder's frames at one clip's indices per video, unresized, against FFmpeg's decode.
    check = list(zip(paths, job_indices(counts, rng)))
    windows = [reference_window(path, indices) for path, indices in check]
    decoders, exact = {"stkeras decode_frames": decode_frames, "stkeras read_clip": read_clip}, {}
    if peers is not None:
        decoders.update({reader: None for reader in PEER_CLIPS})
    for reader, read in decoders.items():
        with tempfile.TemporaryDirectory() as scratch:
            if read is not None:
                frames = [read(path, indices, index=INDEXES[path]) for path, indices in check]
            else:
                target = os.path.join(scratch, "frames.npy")
                peers.ask({"kind": "exact", "reader": reader, "jobs": check, "size": size, "out": target})
                frames = list(np.load(target))
        results = np.array([exactness(clip, window, indices)
                            for clip, window, (_, indices) in zip(frames, windows, check)])
        exact[reader] = (int(results[:, 0].sum()), sum(len(indices) for _, indices in check))
        emit({"set": name, "exactness": reader, "equal_frames": exact[reader][0], "frames": exact[reader][1],
              "closest_is_the_frame_asked_for": int(results[:, 1].sum()),
              "mean_abs_difference": round(float(results[:, 2].mean()), 3)}, out)

    # The pipelines (made once: indexing is timed apart) and the frame cache.
    start = time.perf_counter()
    pipelines = {"stkeras tf.data pipeline, decoding threads": stkeras_pipeline(paths, workers=0)}
    creation = time.perf_counter() - start
    pipelines[f"stkeras tf.data pipeline, {args.workers} decoding processes"] = stkeras_pipeline(
        paths, workers=args.workers)
    cache_folder = os.path.join(os.path.dirname(paths[0]) + "-cache")
    shutil.rmtree(cache_folder, ignore_errors=True)
    start = time.perf_counter()
    write_frame_cache(paths, cache_folder, resize_short=SHORT_SIDE, image_size=(CROP, CROP), verbose=False)
    cache_seconds = time.perf_counter() - start
    pipelines["stkeras tf.data pipeline over the frame cache"] = stkeras_pipeline(paths, cache=cache_folder)
    cache_bytes = sum(os.path.getsize(os.path.join(root, f)) for root, _, files in os.walk(cache_folder)
                      for f in files)
    video_bytes = sum(os.path.getsize(p) for p in paths)
    info = {"dataset_creation_s": round(creation, 3), "cache_write_s": round(cache_seconds, 2),
            "cache_bytes": cache_bytes, "video_bytes": video_bytes}
    emit({"set": name, **info}, out)

    readers = {reader: (lambda dataset: lambda jobs: epoch(dataset)[0])(dataset)
               for reader, dataset in pipelines.items()}
    readers["stkeras read_clip, one process"] = lambda jobs: len(stkeras_clips(read_clip, jobs, size))
    readers["stkeras decode_frames, one process"] = lambda jobs: len(stkeras_clips(decode_frames, jobs, size))
    if peers is not None:
        for reader in PEER_READERS:
            readers[reader] = (lambda reader: lambda jobs: peers.ask(
                {"kind": "time", "reader": reader, "jobs": jobs, "size": size}))(reader)
    times, cpus = {reader: [] for reader in readers}, {reader: [] for reader in readers}
    for repeat in range(args.repeats + 1):  # the first pass warms up
        jobs = list(zip(paths, job_indices(counts, rng)))
        for reader, run in readers.items():
            start, cpu = time.perf_counter(), tree_cpu_seconds()
            answer = run(jobs)
            seconds, cpu_seconds = time.perf_counter() - start, tree_cpu_seconds() - cpu
            if isinstance(answer, dict):  # a peer, timed in its process
                seconds, cpu_seconds, answer = answer["seconds"], answer["cpu_seconds"], answer["clips"]
            if answer != len(paths):
                raise RuntimeError(f"{reader} read {answer} clips of {len(paths)}.")
            if repeat:
                times[reader].append(seconds)
                cpus[reader].append(cpu_seconds)
    rates = {}
    for reader, seconds in times.items():
        rates[reader] = (len(paths) / statistics.median(seconds), 1000 * statistics.median(cpus[reader]) / len(paths))
        emit({"set": name, "reader": reader, "clips": len(paths), "seconds": [round(s, 4) for s in seconds],
              "cpu_seconds": [round(s, 4) for s in cpus[reader]], "clips_per_s": round(rates[reader][0], 2),
              "cpu_ms_per_clip": round(rates[reader][1], 2)}, out)
    return rates, info, exact


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--videos", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2, help="stkeras' decoding processes")
    parser.add_argument("--peer-python", help="the Python of the peers' environment")
    parser.add_argument("--folder", help="keep the videos here (default: a temporary folder)")
    parser.add_argument("--sets", default=",".join(SETS), help="comma-separated: " + ", ".join(SETS))
    parser.add_argument("--out", help="also append the JSON lines to this file")
    parser.add_argument("--serve-peers", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_peers:
        return serve_peers()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    folder = args.folder or tempfile.mkdtemp(prefix="video_decoding-")
    out = open(args.out, "a") if args.out else None
    peers = PeerProcess(args.peer_python) if args.peer_python else None
    try:
        import av
        import tensorflow as tf

        emit({"machine": machine(), "av": av.__version__, "ffmpeg": av.library_versions["libavcodec"],
              "tensorflow": tf.__version__, "peers": peers.versions() if peers else None,
              "videos": args.videos, "seconds": args.seconds}, out)
        results = {}
        for name in args.sets.split(","):
            paths = write_videos(os.path.join(folder, name.replace(" ", "-")), args.videos, args.seconds, SETS[name])
            results[name] = run_set(name, paths, args, peers, out)
        emit({"load_average_after": [round(x, 2) for x in os.getloadavg()]}, out)
    finally:
        if peers is not None:
            peers.close()
        if out is not None:
            out.close()
        if not args.folder:
            shutil.rmtree(folder, ignore_errors=True)
    report(results, args)


# The decoder each reader's frames come from (its exactness row).
DECODER = {"stkeras tf.data pipeline": "stkeras read_clip", "stkeras read_clip": "stkeras read_clip",
           "stkeras decode_frames": "stkeras decode_frames", "plain PyAV loop": "plain PyAV loop",
           "decord": "decord", "torchcodec": "torchcodec", "DataLoader": "torchcodec"}


def report(results, args):
    """The table (clips/s, CPU ms per clip, exact frames per set), ratios to the fastest peer, the cache."""
    names = list(results)
    readers = list(results[names[0]][0])
    print(f"\n{args.videos} videos of {args.seconds:g} s at 320x240 per set; one clip of {CLIP_LENGTH} frames, step "
          f"{FRAME_STEP}, per video; short side {SHORT_SIDE}, {CROP}x{CROP} crop, uint8. Medians of {args.repeats} "
          "interleaved passes; CPU: all the reader's processes; cores: the cores it kept busy (clips/s x CPU "
          "time per clip); exact: frames equal to FFmpeg's decode from the start (unresized).\n")
    print("| reader | " + " | ".join(f"{n}: clips/s | CPU ms/clip | cores | exact" for n in names) + " |")
    print("|---|" + "---|---|---|---|" * len(names))
    for reader in readers:
        decoder = next((d for prefix, d in DECODER.items() if reader.startswith(prefix)), None)
        cells = []
        for n in names:
            rate, cpu = results[n][0][reader]
            hits, total = results[n][2].get(decoder, (None, None))
            cells.append(f"{rate:.1f} | {cpu:.1f} | {rate * cpu / 1000:.2f} | " + (f"{hits}/{total}" if total else "-"))
        print(f"| {reader} | " + " | ".join(cells) + " |")
    peers = [r for r in readers if not r.startswith("stkeras")]
    for n in names:
        rates = results[n][0]
        if peers:
            fastest = max(peers, key=lambda r: rates[r][0])
            print(f"\n{n}: the fastest peer is {fastest} ({rates[fastest][0]:.1f} clips/s);")
            for reader in (r for r in readers if r.startswith("stkeras tf.data pipeline")):
                print(f"- {reader}: {rates[reader][0] / rates[fastest][0]:.2f}x its clips/s, "
                      f"{rates[reader][1] / rates[fastest][1]:.2f}x its CPU time per clip")
        info = results[n][1]
        video = next(r for r in readers if "decoding threads" in r)
        cache = next(r for r in readers if "frame cache" in r)
        print(f"{n}: the frame cache gives {rates[cache][0] / rates[video][0]:.2f}x the clips/s of the pipeline over "
              f"the .mp4 files (decoding threads); {info['cache_bytes'] / 2**20:.0f} MiB on disk for "
              f"{info['video_bytes'] / 2**20:.1f} MiB of video, written in {info['cache_write_s']:.1f} s; indexing the "
              f"videos when the dataset is made: {info['dataset_creation_s']:.2f} s")


if __name__ == "__main__":
    main()
