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


def test_quadrant_blink_strip(tmp_path, monkeypatch):
    out = tmp_path / "strip.png"
    monkeypatch.setattr(sys, "argv", ["quadrant_blink_strip.py", "--out", str(out), "--clips", "2", "--frames", "4"])
    runpy.run_path(str(EXAMPLES / "quadrant_blink_strip.py"), run_name="__main__")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 1000
