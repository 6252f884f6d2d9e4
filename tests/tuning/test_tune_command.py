"""`stkeras tune` end to end: a tiny search through the CLI, killed and resumed, budgeted, and distributed."""

import json
import signal
import socket
import subprocess
import sys

import keras
import keras_tuner
import numpy as np
import pytest

from stkeras.experiments import plan_tune
from stkeras.experiments import run_tune
from stkeras.recipes import recipe_settings
from stkeras.training import CheckpointWarning
from stkeras.tuning import FrameModelHyperModel
from tests.cli_processes import start_cli
from tests.cli_processes import wait_for

# Frame models of a quarter-width small CNN on 4 frames: the cheapest trials to build and train.
TINY = ["--space", "heads", "--heads", "mlp,lstm,trn", "--width-multipliers", "0.25", "--segments", "4",
        "--train-clips", "32", "--validation-clips", "16", "--test-clips", "16", "--frames", "4",
        "--batch-size", "16", "--epochs", "1"]


def _trial_files(search):
    return {p.parent.name: json.loads(p.read_text()) for p in search.glob("trial_*/trial.json")}


def test_a_search_killed_mid_trial_resumes_and_more_trials_are_added(tmp_path):
    out, log = tmp_path / "search", tmp_path / "first.log"
    command = [*TINY, "--tuner", "random", "--max-trials", "2", "--out", str(out)]
    with log.open("w") as handle:
        process = start_cli("tune", *command, log=handle)
        wait_for(log, "trial 1:", process)  # trial 0 has finished, trial 1 is training
        process.send_signal(signal.SIGKILL)
        process.wait()
    first = _trial_files(out / "search")
    assert first["trial_0"]["status"] == "COMPLETED" and first["trial_1"]["status"] == "RUNNING"

    again = subprocess.run([sys.executable, "-m", "stkeras", "tune", *command], capture_output=True, text=True,
                           timeout=600)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "2 trial(s) started, 1 completed" in again.stdout
    assert "\ntrial 0: " not in again.stdout and "trial 1 completed" in again.stdout  # only the killed trial reran
    results = json.loads((out / "trials.json").read_text())
    assert [(r["trial_id"], r["status"]) for r in results["trials"]] == [("0", "COMPLETED"), ("1", "COMPLETED")]
    for record in results["trials"]:
        assert 0 <= record["score"] <= 1 and record["parameters"] > 0 and record["macs"] > 0
        assert record["training_seconds"] > 0 and record["resident_mb"] > 100 and "head" in record["hyperparameters"]
    assert results["trials"][0]["score"] == first["trial_0"]["score"]
    assert set(results["pareto_front"]) <= {"0", "1"} and results["pareto_front"]
    assert "| 0" in (out / "trials.md").read_text() and (out / "pareto.png").stat().st_size > 5000

    # The best model loads safely and is the best trial's: its hyperparameters and checkpointed weights.
    best = keras.saving.load_model(out / "best" / "model.keras", safe_mode=True)
    trial = keras_tuner.engine.trial.Trial.load(str(out / "search" / f"trial_{results['best']['trial_id']}" /
                                                    "trial.json"))
    size = recipe_settings("blink16_12k")["frame_size"]
    rebuilt = FrameModelHyperModel(input_shape=(4, size, size, 1), heads=("mlp", "lstm", "trn"),
                                   width_multipliers=(0.25,)).build(trial.hyperparameters)
    rebuilt.load_weights(out / "search" / f"trial_{trial.trial_id}" / "checkpoint.weights.h5")
    clips = np.random.default_rng(0).uniform(size=(2, 4, size, size, 1)).astype("float32")
    np.testing.assert_allclose(best.predict(clips, verbose=0), rebuilt.predict(clips, verbose=0), atol=1e-6)

    more = subprocess.run([sys.executable, "-m", "stkeras", "tune", *command[:-4], "--max-trials", "3",
                           "--out", str(out)], capture_output=True, text=True, timeout=600)
    assert more.returncode == 0, more.stdout + more.stderr
    assert "trial 2 completed" in more.stdout and "\ntrial 0: " not in more.stdout
    assert len(json.loads((out / "trials.json").read_text())["trials"]) == 3


@pytest.mark.large
def test_the_time_budget_stops_starting_trials_and_damaged_state_files_are_restored(tmp_path, capsys):
    options = dict(out=tmp_path, space="heads", tuner="random", segments=4, train_clips=16, validation_clips=16,
                   test_clips=16, frames=4, batch_size=16, epochs=1, heads=("mlp",), width_multipliers=(0.25,))
    results = run_tune(plan_tune(max_trials=5, max_time=1, **options))
    assert [r["status"] for r in results["trials"]] == ["COMPLETED"]
    assert "time budget of 1 s reached" in capsys.readouterr().out

    # keras-tuner writes its state files in place: a kill mid-write leaves them cut short.
    oracle, trial = tmp_path / "search" / "oracle.json", tmp_path / "search" / "trial_0" / "trial.json"
    assert (tmp_path / "search" / "oracle.json.good").exists() and (trial.parent / "trial.json.good").exists()
    for path in (oracle, trial):
        path.write_text(path.read_text()[: len(path.read_text()) // 2])
    with pytest.warns(CheckpointWarning, match=r"oracle.json cannot be read .*restored its last good copy"):
        results = run_tune(plan_tune(max_trials=2, **options))
    assert [r["status"] for r in results["trials"]] == ["COMPLETED", "COMPLETED"]
    for path in (oracle, trial):
        json.loads(path.read_text())  # whole again


@pytest.mark.large
def test_seeds_retrain_the_best_point_and_the_report_compares_trial_and_seed_spreads(tmp_path, capsys):
    options = dict(out=tmp_path, space="heads", tuner="random", segments=4, train_clips=16, validation_clips=16,
                   test_clips=16, frames=4, batch_size=16, epochs=1, heads=("mlp", "lstm"), width_multipliers=(0.25,))
    results = run_tune(plan_tune(max_trials=2, seeds=2, **options))
    spread = results["seed_spread"]
    best = results["best"]
    assert spread["trial_id"] == best["trial_id"] and [r["seed"] for r in spread["scores"]] == [0, 1]
    assert spread["scores"][0]["score"] == best["score"]  # seed 0 is the search's own trial
    scores = [r["score"] for r in spread["scores"]]
    assert all(0 <= s <= 1 for s in scores)
    np.testing.assert_allclose(spread["std"], np.std(scores, ddof=1))
    trial_scores = [r["score"] for r in results["trials"]]
    assert spread["trial_spread"] == pytest.approx(max(trial_scores) - min(trial_scores))
    assert spread["exceeds"] == (spread["trial_spread"] > 2 * spread["std"])
    assert "Seed spread: trial" in (tmp_path / "trials.md").read_text()
    assert capsys.readouterr().out.count("again with seed") == 1

    # A rerun finds the seeds' scores on disk and trains nothing again.
    again = run_tune(plan_tune(max_trials=2, seeds=2, **options))
    assert again["seed_spread"] == spread and again["best"]["trial_id"] == best["trial_id"] and "again with seed" not in capsys.readouterr().out
    with pytest.raises(ValueError, match="seeds"):
        plan_tune(max_trials=2, seeds=0, **options)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_chief_and_two_workers_run_every_trial_exactly_once(tmp_path):
    out = tmp_path / "shared"
    common = [*TINY, "--tuner", "random", "--max-trials", "4", "--out", str(out), "--oracle",
              f"127.0.0.1:{_free_port()}"]
    logs = {name: tmp_path / f"{name}.log" for name in ("chief", "worker0", "worker1")}
    processes = {}
    for name, log in logs.items():
        role = ["--role", "chief"] if name == "chief" else ["--role", "worker", "--tuner-id", name]
        processes[name] = start_cli("tune", *common, *role, log=log.open("w"))
    for name, process in processes.items():
        assert process.wait(timeout=600) == 0, logs[name].read_text()
    ran = {name: [line.split()[1] for line in logs[name].read_text().splitlines()
                  if line.startswith("trial ") and " completed" in line] for name in ("worker0", "worker1")}
    assert sorted(ran["worker0"] + ran["worker1"]) == ["0", "1", "2", "3"], ran  # each trial once, by one worker
    assert all(ran.values()), f"both workers ran trials: {ran}"
    results = json.loads((out / "trials.json").read_text())
    assert [r["status"] for r in results["trials"]] == ["COMPLETED"] * 4
    oracle = json.loads((out / "search" / "oracle.json").read_text())
    assert sorted(oracle["run_times"].values()) == [1, 1, 1, 1]
    assert (out / "best" / "model.keras").exists() and "best trial" in logs["chief"].read_text()

