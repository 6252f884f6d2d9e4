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

TINY = ["--train-clips", "64", "--test-clips", "32", "--frames", "4", "--batch-size", "32", "--epochs", "1"]


def test_compare_killed_mid_training_resumes_to_the_full_run_folder_with_another_head(tmp_path, capsys):
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
    printed = capsys.readouterr().out
    assert "[1/2] conv2d" in printed and "[2/2] conv3d" in printed and "baseline" in printed
    assert "conv2d epoch 1/1" not in printed and "conv3d epoch 1/1" in printed  # conv2d was not trained again
    results = json.loads((out / "results.json").read_text())
    assert set(results["models"]) == {"conv2d", "conv3d"}
    for name, r in results["models"].items():
        assert 0 <= r["accuracy"] <= 1 and r["parameters"] > 0 and r["macs_per_clip"] > 0
        assert r["epochs_trained"] == 1 and [row["epoch"] for row in r["history"]] == [0]
        assert (out / f"grid_{name}.png").stat().st_size > 1000
        assert "| res4_4 |" in (out / f"rf_{name}.md").read_text()
        model = keras.saving.load_model(out / "models" / f"{name}.keras", safe_mode=True)
        layers = [layer.name for layer in model.layers]
        assert "pool" in layers and "lstm1" not in layers  # --head replaced the paper's LSTM head
    assert (out / "relative_conv3d_vs_conv2d.png").exists()
    assert (out / "training_curves.png").exists()
    report = (out / "results.md").read_text()
    assert "| baseline (majority class" in report and "| conv3d |" in report and "scaled down" in report


def test_compare_speed_reports_mae_and_rounded_accuracy_and_explains(tmp_path):
    out = tmp_path / "speed"
    assert main(["compare", "--task", "speed", "--models", "conv2d", "--explain", "2", "--out", str(out), *TINY]) == 0
    result = json.loads((out / "results.json").read_text())
    assert {"mae", "rounded_accuracy"} <= set(result["models"]["conv2d"]) and "mae" in result["baseline"]
    explained = json.loads((out / "explain" / "explain.json").read_text())["models"]
    assert [e["model"] for e in explained] == ["conv2d"] and 0 <= explained[0]["localization"] <= 1
    assert (out / "explain" / "conv2d" / "maps.png").exists() and (out / "explain" / "conv2d" / "clip_1.gif").exists()


def test_compare_reports_the_grids_per_s_row(tmp_path):
    out = tmp_path / "per_s"
    assert main(["compare", "--task", "speed", "--models", "conv2d,conv3d", "--out", str(out), *TINY]) == 0
    results = json.loads((out / "results.json").read_text())
    speeds = [str(s) for s in results["settings"]["speeds"]]
    for name, r in results["models"].items():
        row = [v for v in r["per_speed"].values() if v is not None]
        assert set(r["per_speed"]) <= set(speeds) and row
        assert min(row) - 1e-9 <= r["mae"] <= max(row) + 1e-9  # the overall MAE is a mean of the per-S ones
    assert set(results["relative"]["conv3d_vs_conv2d"]["per_speed"]) == set(results["models"]["conv2d"]["per_speed"])
    report = (out / "results.md").read_text()
    assert "## MAE per speed S over all V (the grids' bottom row)" in report and "| conv3d vs conv2d (relative) |" in report


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
        assert (out / "models" / "seed4" / f"{name}.keras").exists()
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
    assert not (out / "model.keras").exists()
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


def test_rf_prints_the_table(capsys):
    assert main(["rf", "--model", "conv3d", "--size", "xl"]) == 0
    assert "| res4_4 | ResidualBottleneck(conv3d) | 4x4x48 | 143x143 | 17 |" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["compare", "--models", "conv9d", "--out", "x"], "unknown model(s) 'conv9d'"),
        (["compare", "--task", "colour", "--out", "x"], "invalid choice: 'colour'"),
        (["compare", "--recipe", "slow", "--out", "x"], "invalid choice: 'slow'"),
        (["compare", "--epochs", "0", "--out", "x"], "expected a positive integer, got '0'"),
        (["compare", "--frames", "many", "--out", "x"], "expected a positive integer"),
        (["rf", "--model", "lstm"], "invalid choice: 'lstm'"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_impossible_strides_exit_2(tmp_path, capsys):
    assert main(["compare", "--models", "ts_conv3d", "--frames", "4", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert "shrink time below one frame" in err and len(err.splitlines()) == 1


def test_python_dash_m_runs():
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    done = subprocess.run([sys.executable, "-m", "stkeras", "rf", "--model", "conv2d"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0 and "| res1_1 |" in done.stdout


def test_choices_come_from_the_registries(capsys):
    from stkeras.blocks import available_ops
    from stkeras.cli import make_parser
    from stkeras.experiments import MODEL_NAMES
    from stkeras.tasks import available_tasks

    commands = make_parser()._subparsers._group_actions[0].choices
    options = {a.dest: a for a in commands["compare"]._actions}
    assert tuple(options["task"].choices) == available_tasks()
    assert {"pool", "lstm", "temporal_pool"} <= set(options["head"].choices)
    rf = {a.dest: a for a in commands["rf"]._actions}
    assert tuple(rf["op"].choices) == available_ops() and tuple(rf["model"].choices) == MODEL_NAMES
    assert main(["rf", "--op", "rank1", "--frames", "8", "--resolution", "32"]) == 0
    assert "| res4_4 | ResidualBottleneck(rank1) | 2x2x8 | 143x143 | 17 |" in capsys.readouterr().out
    with pytest.raises(SystemExit) as error:
        main(["rf", "--op", "conv4d"])
    assert error.value.code == 2 and "invalid choice: 'conv4d'" in capsys.readouterr().err


def test_heads_prints_table_3_with_every_count_matching(capsys):
    assert main(["heads"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| `")]
    assert len(rows) == 12 and "✗" not in "".join(rows)
    assert sum("✓" in row for row in rows) == 11  # every head of Table 3 (single-scale TRN is not in it)


def test_compare_heads_on_synthetic_clips_and_on_a_video_folder(tmp_path, capsys):
    out = tmp_path / "heads"
    assert main(["compare", "--heads", "tsn,gru", "--segments", "4", "--feature-dim", "8", "--out", str(out),
                 *TINY]) == 0
    results = json.loads((out / "heads.json").read_text())
    assert set(results["heads"]) == {"tsn", "gru"} and results["heads"]["tsn"]["head_parameters"] == 0
    assert 0 <= results["heads"]["gru"]["accuracy"] <= 1 and (out / "heads_curves.png").exists()
    assert "| `gru` |" in (out / "heads.md").read_text()
    keras.saving.load_model(out / "heads" / "gru.keras", safe_mode=True)

    from tests.data.test_video_folder import _write_videos

    labels = _write_videos(str(tmp_path / "videos"), [6, 7, 8, 9])
    assert main(["compare", "--heads", "mlp", "--video-folder", str(tmp_path / "videos"), "--train-labels", labels,
                 "--test-labels", labels, "--segments", "3", "--image-size", "16", "--feature-dim", "8",
                 "--epochs", "1", "--batch-size", "2", "--out", str(tmp_path / "folder")]) == 0
    folder = json.loads((tmp_path / "folder" / "heads.json").read_text())
    assert "4 training, 4 test videos" in folder["source"] and folder["heads"]["mlp"]["history"]


def test_compare_heads_refuses_unknown_heads(capsys):
    with pytest.raises(SystemExit):
        main(["compare", "--heads", "mlp,transformer", "--out", "x"])
    assert "unknown head(s) 'transformer'" in capsys.readouterr().err


def test_sensitivity_on_a_convlstm_model_saved_by_train(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", "--model", "convlstm", "--task", "order", "--out", str(run), *TINY]) == 0
    out = tmp_path / "sensitivity"
    assert main(["sensitivity", "--model-file", str(run / "model.keras"), "--task", "order", "--clips", "16",
                 "--periods", "2", "--scales", "s/2,s/16", "--out", str(out)]) == 0
    results = json.loads((out / "sensitivity.json").read_text())
    assert [s["label"] for s in results["scales"]] == ["s/2", "s/16"] and results["periods"] == [2, None]
    assert results["scales"][1]["layers"] == ["res4_1/op", "res4_2/op", "res4_3/op", "res4_4/op"]
    assert [r["relative"] for r in results["rows"] if r["period"] is None] == [1.0, 1.0]
    assert (out / "sensitivity.png").stat().st_size > 5000
    assert "| s/16 (2x2) | 4 |" in (out / "sensitivity.md").read_text()
    printed = capsys.readouterr()
    assert "s/16: reset every 2 frame(s)" in printed.out
    assert main(["sensitivity", "--model-file", str(run / "model.keras"), "--scales", "s/3", "--out", str(out)]) == 2
    assert "Unknown scale 's/3'" in capsys.readouterr().err
    assert main(["sensitivity", "--model-file", str(tmp_path / "missing.keras"), "--out", str(out)]) == 2
