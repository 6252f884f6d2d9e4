"""Whether an explanation points at the evidence: the share of a map's mass inside the evidence boxes."""

import numpy as np


def localization_score(maps, masks):
    """Share of each map's mass that lies on the evidence, on the frames that have evidence.

    Args:
        maps: array `(n, frames, height, width)` of non-negative values
            (e.g. `stkeras.explain.gradcam`).
        masks: boolean array of the same shape, the evidence of each frame
            (e.g. `stkeras.data.evidence_masks`); frames with an empty mask
            are left out.

    Returns:
        `{"score": mean over clips, "chance": mean share of the frame the
        boxes cover (a map spread evenly scores this), "scores": per clip
        (NaN where the map has no mass on the evidence frames),
        "frames_score": mean share of each map's whole mass on the frames
        with evidence (where in time), "frames_chance": mean share of the
        frames that have evidence}`.

    Example:
    >>> masks = np.zeros((1, 2, 4, 4), bool); masks[0, 0, :2, :2] = True
    >>> result = localization_score(np.ones((1, 2, 4, 4)), masks)
    >>> float(result["score"]), float(result["chance"]), float(result["frames_score"])
    (0.25, 0.25, 0.5)
    """
    maps, masks = np.asarray(maps, dtype=np.float64), np.asarray(masks, dtype=bool)
    if maps.shape != masks.shape or maps.ndim != 4:
        raise ValueError(f"`maps` and `masks` must both be (n, frames, height, width). Received shapes: "
                         f"maps {maps.shape}, masks {masks.shape}")
    if np.any(maps < 0) or not np.all(np.isfinite(maps)):
        raise ValueError("`maps` must be finite and non-negative.")
    evidence_frames = masks.any(axis=(2, 3))  # (n, frames)
    if not evidence_frames.any(axis=1).all():
        raise ValueError("Every clip needs at least one frame with evidence (a non-empty mask).")
    on_frames = maps * evidence_frames[..., None, None]
    total = on_frames.sum(axis=(1, 2, 3))
    inside = (on_frames * masks).sum(axis=(1, 2, 3))
    with np.errstate(invalid="ignore", divide="ignore"):
        scores = np.where(total > 0, inside / total, np.nan)
    area = masks.sum(axis=(2, 3)) / (masks.shape[2] * masks.shape[3])
    chance = (area * evidence_frames).sum(axis=1) / evidence_frames.sum(axis=1)
    everywhere = maps.sum(axis=(1, 2, 3))
    with np.errstate(invalid="ignore", divide="ignore"):
        in_time = np.where(everywhere > 0, total / everywhere, np.nan)
    return {"score": _mean(scores), "chance": float(chance.mean()), "scores": scores,
            "frames_score": _mean(in_time), "frames_chance": float(evidence_frames.mean())}


def _mean(values):
    return float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")
