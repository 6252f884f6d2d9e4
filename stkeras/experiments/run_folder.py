"""A run folder's settings file: a rerun resumes only the run its settings describe.

`compare`, `train` and `tune` resume what a run folder holds. A rerun with
other settings (another recipe, more epochs) into the same folder would mix
two runs, so the folder keeps the settings that made it in `settings.json`,
and a rerun whose settings differ is refused unless it asks to overwrite:
its plan checks (`check_run_folder`), its run claims the folder
(`claim_run_folder`).
"""

import json
import os
import shutil
import tempfile

from stkeras.experiments.report import log

SETTINGS_FILE = "settings.json"


def _jsonable(settings):
    return json.loads(json.dumps(settings, sort_keys=True, default=str))


def settings_differences(recorded, settings):
    """The settings that differ, as `"name: new (the folder's run: old)"` strings.

    Example:
    >>> settings_differences({"epochs": 2, "task": "digit"}, {"epochs": 3, "task": "digit"})
    ["epochs: 3 (the folder's run: 2)"]
    """
    recorded, settings = _jsonable(recorded), _jsonable(settings)
    missing = object()
    return [f"{name}: {settings.get(name, 'unset')} (the folder's run: {recorded.get(name, 'unset')})"
            for name in sorted(set(recorded) | set(settings))
            if recorded.get(name, missing) != settings.get(name, missing)]


def check_run_folder(out, settings, *, overwrite=False):
    """Raises `ValueError` if `out` holds a run with other settings and `overwrite` is False; changes nothing.

    A run's plan checks its folder with this; the run claims it
    (`claim_run_folder`) when it starts.
    """
    path = os.path.join(out, SETTINGS_FILE)
    if overwrite or not os.path.isfile(path):
        return
    differences = settings_differences(_recorded(path), settings)
    if differences:
        raise ValueError(f"--out {out!r} holds a run with other settings ({'; '.join(differences)}). Rerun "
                         "with its settings to resume it, choose another --out, or pass --overwrite to delete "
                         "it and start over.")


def _recorded(path):
    with open(path) as file:
        try:
            return json.load(file)
        except json.JSONDecodeError as error:
            raise ValueError(f"{path!r} is damaged ({error}); delete it, or pass --overwrite to start the run "
                             "over.") from error


def claim_run_folder(out, settings, *, overwrite=False):
    """Records `settings` in `out/settings.json`; refuses a folder whose run has other settings.

    Args:
        out: the run folder (created if missing).
        settings: a JSON-able dict of what defines the run: the resolved
            recipe and the options that change what is computed.
        overwrite: if the folder's run has other settings, delete the
            folder and start over instead of refusing. With the same
            settings the run resumes either way.

    Raises:
        ValueError: the folder holds a run with other settings and
            `overwrite` is False; the message names each difference.

    Example:
    >>> import tempfile
    >>> out = tempfile.mkdtemp()
    >>> claim_run_folder(out, {"epochs": 2})
    >>> claim_run_folder(out, {"epochs": 3})
    Traceback (most recent call last):
    ...
    ValueError: --out ... holds a run with other settings (epochs: 3 (the folder's run: 2)). ...
    """
    path = os.path.join(out, SETTINGS_FILE)
    if os.path.isfile(path):
        if not overwrite:
            check_run_folder(out, settings)
        differences = settings_differences(_recorded(path), settings)
        if not differences:
            return
        log(f"deleting the run in {out} (other settings: {'; '.join(differences)})")
        shutil.rmtree(out)
    os.makedirs(out, exist_ok=True)
    # A temporary file of this process' own: the chief and the workers of a distributed search claim one folder at once.
    with tempfile.NamedTemporaryFile("w", dir=out, prefix=".settings.", suffix=".json", delete=False) as file:
        file.write(json.dumps(_jsonable(settings), indent=2, sort_keys=True) + "\n")
    os.replace(file.name, path)
