"""Keeping the memory TensorFlow frees in the process, instead of returning it to the system every step.

On Linux, glibc's `malloc` serves large blocks with `mmap` and gives them
back with `munmap` when they are freed. A training step of a video model
allocates and frees activations of tens of megabytes (16 frames of 32×32×16
floats for a batch of 32 are 33.5 MB), so every step maps fresh pages and
the kernel zeroes them: on the 2-core development machine 0.72 s of a
0.88 s step of Courtney & Sreenivas 2022's conv2d model was system time. With freed memory
kept in the heap for reuse the same step takes 0.43 s (0.04 s system time).
The process then holds on to its peak memory until it exits, as a GPU
allocator does.

`keep_freed_memory()` sets that (`mallopt`, glibc only); the `stkeras`
command line calls it, a program that imports stkeras decides for itself.
`return_freed_memory()` does the opposite, for measuring memory: every
freed block of 64 KiB or more goes back to the system at once, so that the
resident memory follows what the process holds.
"""

import ctypes
import ctypes.util
import sys

# mallopt parameters of glibc's malloc.h.
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
# Larger than any block a step allocates: glibc 2.36 accepts it (older
# versions cap the mmap threshold at 32 MiB and refuse it).
_LARGE = 2**30


def _mallopt(*settings):
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl and other C libraries have no mallopt
        return False
    return all([bool(mallopt(parameter, value)) for parameter, value in settings])


def keep_freed_memory():
    """Makes glibc's malloc keep freed blocks for reuse; returns whether it applied.

    It is a process-wide setting that lasts until the process exits: freed
    memory is not returned to the system (peak memory stays resident), and
    large allocations are no longer fresh zeroed pages. Nothing happens,
    and `False` is returned, off Linux or without glibc.

    Example:
    >>> applied = keep_freed_memory()  # True on Linux with glibc
    """
    return _mallopt((_M_MMAP_THRESHOLD, _LARGE), (_M_TRIM_THRESHOLD, _LARGE))


def trim_freed_memory():
    """Returns the memory that the process has freed to the system now, once; returns whether it applied.

    With `keep_freed_memory()` a long-lived process (a test run, a search
    of many trials) holds its peak memory and the holes between live
    blocks; `malloc_trim` gives the free pages back without changing the
    setting. It costs milliseconds: call it between jobs, not between steps.

    Example:
    >>> applied = trim_freed_memory()  # True on Linux with glibc
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.malloc_trim(0))  # 1 if memory was returned, 0 if there was none to return
    except (OSError, AttributeError):
        return False


def return_freed_memory():
    """Makes glibc's malloc return freed blocks of 64 KiB or more to the system; returns whether it applied.

    The resident memory then follows what the process holds (at some cost
    in speed): what `stkeras.analysis.training_step_memory` measures with
    where TensorFlow's allocator keeps no counts (a CPU without oneDNN).

    Example:
    >>> applied = return_freed_memory()  # True on Linux with glibc
    >>> applied = keep_freed_memory()  # back to the fast setting
    """
    return _mallopt((_M_MMAP_THRESHOLD, 64 * 1024), (_M_TRIM_THRESHOLD, 64 * 1024))
