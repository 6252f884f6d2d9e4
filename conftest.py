"""Settings for every test run, including the doctests collected from `stkeras/`."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402
import pytest  # noqa: E402

from stkeras.allocator import keep_freed_memory  # noqa: E402

# As the command line does: training steps need a fraction of the system time.
keep_freed_memory()


@pytest.fixture(autouse=True)
def _fresh_keras_session():
    keras.utils.clear_session()
    keras.utils.set_random_seed(0)
    yield
