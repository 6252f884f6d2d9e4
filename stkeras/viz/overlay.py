"""Explanation maps blended over their clips: animated GIFs and frame-strip PNGs."""

import numpy as np

from stkeras.viz.frame_strip import plot_frame_strip


def blend(clip, heatmap, alpha=0.5, cmap="jet", scale=4):
    """RGB frames of `clip` with `heatmap` blended over them, enlarged `scale` times.

    Args:
        clip: array `(frames, height, width[, 1])` (grey) or `(frames,
            height, width, 3)` (RGB), values in [0, 1].
        heatmap: array `(frames, height, width)` in [0, 1].
        alpha: the heatmap's weight in the blend.
        cmap: matplotlib colormap of the heatmap.
        scale: integer enlargement (nearest neighbour), so small frames can be seen.

    Returns:
        uint8 array `(frames, height * scale, width * scale, 3)`.

    Example:
    >>> blend(np.zeros((2, 8, 8)), np.ones((2, 8, 8)), scale=2).shape
    (2, 16, 16, 3)
    """
    import matplotlib

    clip = np.asarray(clip, dtype=np.float32)
    clip = clip[..., 0] if clip.ndim == 4 and clip.shape[-1] == 1 else clip
    heatmap = np.asarray(heatmap, dtype=np.float32)
    rgb_clip = clip.ndim == 4 and clip.shape[-1] == 3
    if clip.shape[:3] != heatmap.shape or clip.ndim != (4 if rgb_clip else 3):
        raise ValueError(f"`clip` (frames, height, width[, 1 or 3]) and `heatmap` (frames, height, width) must "
                         f"match. Received shapes: clip {clip.shape}, heatmap {heatmap.shape}")
    colors = matplotlib.colormaps[cmap](np.clip(heatmap, 0, 1))[..., :3]
    frames = np.clip(clip, 0, 1) if rgb_clip else np.repeat(np.clip(clip, 0, 1)[..., None], 3, axis=-1)
    rgb = (1 - alpha) * frames + alpha * colors
    rgb = np.repeat(np.repeat(rgb, scale, axis=1), scale, axis=2)
    return (rgb * 255).round().astype(np.uint8)


def write_gif(clip, heatmap, path, fps=4, **blend_options):
    """Writes the clip with its heatmap blended over it as an animated GIF (Pillow).

    Args:
        clip, heatmap: see `blend`.
        path: the GIF's path.
        fps: frames per second.
        **blend_options: `alpha`, `cmap`, `scale` of `blend`.

    Returns:
        `path`.

    Example:
    >>> write_gif(np.zeros((3, 8, 8)), np.ones((3, 8, 8)), "/tmp/map.gif")
    '/tmp/map.gif'
    """
    from PIL import Image

    frames = [Image.fromarray(frame) for frame in blend(clip, heatmap, **blend_options)]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=int(1000 / fps), loop=0)
    return path


def plot_overlay_strip(clips, heatmaps, path, titles=None, **blend_options):
    """Writes a PNG with one row per clip: its frames with the heatmap blended over them.

    Args:
        clips: array `(n, frames, height, width[, 1])`.
        heatmaps: array `(n, frames, height, width)`.
        path: where to write the PNG.
        titles: optional row labels.
        **blend_options: see `blend` (`scale` defaults to 1 here).

    Returns:
        `path`.

    Example:
    >>> plot_overlay_strip(np.zeros((2, 3, 8, 8)), np.ones((2, 3, 8, 8)), "/tmp/maps.png")
    '/tmp/maps.png'
    """
    clips, heatmaps = np.asarray(clips), np.asarray(heatmaps)
    if len(clips) != len(heatmaps):
        raise ValueError(f"`clips` and `heatmaps` must hold as many clips. Received: {len(clips)} and "
                         f"{len(heatmaps)}")
    blend_options.setdefault("scale", 1)
    frames = np.stack([blend(clip, heatmap, **blend_options) for clip, heatmap in zip(clips, heatmaps)])
    return plot_frame_strip(frames, path, titles=titles)
