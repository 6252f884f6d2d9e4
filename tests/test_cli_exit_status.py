"""Exit statuses of the command line: 2 and one line for errors in the arguments; errors while training propagate."""

import os
import shutil
import subprocess
import sys

import pytest

from stkeras.cli import main
from stkeras.experiments import fitting
from tests.cli_runs import TINY


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """An untrained ConvLSTM of the blink32_3k clips (4 frames), saved as a run's preset folder `RUN/`."""
    from stkeras.experiments import synthetic_data
    from stkeras.models import from_preset
    from stkeras.models import save_preset

    data = synthetic_data(recipe="blink32_3k", frames=4)
    folder = tmp_path_factory.mktemp("runs") / "run"
    save_preset(from_preset("convlstm", input_shape=data.input_shape, task=data.task), folder, recipe=data.record(),
                keras_file=True)
    return str(folder)


def _error_line(capsys):
    err = capsys.readouterr().err
    assert "Traceback" not in err
    (line,) = [line for line in err.splitlines() if line.startswith("stkeras ")]
    return line


@pytest.mark.parametrize("argv, message", [
    (["train", "--model", "ts_conv3d", "--frames", "2"], "shrink time below one frame"),
    (["tune", "--oracle", "nowhere", "--role", "chief"], "`oracle` must be HOST:PORT"),
    (["sensitivity", "--model", "missing"], "--model 'missing' does not exist"),
    (["train", "--model", "conv2d", "--weights", "x.pth"], "--weights starts a model on your videos"),
])
def test_an_argument_that_does_not_resolve_exits_2_naming_it(argv, message, tmp_path, capsys):
    assert main([*argv, "--out", str(tmp_path / "out")]) == 2
    line = _error_line(capsys)
    assert line.startswith(f"stkeras {argv[0]}: error: ") and message in line
    assert not (tmp_path / "out").exists()


def test_saved_model_arguments_are_checked_before_any_clip(saved, tmp_path, capsys):
    out = str(tmp_path / "out")
    damaged = tmp_path / "damaged"
    shutil.copytree(saved, damaged)
    (damaged / "model.weights.h5").write_bytes(b"not an HDF5 file")
    assert main(["explain", "--model", saved, str(damaged), "--out", out]) == 2
    line = _error_line(capsys)
    assert "--model" in line and "damaged" in line and "cannot be loaded" in line
    assert main(["explain", "--model", str(tmp_path), "--out", out]) == 2
    assert "is not a preset folder" in _error_line(capsys)
    assert main(["explain", "--model", saved, "--layer", "res9_1/op", "--out", out]) == 2
    assert "res9_1/op" in _error_line(capsys)
    assert main(["explain", "--model", saved, "--data", str(tmp_path), "--out", out]) == 2
    assert "takes 1-channel frames; videos are decoded as RGB" in _error_line(capsys)
    assert main(["sensitivity", "--model", saved, "--scales", "s/3", "--out", out]) == 2
    assert "Unknown scale 's/3' in --scales" in _error_line(capsys)
    assert not os.path.exists(out)


@pytest.mark.parametrize("error", [RuntimeError("boom"), ValueError("boom during training")])
def test_an_error_while_training_propagates_with_its_traceback(error, tmp_path, monkeypatch):
    def fail(*args, **kwargs):
        raise error

    monkeypatch.setattr(fitting, "fit_resumable", fail)
    with pytest.raises(type(error), match="boom"):  # not turned into an argument error (status 2)
        main(["train", "--model", "conv2d", "--out", str(tmp_path / "train"), *TINY])
    with pytest.raises(type(error), match="boom"):
        main(["compare", "--models", "conv2d", "--out", str(tmp_path / "compare"), *TINY])


def test_python_dash_m_exits_1_with_the_traceback_of_an_error_while_training(tmp_path):
    child = ("import runpy, sys\n"
             "from stkeras.experiments import fitting\n"
             "def fail(*args, **kwargs):\n"
             "    raise RuntimeError('boom')\n"
             "fitting.fit_resumable = fail\n"
             f"sys.argv = ['stkeras', 'train', '--model', 'conv2d', '--out', {str(tmp_path)!r}, *{TINY!r}]\n"
             "runpy.run_module('stkeras', run_name='__main__')\n")
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    done = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 1
    assert "Traceback (most recent call last)" in done.stderr and "RuntimeError: boom" in done.stderr


def test_model_names_saved_models_by_their_folder_or_their_keras_file(saved, tmp_path, capsys):
    other = tmp_path / "other"
    shutil.copytree(saved, other)
    out = tmp_path / "explained"
    assert main(["explain", "--model", saved, str(other / "model.keras"), "--clips", "2", "--out", str(out)]) == 0
    assert (out / "other" / "maps.png").exists() and (out / os.path.basename(saved)).is_dir()
    out = tmp_path / "sensitivity"
    assert main(["sensitivity", "--model", saved, "--clips", "4", "--periods", "2", "--scales", "s/2",
                 "--out", str(out)]) == 0
    assert (out / "sensitivity.json").exists()
    capsys.readouterr()
    for command in ("explain", "sensitivity"):
        with pytest.raises(SystemExit) as exit_info:
            main([command, "--model-file", saved, "--out", str(tmp_path / "refused")])
        assert exit_info.value.code == 2


def test_help_shows_the_model_options_and_the_exit_statuses(capsys):
    for argv in (["explain", "--help"], ["sensitivity", "--help"], ["evaluate", "--help"]):
        with pytest.raises(SystemExit):
            main(argv)
        assert "--model DIR" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "exit status: 0 done; 2 an error in the arguments" in capsys.readouterr().out.replace("\n", " ")
