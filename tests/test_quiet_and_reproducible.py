"""The command line starts quietly, and the same command and seed give the same numbers."""

import csv
import os
import subprocess
import sys

import pytest

from stkeras.quiet import quiet_start_for_command_line
from stkeras.quiet import started_from_command_line

# What TensorFlow, absl and tensorflow-datasets print when nothing silences them.
NOISE = ("I0000", "E0000", "W0000", "absl", "cuInit", "cuda", "dataset_info.json", "cpu_feature_guard")


def _stkeras(*args, cwd=None):
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    return subprocess.run([sys.executable, "-m", "stkeras", *args], capture_output=True, text=True, env=env,
                          timeout=600, cwd=cwd)


def test_the_command_line_starts_with_its_own_line():
    done = _stkeras("rf", "--model", "conv2d", "--frames", "16", "--frame-size", "32")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Receptive fields of conv2d")
    assert not [line for line in done.stderr.splitlines() if any(word in line for word in NOISE)], done.stderr


def test_verbose_keeps_tensorflow_output():
    done = _stkeras("rf", "--model", "conv2d", "--frames", "16", "--frame-size", "32", "--verbose")
    assert done.returncode == 0, done.stderr
    # TensorFlow announces itself on stderr (which lines depends on the machine); quiet runs have none.
    assert done.stderr.strip(), "with --verbose, TensorFlow's start-up lines are shown"


def test_only_the_command_line_is_quietened():
    assert started_from_command_line(["/usr/bin/stkeras", "compare"])
    assert started_from_command_line(["-m", "compare"])
    assert not started_from_command_line(["/usr/bin/python", "train.py"])
    assert not started_from_command_line([])
    assert not quiet_start_for_command_line(["/usr/bin/stkeras", "compare", "--verbose"])


def _history(folder):
    with open(os.path.join(folder, "history.csv"), newline="") as handle:
        return [{k: float(v) for k, v in row.items()} for row in csv.DictReader(handle)]


# A small Conv3D network: the same seeded, deterministic ops as Courtney & Sreenivas 2022's, at a third of the time.
@pytest.mark.parametrize("model", ["small_3d_cnn_regular"])
def test_same_command_and_seed_give_the_same_numbers(tmp_path, model):
    args = ("train", "--model", model, "--frames", "4", "--train-clips", "64", "--validation-clips", "32",
            "--batch-size", "16", "--epochs", "2")
    runs = []
    for name in ("a", "b"):
        done = _stkeras(*args, "--out", str(tmp_path / name))
        assert done.returncode == 0, done.stderr
        runs.append(_history(tmp_path / name))
    assert len(runs[0]) == 2 and runs[0] == runs[1]
    other = _stkeras(*args, "--seed", "1", "--out", str(tmp_path / "c"))
    assert other.returncode == 0 and _history(tmp_path / "c") != runs[0]
