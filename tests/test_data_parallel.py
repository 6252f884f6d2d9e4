"""Data-parallel training through Keras' distribution API on JAX, and what it refuses.

The training tests start child processes (`tests/data_parallel_check.py`)
under `KERAS_BACKEND=jax`: one process with two virtual CPU devices, and two
processes on localhost connected through a free port. CI runs this file in
its JAX job; on another backend only the refusals run.
"""

import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import time

import keras
import numpy as np
import pytest

from stkeras.cli import main
from stkeras.training.data_parallel import check_clip_counts
from stkeras.training.data_parallel import check_full_batches
from stkeras.training.data_parallel import check_global_batch
from stkeras.training.data_parallel import cluster_settings
from stkeras.training.data_parallel import plan_data_parallel

ROOT = pathlib.Path(__file__).resolve().parents[1]
ON_JAX = keras.backend.backend() == "jax"
jax_only = pytest.mark.skipif(not ON_JAX, reason="data_parallel trains on JAX: the JAX job of .ci/run runs it")
TOLERANCE = dict(rtol=1e-5, atol=1e-6)
# Seconds: each child is killed by its PID after it (alone on 2 cores they take about 30 s; CI's JAX job runs other
# tests beside them, and every test has 600 s).
CHILD_TIMEOUT = 420


def _free_port():
    with socket.socket() as probe:
        probe.bind(("localhost", 0))
        return probe.getsockname()[1]


def _run_children(commands, folder):
    """Starts every command at once, each output in its own log; kills by PID any still running at its deadline."""
    env = {**os.environ, "KERAS_BACKEND": "jax", "TF_CPP_MIN_LOG_LEVEL": "3",
           # The resumed training compiles the programs of the first one again: JAX's cache keeps them.
           "JAX_COMPILATION_CACHE_DIR": str(folder / "jax_cache"), "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0",
           "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES": "0"}
    children = {}
    for name, arguments in commands.items():
        log = open(folder / f"{name}.log", "w")
        process = subprocess.Popen([sys.executable, "-m", "tests.data_parallel_check", *arguments], cwd=ROOT,
                                   env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
        children[name] = (process, log, time.monotonic() + CHILD_TIMEOUT)
    failures = []
    for name, (process, log, deadline) in children.items():
        try:
            status = process.wait(timeout=max(deadline - time.monotonic(), 0))
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
            status = f"killed after {CHILD_TIMEOUT} s"
        log.close()
        if status != 0:
            failures.append(f"{name} ({status if isinstance(status, str) else f'exit status {status}'})")
    if failures:
        logs = "\n\n".join(f"== {name}:\n{(folder / f'{name}.log').read_text()[-4000:]}" for name in children)
        pytest.fail(f"child process(es) {', '.join(failures)} failed\n{logs}")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The reference process and the two processes' results: `(folder, reference, [process 0, process 1])`."""
    if not ON_JAX:
        pytest.skip("data_parallel trains on JAX: the JAX job of .ci/run runs it")
    folder = tmp_path_factory.mktemp("data_parallel")
    port = str(_free_port())
    _run_children({"reference": ["reference", str(folder / "reference.json")],
                   **{f"process{i}": ["process", port, "2", str(i), str(folder)] for i in range(2)}}, folder)
    reference = json.loads((folder / "reference.json").read_text())
    processes = [json.loads((folder / f"process{i}.json").read_text()) for i in range(2)]
    return folder, reference, processes


def _weights(run):
    return [np.asarray(w, "float32") for w in run["weights"]]


def _excess(run, reference):
    """max |a - b| / (atol + rtol |b|) over every weight: at most 1 within the tolerance."""
    return max(float(np.max(np.abs(a - b) / (TOLERANCE["atol"] + TOLERANCE["rtol"] * np.abs(b))))
               for a, b in zip(_weights(run), _weights(reference)))


@jax_only
def test_two_devices_of_one_process_equal_one_device(runs):
    """SGD on Miao et al.'s small 3D CNN (batch normalization after each convolution), 2 epochs of 3 batches of 8."""
    _, reference, _ = runs
    assert reference["devices"] == 2
    assert _excess(reference["data_parallel"], reference["one_device"]) <= 1
    np.testing.assert_allclose(reference["data_parallel"]["losses"], reference["one_device"]["losses"], rtol=0,
                               atol=1e-6)


@jax_only
def test_two_processes_hold_the_same_weights_as_one_process(runs):
    _, reference, processes = runs
    for a, b in zip(_weights(processes[0]["data_parallel"]), _weights(processes[1]["data_parallel"])):
        np.testing.assert_array_equal(a, b)
    assert processes[0]["data_parallel"]["losses"] == processes[1]["data_parallel"]["losses"]
    assert _excess(processes[0]["data_parallel"], reference["one_device"]) <= 1
    np.testing.assert_allclose(processes[0]["data_parallel"]["losses"], reference["one_device"]["losses"], rtol=0,
                               atol=1e-6)


@jax_only
def test_the_comparison_fails_for_a_process_fed_half_of_each_batch(runs):
    """The control: one device trained on the first half of every global batch is far outside the tolerance."""
    _, reference, processes = runs
    assert _excess(reference["half_batches"], processes[0]["data_parallel"]) > 100
    assert abs(reference["half_batches"]["losses"][0] - processes[0]["data_parallel"]["losses"][0]) > 1e-3


@jax_only
def test_a_partial_last_batch_is_refused_in_every_process(runs):
    _, _, processes = runs
    for process in processes:
        assert "`train`'s batches can be partial" in process["partial_batch_error"]
        assert "drop_remainder=True" in process["partial_batch_error"]


@jax_only
def test_a_stateful_convlstm_is_refused_under_two_devices(runs):
    _, reference, _ = runs
    assert "stateful ConvLSTM2D cannot be built under a Keras distribution over 2 devices" in reference["stateful_error"]


@jax_only
def test_train_command_in_two_processes_writes_a_model_that_loads_safely(runs):
    folder, _, processes = runs
    assert [p["train_status"] for p in processes] == [0, 0]
    log = (folder / "process0.log").read_text()
    assert "data-parallel over 2 device(s) in 2 processes (this is process 0)" in log
    model = keras.saving.load_model(folder / "uninterrupted.keras", safe_mode=True)
    assert model.name == "small_3d_cnn_regular" and model.output.shape == (None, 6)  # the order task's 6 classes
    assert (folder / "run" / "settings.json").is_file() and (folder / "run" / "history.csv").is_file()
    # Every process saved; process 1 into a scratch folder of its own, removed when it exited.
    assert [p["own_copy"] for p in processes] == [False, True]


@jax_only
def test_a_run_killed_in_its_second_epoch_resumes_to_the_same_model(runs):
    """The second command finds the first epoch's backup only (as after a kill) and trains the second epoch again."""
    folder, _, processes = runs
    assert [p["resumed_status"] for p in processes] == [0, 0]
    for index in range(2):
        log = (folder / f"process{index}.log").read_text()
        assert log.count("epoch 1/2:") == 1 and log.count("epoch 2/2:") == 2, log[-3000:]
    resumed = keras.saving.load_model(folder / "run" / "model.keras", safe_mode=True)
    uninterrupted = keras.saving.load_model(folder / "uninterrupted.keras", safe_mode=True)
    for a, b in zip(resumed.get_weights(), uninterrupted.get_weights()):
        np.testing.assert_allclose(a, b, **TOLERANCE)


def test_settings_that_cannot_run_are_refused_before_connecting():
    """Each check the arguments alone decide: the same in every process, so all of them stop."""
    with pytest.raises(ValueError, match=r"`train_clips` must be a multiple of the batch size \(8\).*train_clips=46 "
                                         r"\(e.g. 40 or 48\)"):
        check_clip_counts(8, {"validation_clips": 64, "train_clips": 46})
    with pytest.raises(ValueError, match="`batch_size` must be a multiple of the 4 devices.*batch_size=6"):
        check_global_batch(6, devices=4)
    with pytest.raises(ValueError, match="needs `coordinator and process_id` too"):
        cluster_settings(num_processes=2, environ={})
    with pytest.raises(ValueError, match=r"`process_id` must be an int in 0..1 .* process_id=2"):
        cluster_settings("localhost:1234", 2, 2, environ={})
    with pytest.raises(ValueError, match="`coordinator` must be HOST:PORT.*coordinator='localhost'"):
        cluster_settings("localhost", 2, 0, environ={})
    with pytest.raises(ValueError, match="KERAS_DISTRIBUTION_NUM_PROCESSES must be an integer"):
        cluster_settings(environ={"KERAS_DISTRIBUTION_NUM_PROCESSES": "two"})
    assert cluster_settings(environ={"KERAS_DISTRIBUTION_JOB_ADDRESSES": "10.0.0.1:1234,10.0.0.2:2345",
                                     "KERAS_DISTRIBUTION_NUM_PROCESSES": "2", "KERAS_DISTRIBUTION_PROCESS_ID": "1"}) \
        == ("10.0.0.1:1234", 2, 1)
    import tensorflow as tf

    with pytest.raises(ValueError, match="`train`'s batches can be partial"):
        check_full_batches(tf.data.Dataset.range(10).batch(4), "train", devices=1)
    with pytest.raises(TypeError, match="must be a tf.data.Dataset"):
        check_full_batches(np.zeros((4, 2)), "train", devices=1)


@pytest.mark.skipif(ON_JAX, reason="the refusal of the other backends")
def test_another_backend_is_refused(capsys):
    with pytest.raises(ValueError, match=f"needs the JAX backend.*Keras runs on '{keras.backend.backend()}'"):
        plan_data_parallel(batch_size=8)
    assert main(["train", "--distribute", "data_parallel", "--model", "small_3d_cnn_regular", "--out", "unused"]) == 2
    assert "needs the JAX backend" in capsys.readouterr().err


@jax_only
def test_the_command_refuses_before_connecting(capsys, tmp_path):
    common = ["--distribute", "data_parallel", "--coordinator", "localhost:1", "--num-processes", "2",
              "--process-id", "0", "--out", str(tmp_path / "run"), "--batch-size", "8"]
    assert main(["train", "--model", "small_3d_cnn_regular", *common, "--train-clips", "46"]) == 2
    assert "`train_clips` must be a multiple of the batch size (8)" in capsys.readouterr().err
    assert main(["compare", "--models", "conv2d", "--explain", *common]) == 2
    assert "Grad-CAM cannot run under distribute='data_parallel'" in capsys.readouterr().err
    assert main(["compare", "--models", "frames_mlp", "--segments", "4", *common]) == 2
    assert "sampled segments cannot run under distribute='data_parallel'" in capsys.readouterr().err
    assert main(["compare", "--models", "conv2d", "--controls", "test", *common]) == 2
    assert "temporal controls cannot run under distribute='data_parallel'" in capsys.readouterr().err
    assert main(["train", "--model", "small_3d_cnn_regular", "--out", str(tmp_path / "run"),
                 "--num-processes", "2"]) == 2
    assert "--num-processes is for --distribute data_parallel" in capsys.readouterr().err
    assert keras.distribution.distribution() is None and not (tmp_path / "run").exists()


@jax_only
def test_pipelines_and_training_under_a_distribution_refuse_partial_batches():
    """Under a Keras distribution stkeras' clips come in full batches; TBPTT and Grad-CAM are refused by name."""
    from stkeras.data import quadrant_blink
    from stkeras.explain import gradcam
    from stkeras.training import fresh_session
    from stkeras.training import tbptt_fit

    def clips():
        return quadrant_blink(num_clips=10, frames=4, size=16, digit_size=8, max_step=8, batch_size=4)

    assert [len(x) for x, _ in clips()] == [4, 4, 2]
    model = keras.Sequential([keras.Input((4, 16, 16, 1)), keras.layers.GlobalAveragePooling3D(),
                              keras.layers.Dense(10)], name="pooled")
    model.compile("sgd", "sparse_categorical_crossentropy")
    keras.distribution.set_distribution(keras.distribution.DataParallel(devices=keras.distribution.list_devices()[:1]))
    try:
        fresh_session()  # between the models of a run: the distribution stays
        assert isinstance(keras.distribution.distribution(), keras.distribution.DataParallel)
        assert clips().element_spec[0].shape[0] == 4 and [len(x) for x, _ in clips()] == [4, 4]
        with pytest.raises(ValueError, match="truncated backpropagation through time cannot run under "
                                             "distribute='data_parallel'"):
            tbptt_fit(model, clips(), chunk_length=2)
        with pytest.raises(ValueError, match="Grad-CAM cannot run under distribute='data_parallel'"):
            gradcam(model, np.zeros((1, 4, 16, 16, 1), "float32"))
    finally:
        keras.distribution.set_distribution(None)
