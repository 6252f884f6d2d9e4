"""The command line's behaviours: --version, defaults in --help, --config, run folder settings, --tensorboard."""

import json
import os
import pathlib
import subprocess
import sys

import pytest

from stkeras import __version__
from stkeras.cli import main
from stkeras.cli import make_parser
from stkeras.cli import parse_arguments
from stkeras.experiments.run_folder import claim_run_folder

ROOT = pathlib.Path(__file__).resolve().parents[1]
TINY = ["--model", "small_3d_cnn_regular", "--train-clips", "16", "--test-clips", "8", "--validation-clips", "8",
        "--frames", "4", "--batch-size", "8"]


def _config(tmp_path, text):
    path = tmp_path / "run.toml"
    path.write_text(text)
    return str(path)


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"stkeras {__version__}"


def test_help_shows_the_defaults():
    parser = make_parser()
    compare = parser.command_parsers["compare"].format_help()
    assert "(default: blink16_12k)" in compare and "(default: conv2d,conv3d,ts_conv3d,convlstm)" in compare
    assert "(default: the recipe's)" in compare and "(default: None)" not in compare
    assert "(default: 1,2,4,8,never)" in parser.command_parsers["sensitivity"].format_help()


def test_help_imports_neither_keras_nor_tensorflow():
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "stkeras", "train", "--help"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "--model PRESET" in done.stdout
    imported = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if "|" in line}
    assert "stkeras.cli" in imported
    assert not {"keras", "tensorflow", "numpy"} & imported


def test_config_file_options_and_command_line_precedence(tmp_path):
    path = _config(tmp_path, 'models = ["conv2d", "convlstm"]\nepochs = 3\nbatch-size = 8\nout = "runs/a"\n'
                             'tensorboard = true\nrecipe = "blink16_86k"\n')
    args = parse_arguments(["compare", "--config", path, "--epochs", "5", "--out", "runs/b"])
    assert args.models == ["conv2d", "convlstm"] and args.batch_size == 8 and args.tensorboard
    assert (args.epochs, args.out, args.recipe) == (5, "runs/b", "blink16_86k")  # the command line wins
    assert parse_arguments(["compare", f"--config={path}"]).epochs == 3


def test_config_lists_for_options_that_take_several_values(tmp_path):
    path = _config(tmp_path, 'model = ["runs/a", "runs/b"]\nout = "maps"\n')
    assert parse_arguments(["explain", "--config", path]).model == ["runs/a", "runs/b"]


@pytest.mark.parametrize("text, message", [
    ("epochz = 3\n", "unknown option 'epochz' for `stkeras train`. Allowed: "),
    ("epochs = [\n", "is not valid TOML"),
    ("tensorboard = 1\n", "'tensorboard' is a flag; expected true or false, got 1"),
    ("[epochs]\nvalue = 1\n", "'epochs' must be a value or a list, not a table"),
    ("epochs = 0\n", "argument --epochs: expected a positive integer, got '0'"),
])
def test_config_errors_are_one_line_and_status_2(tmp_path, capsys, text, message):
    path = _config(tmp_path, text)
    with pytest.raises(SystemExit) as exit_:
        parse_arguments(["train", "--config", path, "--model", "conv2d", "--out", str(tmp_path)])
    assert exit_.value.code == 2
    error = capsys.readouterr().err
    assert message in error and len(error.strip().splitlines()) == 1


def test_a_missing_config_file_is_named(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        parse_arguments(["rf", "--model", "conv3d", "--config", str(tmp_path / "none.toml")])
    assert exit_.value.code == 2 and "none.toml' cannot be read" in capsys.readouterr().err


def test_run_folder_refuses_other_settings_and_names_them(tmp_path):
    claim_run_folder(str(tmp_path), {"epochs": 2, "task": "digit", "models": ["conv2d"]})
    claim_run_folder(str(tmp_path), {"epochs": 2, "task": "digit", "models": ("conv2d",)})  # the same: resumes
    (tmp_path / "history.json").write_text("[]")
    with pytest.raises(ValueError, match=r"epochs: 3 \(the folder's run: 2\); task: order \(the folder's run: digit\)"):
        claim_run_folder(str(tmp_path), {"epochs": 3, "task": "order", "models": ["conv2d"]})
    assert (tmp_path / "history.json").exists()
    claim_run_folder(str(tmp_path), {"epochs": 3, "task": "order", "models": ["conv2d"]}, overwrite=True)
    assert not (tmp_path / "history.json").exists()
    assert json.loads((tmp_path / "settings.json").read_text())["epochs"] == 3


def test_damaged_settings_file_is_named(tmp_path):
    (tmp_path / "settings.json").write_text("{")
    with pytest.raises(ValueError, match="settings.json' is damaged"):
        claim_run_folder(str(tmp_path), {"epochs": 1})


def test_train_records_settings_refuses_other_ones_and_logs_for_tensorboard(tmp_path, capsys):
    out = str(tmp_path / "run")
    assert main(["train", *TINY, "--epochs", "1", "--out", out, "--tensorboard"]) == 0
    settings = json.loads((tmp_path / "run" / "settings.json").read_text())
    assert (settings["model"], settings["epochs"], settings["frames"]) == ("small_3d_cnn_regular", 1, 4)
    assert "verbose" not in settings and "tensorboard" not in settings
    assert any(name.startswith("events.") for _, _, files in os.walk(tmp_path / "run" / "tensorboard")
               for name in files)
    capsys.readouterr()
    assert main(["train", *TINY, "--epochs", "2", "--out", out]) == 2
    error = capsys.readouterr().err
    assert "epochs: 2 (the folder's run: 1)" in error and "--overwrite" in error
    assert main(["train", *TINY, "--epochs", "2", "--out", out, "--overwrite"]) == 0
    assert json.loads((tmp_path / "run" / "settings.json").read_text())["epochs"] == 2
    assert "small_3d_cnn_regular epoch 1/2:" in capsys.readouterr().out  # started over, not resumed at epoch 2


def test_cli_help_benchmark_prints_its_lines():
    done = subprocess.run([sys.executable, "cli_help.py", "--repeats", "1"], cwd=ROOT / "benchmarks",
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert [row["command"] for row in rows] == ["stkeras --help", "stkeras train --help", "import stkeras"]
    assert all(row["seconds"] > 0 for row in rows)


def test_mixed_precision_flag_sets_the_policy_before_the_models_are_built(tmp_path, monkeypatch):
    import keras

    import stkeras.training

    monkeypatch.setattr(stkeras.training, "mixed_precision_policy", lambda: "mixed_bfloat16")
    try:
        assert main(["train", *TINY, "--epochs", "1", "--out", str(tmp_path), "--mixed-precision"]) == 0
        assert keras.mixed_precision.global_policy().name == "mixed_bfloat16"
        assert json.loads((tmp_path / "settings.json").read_text())["mixed_precision"] is True
    finally:
        keras.mixed_precision.set_global_policy("float32")


def test_mixed_precision_without_support_is_an_argument_error(tmp_path, capsys, monkeypatch):
    import stkeras.training

    def unsupported():
        raise RuntimeError("no GPU and no bfloat16 instructions")

    monkeypatch.setattr(stkeras.training, "mixed_precision_policy", unsupported)
    assert main(["train", *TINY, "--out", str(tmp_path), "--mixed-precision"]) == 2
    assert "--mixed-precision: no GPU and no bfloat16 instructions" in capsys.readouterr().err


def test_the_command_line_only_parses_plans_and_runs():
    """cli.py imports no part of stkeras that builds, lists or trains: a command's application does that."""
    import ast

    tree = ast.parse((ROOT / "stkeras" / "cli.py").read_text())
    imported = {f"{node.module}.{alias.name}" if isinstance(node, ast.ImportFrom) else alias.name
                for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))
                for alias in node.names}
    assert {name for name in imported if name.startswith("stkeras")} == {
        "stkeras.__version__", "stkeras.choices", "stkeras.allocator.keep_freed_memory",
        "stkeras.quiet.quiet_start_for_command_line", "stkeras.recipes.OVERRIDES", "stkeras.recipes.FINE_TUNING",
        "stkeras.recipes.list_recipes",
        "stkeras.experiments.APPLICATIONS", "stkeras.data.video_index.VideoDecodeError"}
    calls = {node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
             for node in ast.walk(tree) if isinstance(node, ast.Call)}
    assert not calls & {"from_preset", "build_run_model", "fit", "train_model", "list_class_videos", "read_layout"}


def test_the_memory_check_refuses_a_run_that_would_not_fit_and_can_be_skipped(tmp_path, capsys, monkeypatch):
    import collections

    import psutil

    memory = collections.namedtuple("Memory", "total available percent used free")
    monkeypatch.setattr(psutil, "virtual_memory", lambda: memory(2**20, 2**20, 100.0, 0, 2**20))
    assert main(["train", *TINY, "--epochs", "1", "--out", str(tmp_path / "run")]) == 2
    error = capsys.readouterr().err
    assert "would need at least" in error and "small_3d_cnn_regular" in error and "--skip-memory-check" in error
    assert not (tmp_path / "run").exists()
    from stkeras.experiments import plan_train

    plan = plan_train(model="small_3d_cnn_regular", frames=4, out=str(tmp_path / "run"), skip_memory_check=True)
    assert plan.model.model.count_params() > 0  # planned: nothing checked the memory, nothing trained
