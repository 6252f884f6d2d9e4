"""Writing files so that a kill mid-write leaves the old file or the new one, never half of one."""

import contextlib
import os
import shutil


@contextlib.contextmanager
def atomic_path(path):
    """Yields a temporary path beside `path`; moves it onto `path` when the block ends without error.

    The rename is atomic on one file system, so a process killed while
    writing leaves the previous `path` (or none) and a stray temporary,
    which the next write replaces. Works for files and folders; the
    temporary keeps `path`'s extension (Keras checks `.keras` and `.weights.h5`).

    Args:
        path: the file or folder to write.

    Example:
    >>> import os, tempfile
    >>> target = os.path.join(tempfile.mkdtemp(), "notes.txt")
    >>> with atomic_path(target) as partial:
    ...     _ = open(partial, "w").write("done")
    >>> open(target).read()
    'done'
    """
    folder, name = os.path.split(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    # The whole extension (`.weights.h5`, `.keras`): Keras checks it.
    stem, dot, extension = name.partition(".")
    extension = dot + extension
    partial = os.path.join(folder, f".{stem}.partial{extension}")
    _remove(partial)
    yield partial
    if os.path.isdir(partial):
        _remove(path)  # os.replace cannot put a folder over a non-empty one
    os.replace(partial, path)


def save_model_atomically(model, path):
    """`model.save(path)` that never leaves a truncated `.keras` file behind.

    Example:
    >>> save_model_atomically(model, "runs/conv3d/model.keras")  # doctest: +SKIP
    """
    with atomic_path(path) as partial:
        model.save(partial)


def write_text_atomically(path, text):
    """Writes `text` to `path` through `atomic_path`."""
    with atomic_path(path) as partial:
        with open(partial, "w") as handle:
            handle.write(text)


def _remove(path):
    if os.path.isdir(path):
        shutil.rmtree(path)
    elif os.path.lexists(path):
        os.remove(path)
