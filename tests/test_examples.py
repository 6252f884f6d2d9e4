import pathlib
import runpy
import sys

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parents[1] / "examples"


def test_build_and_inspect(capsys, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["build_and_inspect.py", "--frames", "16", "--resolution", "32"])
    runpy.run_path(str(EXAMPLES / "build_and_inspect.py"), run_name="__main__")
    printed = capsys.readouterr().out
    assert printed.count("| res4_4 |") == 4
    assert "| res4_4 | ts_conv3d | 1x2x2x128 |" in printed
