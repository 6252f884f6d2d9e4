"""Group a per-clip metric by fields of the clips' `info` (e.g. an (S, V) grid)."""

import numpy as np


def group_metric(values, info, by=("visible_every", "speed"), reduce="mean"):
    """Reduces per-clip `values` within groups of equal `info[field]` values.

    Args:
        values: per-clip numbers, shape `(n,)` (e.g. absolute errors, or
            0/1 correctness).
        info: dict of per-clip arrays of shape `(n,)` (as yielded by the
            synthesizers with `with_info=True`, concatenated over batches).
        by: the fields that form a group's key, in order.
        reduce: `"mean"` or `"sum"`.

    Returns:
        dict `{key tuple: (value, count)}`, keys sorted.

    Example:
    >>> info = {"visible_every": np.array([1, 1, 2]), "speed": np.array([3, 3, 3])}
    >>> group_metric(np.array([0.0, 1.0, 4.0]), info)
    {(1, 3): (0.5, 2), (2, 3): (4.0, 1)}
    """
    if reduce not in ("mean", "sum"):
        raise ValueError(f"Unknown `reduce`: {reduce!r}. Allowed values: 'mean', 'sum'.")
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    missing = [field for field in by if field not in info]
    if missing:
        raise ValueError(f"`by` names fields not in `info`: {missing}. Available: {sorted(info)}")
    keys = np.stack([np.asarray(info[field]).reshape(-1) for field in by], axis=1)
    if len(keys) != len(values):
        raise ValueError(f"`values` has {len(values)} entries but `info` has {len(keys)} clips.")
    unique, inverse = np.unique(keys, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    sums = np.bincount(inverse, weights=values, minlength=len(unique))
    counts = np.bincount(inverse, minlength=len(unique))
    result = sums / counts if reduce == "mean" else sums
    return {
        tuple(k.item() for k in key): (float(v), int(c))
        for key, v, c in zip(unique, result, counts)
    }
