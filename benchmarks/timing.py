"""Timing shared by the benchmarks: peers measured interleaved, median per step."""

import time

import numpy as np


def median_times(steps, repeats, warmups=2):
    """Median seconds per call of each `steps[name]()`, interleaved (one call of each per round) after warm-ups.

    Interleaving makes a slower spell of a shared machine affect every peer alike. `warmups`: calls before the
    timed rounds, one number for every step or a dict of step name -> number (2 where a name is missing).
    """
    for name, step in steps.items():
        for _ in range(warmups.get(name, 2) if isinstance(warmups, dict) else warmups):
            step()
    times = {name: [] for name in steps}
    for _ in range(repeats):
        for name, step in steps.items():
            start = time.perf_counter()
            step()
            times[name].append(time.perf_counter() - start)
    return {name: float(np.median(t)) for name, t in times.items()}


def run_cases(cases, device):
    """Runs each `cases[name]()` (a dict of peer -> seconds) in a fresh Keras session, printing one JSON line per peer.

    Returns `[(case, results), ...]` in order, for the table.
    """
    import json

    import keras

    rows = []
    for case, run in cases.items():
        keras.utils.clear_session()
        results = run()
        for peer, seconds in results.items():
            print(json.dumps({"case": case, "peer": peer, "seconds": round(seconds, 4), "device": device}), flush=True)
        rows.append((case, results))
    return rows
