"""Worker processes that decode video files for `tf.data` pipelines (`workers=N`).

By default a pipeline decodes on `tf.data`'s threads: PyAV lets go of
Python's interpreter lock while FFmpeg demuxes, decodes and converts, so the
threads decode in parallel and share the lock only for the Python part of
reading a clip (2-3 ms of the 20 ms a 320x240 clip takes here). Worker
processes each have their own interpreter: a pipeline sends `(path, frame
indices, size)` to a worker and gets the frames back as uint8 (a clip of 16
frames at 128x171 is 1 MB, about 1 ms of this process' time to receive).
They pay off with many cores, and a decoder that crashes kills only its
worker.

One pool per process and number of workers, shared by every pipeline,
started when the first pipeline that needs it is made. Its workers are
forked where the platform can (Linux): they start in milliseconds and run
PyAV and NumPy only, never TensorFlow, JAX or PyTorch, so the threads of
those libraries in the parent do not matter to them. A worker that dies (a
crash inside FFmpeg) breaks the pool: the call that saw it raises an
error naming its file, and the next call starts a new pool.
"""

import atexit
import concurrent.futures
import math
import multiprocessing
import os
import threading
import warnings

_POOLS = {}
_LOCK = threading.Lock()


@atexit.register
def _shut_pools_down():
    """Stops the pools' workers at exit, while the interpreter can still run the pools' clean-up."""
    with _LOCK:
        for pool in _POOLS.values():
            pool.shutdown(wait=True, cancel_futures=True)
        _POOLS.clear()


def default_workers():
    """The CPU cores this process may run on (the default number of decoding workers).

    Example:
    >>> default_workers() >= 1
    True
    """
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def decode_size(height, width, resize_short, image_size):
    """The `(height, width)` a frame is decoded to for clips: short side `resize_short`, at least `image_size`.

    Rounded up, so that a crop of `image_size` always fits.

    Example:
    >>> decode_size(240, 320, 128, (112, 112))
    (128, 171)
    """
    scale = max(resize_short / min(height, width), image_size[0] / height, image_size[1] / width)
    return (max(math.ceil(height * scale - 1e-3), image_size[0]), max(math.ceil(width * scale - 1e-3), image_size[1]))


def _context():
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def decode_pool(workers):
    """The shared pool of `workers` decoding processes (started, or restarted after a crash, here).

    Args:
        workers: the number of processes (>= 1).

    Example:
    >>> decode_pool(1).submit(sum, [1, 2]).result()
    3
    """
    with _LOCK:
        pool = _POOLS.get(workers)
        if pool is not None and not getattr(pool, "_broken", False):
            return pool
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
        pool = concurrent.futures.ProcessPoolExecutor(max_workers=workers, mp_context=_context())
        with warnings.catch_warnings():
            # JAX warns at every fork that a child using JAX could deadlock; these children never use it.
            warnings.filterwarnings("ignore", message=r"os\.fork\(\) was called", category=RuntimeWarning)
            pool.submit(int).result()  # forks every worker now, from this thread, not later from a tf.data thread
        _POOLS[workers] = pool
        return pool


def run_in_worker(workers, what, function, *args, **kwargs):
    """`function(*args, **kwargs)` run in the pool of `workers` processes; its exception is raised here.

    Args:
        workers: the size of the pool.
        what: names the work in the error raised if a worker dies (e.g.
            the video file).
        function: a module-level function (sent to the worker by name).

    Example:
    >>> run_in_worker(1, "a sum", sum, [1, 2])
    3
    """
    try:
        return decode_pool(workers).submit(function, *args, **kwargs).result()
    except concurrent.futures.process.BrokenProcessPool:
        raise RuntimeError(f"A decoding worker process died while reading {what} (a crash inside the decoder); "
                           "the next read starts new workers.") from None
