"""Running `python -m stkeras` in a child process, to kill it and to read its progress lines."""

import os
import subprocess
import sys
import time


def start_cli(*args, log):
    """Starts `python -m stkeras ARGS`, its output going to the open file `log`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KERASTUNER_")}
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    return subprocess.Popen([sys.executable, "-m", "stkeras", *args], stdout=log, stderr=subprocess.STDOUT,
                            text=True, env=env)


def wait_for(path, text, process, timeout=300):
    """Waits until the log file `path` contains `text`; fails if the process ends first or time runs out."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if path.exists() and text in path.read_text():
            return
        assert process.poll() is None, path.read_text()
        time.sleep(0.1)
    raise AssertionError(f"{text!r} not printed in {timeout} s:\n{path.read_text()}")
