"""`stkeras compare`, `train`, `evaluate`, `explain`, `sensitivity`, `rf` and `heads` on synthetic clips.

The commands that read a trained model share one run folder (`convlstm_run`):
they take it alone, with no other flag about the model.
"""

import json
import os
import signal
import subprocess
import sys

import keras
import numpy as np
import pytest

from stkeras.cli import main
from tests.cli_processes import start_cli
from tests.cli_processes import wait_for
from tests.cli_runs import TINY
from tests.cli_runs import convlstm_run  # noqa: F401  (a module fixture)
from tests.cli_runs import counts  # noqa: F401  (a fixture)
from tests.cli_runs import status


def test_compare_killed_mid_training_resumes_to_the_full_run_folder_with_another_head(tmp_path, capsys, counts):
    out = tmp_path / "run"
    args = ["compare", "--models", "conv2d,conv3d", "--head", "pool", "--out", str(out), *TINY]
    log = tmp_path / "killed.log"
    with log.open("w") as handle:
        process = start_cli(*args, log=handle)
        wait_for(log, "[2/2] conv3d", process)  # conv2d is done, conv3d is training
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert "conv2d epoch 1/1" in log.read_text() and not (out / "results.json").exists()

    assert main(args) == 0
    assert counts == {("build", "conv2d"): 1, ("build", "conv3d"): 1}  # each model built once, by the plan
    printed = capsys.readouterr().out
    assert "[1/2] conv2d" in printed and "[2/2] conv3d" in printed and "baseline" in printed
    assert "conv2d epoch 1/1" not in printed and "conv3d epoch 1/1" in printed  # conv2d was not trained again
    results = json.loads((out / "results.json").read_text())
    assert set(results["models"]) == {"conv2d", "conv3d"} and results["recipe"] == "blink16_12k"
    for name, r in results["models"].items():
        assert 0 <= r["accuracy"] <= 1 and r["parameters"] > 0 and r["macs_per_clip"] > 0
        assert r["epochs_trained"] == 1 and [row["epoch"] for row in r["history"]] == [0]
        assert (out / f"grid_{name}.png").stat().st_size > 1000
        assert "| res4_4 |" in (out / f"rf_{name}.md").read_text()
        model = keras.saving.load_model(out / "models" / name / "model.keras", safe_mode=True)
        layers = [layer.name for layer in model.layers]
        assert "pool" in layers and "lstm1" not in layers  # --head replaced the paper's LSTM head
        config = json.loads((out / "models" / name / "config.json").read_text())
        assert config["preset"] == name and config["arguments"]["head"] == "pool"
    assert (out / "relative_conv3d_vs_conv2d.png").exists()
    assert (out / "training_curves.png").exists()
    report = (out / "results.md").read_text()
    assert "| baseline (majority class" in report and "| conv3d |" in report and "scaled down" in report


def test_compare_speed_reports_mae_per_s_and_explains(tmp_path):
    out = tmp_path / "speed"
    assert main(["compare", "--task", "speed", "--models", "conv2d,conv3d", "--explain", "2", "--out", str(out),
                 *TINY]) == 0
    results = json.loads((out / "results.json").read_text())
    assert {"mae", "rounded_accuracy"} <= set(results["models"]["conv2d"]) and "mae" in results["baseline"]
    speeds = [str(s) for s in results["settings"]["speeds"]]
    for name, r in results["models"].items():
        row = [v for v in r["per_speed"].values() if v is not None]
        assert set(r["per_speed"]) <= set(speeds) and row
        assert min(row) - 1e-9 <= r["mae"] <= max(row) + 1e-9  # the overall MAE is a mean of the per-S ones
    assert set(results["relative"]["conv3d_vs_conv2d"]["per_speed"]) == set(results["models"]["conv2d"]["per_speed"])
    report = (out / "results.md").read_text()
    assert "## MAE per speed S over all V (the grids' bottom row)" in report and "| conv3d vs conv2d (relative) |" in report
    explained = json.loads((out / "explain" / "explain.json").read_text())["models"]
    assert [e["model"] for e in explained] == ["conv2d", "conv3d"] and 0 <= explained[0]["localization"] <= 1
    assert (out / "explain" / "conv2d" / "maps.png").exists() and (out / "explain" / "conv2d" / "clip_1.gif").exists()


def test_compare_frame_models_on_sampled_frames(tmp_path, counts):
    """Köpüklü et al.'s heads compared on one backbone: frame-model presets on 3 frames sampled per clip."""
    out = tmp_path / "heads"
    assert main(["compare", "--models", "frames_tsn,frames_gru", "--segments", "3", "--out", str(out), *TINY]) == 0
    assert counts == {("build", "frames_tsn"): 1, ("build", "frames_gru"): 1}
    results = json.loads((out / "results.json").read_text())
    assert results["data"]["segments"] == 3 and 0 <= results["models"]["frames_gru"]["accuracy"] <= 1
    assert results["models"]["frames_tsn"]["parameters"] < results["models"]["frames_gru"]["parameters"]
    assert "3 frames sampled per clip, one per segment" in (out / "results.md").read_text()
    model = keras.saving.load_model(out / "models" / "frames_gru" / "model.keras", safe_mode=True)
    assert model.input_shape == (None, 3, 16, 16, 1)


@pytest.mark.large
def test_compare_with_seeds_reports_each_seed_the_mean_and_which_differences_hold(tmp_path):
    out = tmp_path / "seeds"
    assert main(["compare", "--models", "conv2d,conv3d", "--seeds", "2", "--seed", "3", "--out", str(out),
                 "--train-clips", "32", "--test-clips", "32", "--frames", "2", "--batch-size", "32",
                 "--epochs", "1"]) == 0
    results = json.loads((out / "results.json").read_text())
    assert results["seeds"] == [3, 4]
    for name, r in results["models"].items():
        scores = [run["accuracy"] for run in r["seeds"]]
        assert [run["seed"] for run in r["seeds"]] == [3, 4]
        assert r["accuracy"] == pytest.approx(np.mean(scores)) and r["std"]["accuracy"] == pytest.approx(
            np.std(scores, ddof=1))
        assert (out / "models" / "seed4" / name / "model.keras").exists()
    difference = results["differences"]["conv2d_vs_conv3d"]
    assert difference["difference"] == pytest.approx(results["models"]["conv2d"]["accuracy"]
                                                     - results["models"]["conv3d"]["accuracy"])
    report = (out / "results.md").read_text()
    assert "| seed 3 | seed 4 | mean ± std |" in report and "Welch's t-test" in report
    assert "| conv2d vs conv3d |" in report


def test_train_killed_mid_epoch_resumes_to_a_complete_model_and_history(tmp_path, capsys):
    out = tmp_path / "train"
    args = ["train", "--model", "small_3d_cnn_regular", "--task", "order", "--out", str(out), *TINY[:-1], "3"]
    log = tmp_path / "killed.log"
    with log.open("w") as handle:
        process = start_cli(*args, log=handle)
        wait_for(log, "epoch 1/3", process)  # epoch 1's backup is written, epoch 2 is training
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert not (out / "model.keras").exists() and not (out / "config.json").exists()
    first = keras.saving.load_model(out / "checkpoint.keras", safe_mode=True)
    assert main(args) == 0
    assert main(args) == 0  # a finished training trains nothing more
    printed = capsys.readouterr().out
    assert printed.count("3 epoch(s) trained in all") == 2 and "epoch 1/3" not in printed
    epochs = [line.split(",")[0] for line in (out / "history.csv").read_text().splitlines()[1:]]
    assert epochs == ["0", "1", "2"]
    last = keras.saving.load_model(out / "model.keras", safe_mode=True)
    x = np.random.default_rng(0).uniform(size=(2, 4, 32, 32, 1)).astype("float32")
    assert not np.allclose(first.predict(x, verbose=0), last.predict(x, verbose=0))


def test_a_trained_run_is_a_preset_folder_that_knows_its_task_clips_and_recipe(convlstm_run):
    from stkeras import from_preset
    from stkeras.models import read_preset

    saved = read_preset(convlstm_run)
    assert (saved.preset, saved.task.name, saved.input_shape) == ("convlstm", "order", (4, 32, 32, 1))
    assert saved.recipe["name"] == "blink32_3k" and saved.recipe["data"] == {
        "kind": "quadrant_blink", "task": "order", "segments": None}
    assert saved.recipe["settings"]["frames"] == 4 and saved.preprocessing.frames == 4
    clips = np.random.default_rng(0).uniform(size=(2, 4, 32, 32, 1)).astype("float32")
    loaded = keras.saving.load_model(convlstm_run / "model.keras", safe_mode=True)
    np.testing.assert_allclose(from_preset(convlstm_run).predict(clips, verbose=0), loaded.predict(clips, verbose=0),
                               rtol=1e-5, atol=1e-6)


def test_evaluate_a_run_folder_alone_scores_it_on_its_recipes_test_clips(convlstm_run, tmp_path, counts):
    out = tmp_path / "evaluation"
    assert main(["evaluate", "--model", str(convlstm_run), "--out", str(out)]) == 0
    assert counts == {("build", "convlstm"): 1}
    result = json.loads((out / "evaluation.json").read_text())
    assert result["task"] == "order" and result["recipe"] == "blink32_3k" and result["num_clips"] == 16
    assert 0 <= result["accuracy"] <= 1 and np.array(result["confusion"]).sum() == 16
    assert (out / "grid.png").stat().st_size > 1000
    assert status(["evaluate", "--model", str(convlstm_run), "--views", "2x3", "--out", str(out)]) == 2


def test_explain_a_run_folder_alone(convlstm_run, tmp_path, capsys):
    out = tmp_path / "explained"
    # One channel weight per clip: the tiny model's per-frame weights are all negative, which leaves no map.
    assert main(["explain", "--model", str(convlstm_run), "--clips", "3", "--batch-size", "2", "--weighting", "global",
                 "--out", str(out)]) == 0
    results = json.loads((out / "explain.json").read_text())
    (entry,) = results["models"]
    assert entry["model"] == "convlstm" and entry["layer"] == "res4_4" and results["task"] == "order"
    assert 0 <= entry["localization"] <= 1 and 0 < entry["chance"] < 1 and entry["recipe"] == "blink32_3k"
    assert sorted(os.listdir(out / "convlstm")) == ["clip_0.gif", "clip_1.gif", "clip_2.gif", "maps.png"]
    assert "localization" in capsys.readouterr().out


def test_sensitivity_of_a_run_folder_alone(convlstm_run, tmp_path, capsys):
    out = tmp_path / "sensitivity"
    assert main(["sensitivity", "--model", str(convlstm_run), "--clips", "16", "--periods", "2", "--scales",
                 "s/2,s/16", "--out", str(out)]) == 0
    results = json.loads((out / "sensitivity.json").read_text())
    assert results["task"] == "order" and results["recipe"] == "blink32_3k"
    assert [s["label"] for s in results["scales"]] == ["s/2", "s/16"] and results["periods"] == [2, None]
    assert results["scales"][1]["layers"] == ["res4_1/op", "res4_2/op", "res4_3/op", "res4_4/op"]
    assert [r["relative"] for r in results["rows"] if r["period"] is None] == [1.0, 1.0]
    assert (out / "sensitivity.png").stat().st_size > 5000
    assert "| s/16 (2x2) | 4 |" in (out / "sensitivity.md").read_text()
    printed = capsys.readouterr()
    assert "s/16: reset every 2 frame(s)" in printed.out
    assert main(["sensitivity", "--model", str(convlstm_run), "--scales", "s/3", "--out", str(out)]) == 2
    assert "Unknown scale 's/3'" in capsys.readouterr().err


def test_rf_prints_the_table_of_a_preset(capsys):
    assert main(["rf", "--model", "conv3d_xl"]) == 0
    assert "| res4_4 | ResidualBottleneck(conv3d) | 4x4x48 | 143x143 | 17 |" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["compare", "--models", "conv9d", "--out", "x"], "Unknown preset: 'conv9d'"),
        (["compare", "--task", "colour", "--out", "x"], "invalid choice: 'colour'"),
        (["compare", "--recipe", "quick", "--out", "x"], "invalid choice: 'quick'"),
        (["compare", "--epochs", "0", "--out", "x"], "expected a positive integer, got '0'"),
        (["compare", "--frames", "many", "--out", "x"], "expected a positive integer"),
        (["compare", "--models", "ts_conv3d", "--frames", "4", "--out", "x"], "shrink time below one frame"),
        (["compare", "--models", "conv2d", "--frame-size", "64", "--out", "x"], "--frame-size is for videos"),
        (["rf", "--model", "lstm"], "Unknown preset: 'lstm'"),
        (["rf", "--op", "conv4d"], "invalid choice: 'conv4d'"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(argv, message, capsys):
    assert status(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1
    assert not os.path.exists("x")


def test_python_dash_m_runs():
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    done = subprocess.run([sys.executable, "-m", "stkeras", "rf", "--model", "conv2d"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0 and "| res1_1 |" in done.stdout


def test_choices_come_from_the_registries(capsys):
    from stkeras.blocks import available_ops
    from stkeras.cli import make_parser
    from stkeras.recipes import list_recipes
    from stkeras.tasks import available_tasks

    commands = make_parser()._subparsers._group_actions[0].choices
    options = {a.dest: a for a in commands["compare"]._actions}
    assert tuple(options["task"].choices) == available_tasks() and tuple(options["recipe"].choices) == list_recipes()
    assert {"pool", "lstm", "temporal_pool"} <= set(options["head"].choices)
    rf = {a.dest: a for a in commands["rf"]._actions}
    assert tuple(rf["op"].choices) == available_ops()
    assert main(["rf", "--op", "rank1", "--frames", "8", "--frame-size", "32"]) == 0
    assert "| res4_4 | ResidualBottleneck(rank1) | 2x2x8 | 143x143 | 17 |" in capsys.readouterr().out


def test_heads_prints_table_3_with_every_count_matching(capsys):
    assert main(["heads"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| `")]
    assert len(rows) == 12 and "✗" not in "".join(rows)
    assert sum("✓" in row for row in rows) == 11  # every head of Table 3 (single-scale TRN is not in it)
