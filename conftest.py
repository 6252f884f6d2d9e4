"""Settings for every test run, including the doctests collected from `stkeras/`."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

from stkeras.allocator import keep_freed_memory  # noqa: E402

# A child-process helper: importing it splits the CPU into logical devices,
# which a test process that already ran TensorFlow cannot do.
collect_ignore = ["tests/replicas_check.py"]

# As the command line does: training steps need a fraction of the system time.
keep_freed_memory()

# Grappler's graph rewrites make steps faster, not different, and cost about a
# third of every first training step (15.2 -> 9.6 s for an R(2+1)D-50): tests
# run hundreds of first steps and few later ones. The command lines the tests
# start as child processes keep them.
tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": True})


@pytest.fixture(autouse=True)
def _fresh_keras_session():
    keras.utils.clear_session()
    keras.utils.set_random_seed(0)
    yield
