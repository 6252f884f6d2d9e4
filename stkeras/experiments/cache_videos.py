"""`stkeras cache DIR OUT`: a folder's videos decoded once into a frame cache that later runs read instead.

The plan lists the videos and checks the cache's settings against what
`OUT` already holds; the run decodes the videos not yet cached (an
interrupted run resumes) and prints what the cache holds.

Example:
>>> run_cache(plan_cache(data="videos", out="videos-cache", image_size=112))  # doctest: +SKIP
Frame cache videos-cache: 20 videos, 5000 frames, 313.2 MiB
"""

import dataclasses
import os

from stkeras.data import check_frame_cache
from stkeras.data import list_videos
from stkeras.data import write_frame_cache
from stkeras.validation import check_choice
from stkeras.validation import check_positive_int


@dataclasses.dataclass
class CachePlan:
    """The videos to cache, the cache folder and `write_frame_cache`'s settings."""

    paths: list
    out: str
    resize_short: int
    image_size: tuple
    workers: int
    on_error: str


def plan_cache(*, data, out, image_size=112, resize_short=None, workers=None, on_error="raise", verbose=False):
    """Lists the videos of folder `data` and checks that folder `out` can cache them with these settings.

    Args:
        data: a folder of video files or frame folders (searched in depth).
        out: the cache folder; one made with other settings is refused.
        image_size: the clips' frame height and width.
        resize_short: the cached frames' short side (default `image_size` x 8/7).
        workers: decoding processes (default: one per CPU core).
        on_error: `"raise"` or `"skip"` a video that cannot be decoded.
        verbose: unused (the command line's).
    """
    if not os.path.isdir(data):
        raise ValueError(f"DIR must be a folder of videos. Received: {data!r} (no such folder)")
    image_size = (check_positive_int("image_size", image_size),) * 2
    check_frame_cache(out, resize_short=resize_short, image_size=image_size)
    check_choice("on_error", on_error, ("raise", "skip"))
    paths = list_videos(data)
    if not paths:
        raise ValueError(f"No videos (video files or frame folders) in {data!r}.")
    return CachePlan(paths, out, resize_short, image_size, check_positive_int("workers", workers, allow_none=True),
                     on_error)


def run_cache(plan):
    """Writes the frames not yet cached, prints the cache's videos, frames and size; returns the cached entries.

    A video that cannot be decoded raises `VideoDecodeError` naming it
    (`on_error="raise"`), or is left out and named (`"skip"`).
    """
    kept, entries, skipped = write_frame_cache(plan.paths, plan.out, resize_short=plan.resize_short,
                                               image_size=plan.image_size, workers=plan.workers,
                                               on_error=plan.on_error)
    size = sum(os.path.getsize(file) for file, _, _ in entries)
    print(f"Frame cache {plan.out}: {len(kept)} video{'s' if len(kept) != 1 else ''}, "
          f"{sum(frames for _, frames, _ in entries)} frames, {size / 2**20:.1f} MiB")
    for path, reason in skipped:
        print(f"skipped {path}: {reason}")
    return entries
