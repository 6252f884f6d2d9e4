"""Guarding keras-tuner's state files (`oracle.json`, `trial_*/trial.json`) against a kill while they are written."""

import glob
import json
import os
import shutil
import warnings

from stkeras.atomic_files import write_text_atomically
from stkeras.training.backups import CheckpointWarning

GOOD = ".good"


def guard_search_state(project_dir):
    """Keeps a known-good copy of each state file of a search; restores it when the file is damaged.

    keras-tuner writes `oracle.json` and the trials' `trial.json` in place,
    so a search killed while writing one leaves a file that no longer
    parses, and reloading the search then fails. Called before the tuner
    reloads the search (each `stkeras tune` process does), this copies
    every file that parses to `<file>.good` (atomically) and puts the last
    good copy back over one that does not, with a `CheckpointWarning`
    naming it. A trial restored to an earlier state reruns, as a trial
    killed mid-way does. A damaged file with no good copy raises
    `ValueError` naming it.

    Args:
        project_dir: keras-tuner's project folder (`directory/project_name`).

    Example:
    >>> guard_search_state("runs/search/search")  # doctest: +SKIP
    """
    paths = [os.path.join(project_dir, "oracle.json")] + sorted(
        glob.glob(os.path.join(project_dir, "trial_*", "trial.json")))
    for path in paths:
        if not os.path.exists(path):
            continue
        with open(path) as handle:
            text = handle.read()
        try:
            json.loads(text)
        except ValueError as error:
            good = path + GOOD
            if not os.path.exists(good):
                raise ValueError(f"The search file {path} is damaged ({error}) and has no good copy to restore. "
                                 f"Delete the search folder or run with --overwrite to start afresh.") from None
            shutil.copyfile(good, path)
            warnings.warn(f"The search file {path} cannot be read ({error}); restored its last good copy, "
                          f"{good}.", CheckpointWarning, stacklevel=2)
        else:
            write_text_atomically(path + GOOD, text)
