"""Settings for every test run, including the doctests collected from `stkeras/`."""

import gc
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

from stkeras.allocator import keep_freed_memory  # noqa: E402
from stkeras.allocator import trim_freed_memory  # noqa: E402

# Child-process helpers: importing replicas_check splits the CPU into logical devices, which a test process
# that already ran TensorFlow cannot do; xla_check sets XLA's flags for the process; torchvision_reference and
# x3d_s3d_reference import torch, which only the backend jobs install (--doctest-modules would import them all).
collect_ignore = ["tests/replicas_check.py", "tests/xla_check.py", "tests/models/torchvision_reference.py",
                  "tests/models/x3d_s3d_reference.py"]

# As the command line does: training steps need a fraction of the system time.
keep_freed_memory()

# Grappler's graph rewrites make steps faster, not different, and cost about a
# third of every first training step (15.2 -> 9.6 s for an R(2+1)D-50): tests
# run hundreds of first steps and few later ones. The command lines the tests
# start as child processes keep them.
tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": True})


def pytest_addoption(parser):
    parser.addoption("--run-large", action="store_true", default=False,
                     help="also run the large tests: every preset, every command variant and every end-to-end "
                          "check, about 45 minutes on 2 cores (the default tier, which CI runs, about 15)")


def pytest_configure(config):
    config.addinivalue_line("markers", "tensorflow_only(reason): a test that needs the TensorFlow backend (it is "
                                       "skipped under another KERAS_BACKEND, with the reason)")
    config.addinivalue_line("markers", "large: a slow test that repeats what a default-tier test covers on more "
                                       "models or variants; it runs with --run-large")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--run-large"):
        return
    skip_large = pytest.mark.skip(reason="a large test: run it with --run-large")
    for item in items:
        if item.get_closest_marker("large") is not None:
            item.add_marker(skip_large)


def pytest_runtest_setup(item):
    marker = item.get_closest_marker("tensorflow_only")
    if marker is not None and keras.backend.backend() != "tensorflow":
        pytest.skip(f"TensorFlow backend only: {marker.args[0] if marker.args else marker.kwargs.get('reason')}")


# STKERAS_TEST_MEMORY_LOG=FILE: each test process appends "<resident MiB> <test>" after every test, to find
# the tests whose memory stays.
_MEMORY_LOG = os.environ.get("STKERAS_TEST_MEMORY_LOG")


def _log_resident_memory(nodeid):
    import psutil

    with open(_MEMORY_LOG, "a") as log:
        log.write(f"{psutil.Process().memory_info().rss >> 20} {os.getpid()} {nodeid}\n")


@pytest.fixture(autouse=True)
def _fresh_keras_session(request):
    keras.utils.clear_session()
    keras.utils.set_random_seed(0)
    yield
    # Each test process would otherwise hold the peak memory of every test it ran (about 10 GB by the end of a
    # run), and two of them with their child processes outgrow a 24 GB machine.
    keras.utils.clear_session()
    trim_freed_memory()
    # TensorFlow keeps the graphs of finished training functions (their optimizer's cond branches stay
    # registered with the eager context), so the objects the collector walks grow with every test: by the end of a
    # run each `clear_session()` (a full collection) took 2 s. What is alive now is left out of later collections.
    gc.freeze()
    if _MEMORY_LOG:
        _log_resident_memory(request.node.nodeid)
