"""A quiet start for the command line: TensorFlow's import and device probe without their log lines.

TensorFlow writes C++ log lines (CUDA probing, CPU features, `cuInit`
errors on machines without a GPU) straight to file descriptor 2 while it is
imported and while it first lists devices, before Python's logging can
filter anything; tensorflow-datasets and absl add Python warnings. None of
them is about the user's run. `quiet_start()` silences exactly those two
moments and the absl logger.

The command line runs `quiet_start_for_command_line()` once it has parsed
its arguments, before its command imports Keras: the `stkeras` command (and
`python -m stkeras`) starts quietly unless `--verbose` is among its
arguments; a program that imports stkeras keeps TensorFlow's usual output.
"""

import contextlib
import logging
import os
import sys
import warnings


@contextlib.contextmanager
def _stderr_to_devnull():
    """Points file descriptor 2 at /dev/null for the block (C++ writes bypass `sys.stderr`)."""
    try:
        saved = os.dup(2)
    except OSError:  # no stderr to silence (e.g. closed by the caller)
        yield
        return
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def quiet_start():
    """Imports TensorFlow and probes its devices with TensorFlow's and absl's log lines silenced.

    Errors still surface: an exception raised during the import is raised
    after stderr is restored. Later TensorFlow errors are printed as usual
    (only INFO and WARNING levels stay filtered).

    Example:
    >>> quiet_start()  # doctest: +SKIP
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with _stderr_to_devnull():
        import tensorflow as tf

        tf.config.list_physical_devices()
    tf.get_logger().setLevel(logging.ERROR)
    logging.getLogger("absl").setLevel(logging.ERROR)
    # Keras' data adapter warns about `PyDataset` arguments it does not use.
    warnings.filterwarnings("ignore", module="keras.src.trainers.data_adapters")


def started_from_command_line(argv=None):
    """Whether this process is the `stkeras` command or `python -m stkeras` (`argv`: `sys.argv`)."""
    argv = sys.argv if argv is None else argv
    if not argv:
        return False
    program = os.path.basename(argv[0])
    if program == "-m":  # while `python -m MODULE` imports the package; only `-m stkeras` is the command
        original = getattr(sys, "orig_argv", [])
        return argv is not sys.argv or any(a == "-m" and b == "stkeras" for a, b in zip(original, original[1:]))
    return program in ("stkeras", "stkeras.exe") or argv[0].endswith(os.path.join("stkeras", "__main__.py"))


def quiet_start_for_command_line(argv=None, verbose=False):
    """`quiet_start()` when started from the command line without `--verbose`; returns whether it ran.

    Args:
        argv: the process' arguments (default: `sys.argv`).
        verbose: the command asked for TensorFlow's log lines (as
            `--verbose` in `argv` does).

    Example:
    >>> quiet_start_for_command_line(["python"])
    False
    """
    argv = sys.argv if argv is None else argv
    if started_from_command_line(argv) and not verbose and "--verbose" not in argv[1:]:
        quiet_start()
        return True
    return False
