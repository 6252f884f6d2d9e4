"""A frame cache: every video's decoded, resized frames written once, read by later runs instead of the video.

`stkeras cache DIR OUT`, `write_frame_cache(paths, OUT)` or a dataset's
`cache=OUT` decodes each video (or frame folder) once, in worker processes,
resized as a pipeline resizes it (the short side to `resize_short`, at least
`image_size`), and writes its frames as one uint8 array file per video:

    OUT/cache.json                       the settings: resize_short, image_size, rotate
    OUT/frames/3f/v_walk_g01-9c1e2b7a41.npy   (frames, height, width, 3) uint8
    OUT/frames/3f/v_walk_g01-9c1e2b7a41.json  its source: path, size, mtime, frames

A pipeline then reads a clip's frames straight from the array (a memory
map: only the clip's rows are read), with no decoding, and gives the same
clips as the pipeline over the videos for the same seed and settings. The
files are not compressed: a frame of 128x171 takes 64 KiB, 1.6 MiB a
second of 25 frames/s video, about 30 times the size of a typical H.264
file.

Writing resumes: a video's array is renamed into place only when it is
complete, so an interrupted run keeps the videos it finished and writes the
rest. A cached video whose source changed (size or modification time) or
whose array is damaged is written again. A video that cannot be decoded is
named in the error (or, with `on_error="skip"`, left out and counted).
"""

import concurrent.futures
import functools
import hashlib
import itertools
import json
import os
import sys
import warnings

import numpy as np

from stkeras.data.decode_workers import decode_pool
from stkeras.data.decode_workers import decode_size
from stkeras.data.decode_workers import default_workers
from stkeras.data.video_decode import VideoDecodeError
from stkeras.data.video_decode import decode_frames
from stkeras.data.video_index import index_video
from stkeras.validation import check_bool
from stkeras.validation import check_choice
from stkeras.validation import check_positive_int
from stkeras.validation import normalize_tuple

FORMAT = 1
CHUNK_BYTES = 256 * 2**20  # a video is decoded in chunks of frames of at most this many bytes


def _settings(resize_short, image_size, rotate):
    image_size = normalize_tuple(image_size, 2, "image_size")
    resize_short = check_positive_int("resize_short", resize_short, allow_none=True)
    return {"format": FORMAT, "resize_short": resize_short or round(max(image_size) * 8 / 7),
            "image_size": list(image_size), "rotate": check_bool("rotate", rotate)}


def cache_file(cache, path):
    """The array file of video `path` in the cache folder `cache` (named by its real path's hash).

    Example:
    >>> cache_file("cache", "videos/walk/v_001.mp4")  # doctest: +SKIP
    'cache/frames/5e/v_001-5e1f0c9a2b.npy'
    """
    real = os.path.realpath(path)
    digest = hashlib.sha1(real.encode()).hexdigest()
    stem = os.path.splitext(os.path.basename(real.rstrip(os.sep)))[0]
    return os.path.join(cache, "frames", digest[:2], f"{stem}-{digest[:10]}.npy")


def _source_stamp(path):
    stat = os.stat(path)
    size = stat.st_size if os.path.isfile(path) else sum(os.path.getsize(os.path.join(path, f))
                                                         for f in sorted(os.listdir(path)))
    return {"source": os.path.realpath(path), "bytes": size, "mtime_ns": stat.st_mtime_ns}


def _entry(cache, path):
    """The cached `(frames, height, width)` of `path`, or None if it is missing, stale or damaged."""
    target = cache_file(cache, path)
    try:
        with open(target[:-4] + ".json") as handle:
            entry = json.load(handle)
        if {key: entry[key] for key in ("source", "bytes", "mtime_ns")} != _source_stamp(path):
            return None
        expected = entry["frames"] * entry["height"] * entry["width"] * 3
        array = np.load(target, mmap_mode="r")
        if array.shape != (entry["frames"], entry["height"], entry["width"], 3) or array.nbytes != expected:
            return None
        return entry["frames"], entry["height"], entry["width"]
    except (OSError, ValueError, KeyError, TypeError):  # missing, partly written or damaged: written again
        return None


def _frame_folder_reader(path):
    """`read(indices, index, rotate, size)` of a frame folder: its frames as the pipelines make them (TensorFlow)."""
    import tensorflow as tf

    from stkeras.data.video_folder import decode_resized_frames
    from stkeras.data.video_folder import list_frames

    files = np.asarray(list_frames(os.path.dirname(path), os.path.basename(path)))
    return lambda indices, **options: decode_resized_frames(tf.constant(files[indices]), options["size"]).numpy()


def _write_one(path, target, resize_short, image_size, rotate):
    """Decodes video `path` resized and writes it to `target`; returns `(frames, height, width)`.

    A video file is decoded by PyAV (in a worker process), a frame folder by
    TensorFlow (in the main process: the workers never run TensorFlow).
    """
    read = _frame_folder_reader(path) if os.path.isdir(path) else functools.partial(decode_frames, path)
    index = index_video(path)
    height, width = decode_size(*index.display_size(rotate), resize_short, image_size)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    partial = f"{target}.{os.getpid()}.part"  # one writer a file, even when an interrupted run still writes
    try:
        array = np.lib.format.open_memmap(partial, mode="w+", dtype=np.uint8,
                                          shape=(index.num_frames, height, width, 3))
        chunk = max(1, CHUNK_BYTES // (height * width * 3))
        for start in range(0, index.num_frames, chunk):
            indices = np.arange(start, min(start + chunk, index.num_frames))
            array[indices] = read(indices, index=index, rotate=rotate, size=(height, width))
        array.flush()
        del array
        os.replace(partial, target)  # the array first: an entry is current only once its stamp follows
    except BaseException:
        if os.path.exists(partial):
            os.remove(partial)  # a video that failed part way leaves no partial array behind
        raise
    stamp = target[:-4] + ".json"
    with open(stamp + ".part", "w") as handle:
        json.dump({**_source_stamp(path), "frames": index.num_frames, "height": height, "width": width}, handle)
    os.replace(stamp + ".part", stamp)
    return index.num_frames, height, width


def _write_or_error(path, target, resize_short, image_size, rotate):
    try:
        return _write_one(path, target, resize_short, image_size, rotate), None
    except VideoDecodeError as error:
        return None, str(error)
    except Exception as error:  # PyAV and TensorFlow raise their own types for damaged data
        return None, f"Video {path!r} could not be read: {type(error).__name__}: {error}"


def check_frame_cache(cache, *, resize_short=None, image_size=(112, 112), rotate=True):
    """Checks the arguments of a frame cache and that folder `cache` holds no frames made with others.

    Args:
        cache: the cache folder (it need not exist yet).
        resize_short, image_size, rotate: as `write_frame_cache`'s.

    Returns:
        The cache's settings (as its `cache.json` records them).

    Raises:
        ValueError: an argument is out of range, or the folder's `cache.json`
            records other settings.

    Example:
    >>> check_frame_cache("cache", image_size=(112, 112))["resize_short"]  # doctest: +SKIP
    128
    """
    settings = _settings(resize_short, image_size, rotate)
    manifest = os.path.join(os.fspath(cache), "cache.json")
    found = None
    if os.path.exists(manifest):
        with open(manifest) as handle:
            try:
                found = json.load(handle)
            except ValueError:
                found = None
    if found is not None and found != settings:
        raise ValueError(f"The frame cache {os.fspath(cache)!r} holds frames made with {found}; this run asks for "
                         f"{settings}. Use another folder, or the cache's settings.")
    return settings


def _claim_cache(cache, settings):
    """Writes `cache.json` with `settings` unless the folder has it (checked by `check_frame_cache`)."""
    os.makedirs(cache, exist_ok=True)
    manifest = os.path.join(cache, "cache.json")
    if os.path.exists(manifest):
        try:
            with open(manifest) as handle:
                if json.load(handle) == settings:
                    return
        except ValueError:
            pass
    with open(manifest + ".part", "w") as handle:
        json.dump(settings, handle)
    os.replace(manifest + ".part", manifest)


def write_frame_cache(paths, cache, *, resize_short=None, image_size=(112, 112), rotate=True, workers=None,
                      on_error="raise", verbose=True):
    """Decodes and writes the frames of `paths` not yet in the cache folder `cache`; returns their entries.

    Args:
        paths: video files or frame folders.
        cache: the cache folder (made if missing).
        resize_short: the short side of the cached frames (default:
            `max(image_size) * 8 / 7`, 128 for 112), as the pipeline's.
        image_size: the clips' `(height, width)`: a frame is made at least
            this large.
        rotate: apply the files' display rotation (as the pipeline's `rotate`).
        workers: decoding processes (default: one per CPU core).
        on_error: a video that cannot be decoded: `"raise"` (a
            `VideoDecodeError` naming it) or `"skip"` (left out, with a warning
            that counts it).
        verbose: show a progress bar (on stderr) while writing.

    Returns:
        `(kept paths, [(array file, frames, (height, width))], skipped
        [(path, reason)])`.

    Example:
    >>> kept, entries, skipped = write_frame_cache(["v1.mp4", "v2.mp4"], "cache")  # doctest: +SKIP
    """
    settings = check_frame_cache(cache, resize_short=resize_short, image_size=image_size, rotate=rotate)
    check_choice("on_error", on_error, ("raise", "skip"))
    check_bool("verbose", verbose)
    workers = check_positive_int("workers", workers, allow_none=True) or default_workers()
    paths = [os.fspath(path) for path in paths]
    missing_sources = [path for path in paths if not os.path.exists(path)]
    if missing_sources:
        raise VideoDecodeError(f"Video file {missing_sources[0]!r} does not exist ({len(missing_sources)} of "
                               f"{len(paths)} videos are missing).")
    _claim_cache(os.fspath(cache), settings)
    entries = {path: _entry(cache, path) for path in paths}
    todo = [path for path in paths if entries[path] is None]
    skipped = []
    if todo:
        image_size = tuple(settings["image_size"])
        progress = None
        if verbose:
            from tqdm.auto import tqdm

            done = f", {len(paths) - len(todo)} already there" if len(todo) < len(paths) else ""
            progress = tqdm(total=len(todo), desc=f"Frame cache {cache}{done}", unit="video", file=sys.stderr)
        arguments = (settings["resize_short"], image_size, rotate)
        pool = decode_pool(workers)
        futures = {pool.submit(_write_or_error, path, cache_file(cache, path), *arguments): path
                   for path in todo if not os.path.isdir(path)}
        folders = [path for path in todo if os.path.isdir(path)]
        written = itertools.chain(((path, _write_or_error(path, cache_file(cache, path), *arguments))
                                   for path in folders),
                                  ((futures[future], _result(future, futures[future])) for future in
                                   concurrent.futures.as_completed(futures)))
        try:
            for path, (entry, error) in written:
                if error is not None:
                    if on_error == "raise":
                        raise VideoDecodeError(f"{error} (writing the frame cache {cache!r}; on_error='skip' "
                                               "leaves it out)")
                    skipped.append((path, error))
                entries[path] = entry
                if progress is not None:
                    progress.update(1)
        finally:
            for future in futures:
                future.cancel()
            if progress is not None:
                progress.close()
    if skipped:
        warnings.warn(f"Skipped {len(skipped)} of {len(paths)} videos that could not be decoded, e.g. "
                      f"{skipped[0][1]}")
    kept = [path for path in paths if entries[path] is not None]
    return kept, [(cache_file(cache, path), entries[path][0], tuple(entries[path][1:])) for path in kept], skipped


def _result(future, path):
    try:
        return future.result()
    except concurrent.futures.process.BrokenProcessPool:
        return None, f"Video {path!r}: a decoding worker process died while writing it (a crash inside the decoder)"


def read_cached_frames(file, indices):
    """Frames `indices` of a cached video's array file, uint8 `(len(indices), height, width, 3)`.

    Example:
    >>> read_cached_frames(cache_file("cache", "v1.mp4"), [0, 2, 4]).shape  # doctest: +SKIP
    (3, 128, 171, 3)
    """
    try:
        array = np.load(file, mmap_mode="r")
        return np.ascontiguousarray(array[np.asarray(indices, np.int64)])
    except (OSError, ValueError, IndexError) as error:
        raise VideoDecodeError(f"Frame cache file {file!r} is damaged or was changed while reading ({error}); "
                               "delete it and write the cache again.") from None
