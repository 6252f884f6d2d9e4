"""Frame strips: clips drawn as rows of frames, written as PNG."""

import numpy as np


def plot_frame_strip(clips, path, titles=None, frames=None, cmap="gray"):
    """Writes a PNG with one row per clip and one column per frame.

    Args:
        clips: array `(n, time, height, width[, 1])` (or one clip without
            `n`), or uint8 RGB frames `(n, time, height, width, 3)` drawn as
            they are (e.g. `stkeras.viz.overlay.blend`).
        path: where to write the PNG.
        titles: optional list of `n` row labels.
        frames: optional list of frame indices to show (default: all).
        cmap: matplotlib colormap of gray clips.

    Returns:
        `path`.

    Example:
    >>> import numpy as np
    >>> plot_frame_strip(np.zeros((2, 4, 8, 8)), "/tmp/strip.png")
    '/tmp/strip.png'
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    clips = np.asarray(clips)
    rgb = clips.ndim == 5 and clips.shape[-1] == 3
    if not rgb:
        clips = clips.astype(np.float32)
        if clips.ndim == 5:
            clips = clips[..., 0]
        if clips.ndim == 3:
            clips = clips[None]
    if clips.ndim != (5 if rgb else 4):
        raise ValueError(f"`clips` must be (n, time, height, width[, 1]) or RGB (n, time, height, width, 3). "
                         f"Received shape: {clips.shape}")
    frames = list(range(clips.shape[1])) if frames is None else list(frames)
    rows, cols = len(clips), len(frames)
    figure, axes = plt.subplots(rows, cols, figsize=(0.8 * cols + 1.2, 0.8 * rows + 0.3), squeeze=False)
    top = None if rgb else clips.max() or 1.0
    for r in range(rows):
        for c, t in enumerate(frames):
            axis = axes[r, c]
            if rgb:
                axis.imshow(clips[r, t])
            else:
                axis.imshow(clips[r, t], cmap=cmap, vmin=0, vmax=top)
            axis.set_xticks([])
            axis.set_yticks([])
            if r == 0:
                axis.set_title(str(t), fontsize=7)
        if titles is not None:
            axes[r, 0].set_ylabel(titles[r], fontsize=7, rotation=0, ha="right", va="center")
    figure.tight_layout(pad=0.2)
    figure.savefig(path, dpi=80, bbox_inches="tight")
    plt.close(figure)
    return path
