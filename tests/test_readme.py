"""The README's API tour runs exactly as written."""

import contextlib
import io
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def _python_blocks(section):
    text = README.read_text()
    body = text.split(f"## {section}", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", body, flags=re.S)


def test_api_tour_runs_and_prints_what_it_says():
    (code,) = _python_blocks("API tour")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {})
    printed = out.getvalue()
    assert "convlstm_base 431057" in printed
    assert "(None, 16, 4, 4, 144)" in printed
    assert "14.5" in printed
    assert "(None, 8, 5)" in printed
    assert "('conv2d', 'conv3d', 'ts_conv3d', 'convlstm', 'conv2plus1d', 'p3d_a', 'p3d_b', 'p3d_c', 'stdcf', 'rank1'" in printed  # user ops registered by other tests follow
    assert "(2, 6, 8, 8, 64)" in printed
    assert "shrink time below one frame" in printed
    assert "['res1_1', 'res2_1', 'res3_2', 'res4_4']" in printed and "(None, 16, 8, 8, 16)" in printed


def test_synthetic_clips_snippet_runs():
    (code,) = _python_blocks("Synthetic clips")
    namespace = {}
    exec(compile(code, "README.md", "exec"), namespace)
    clip, speed, info = next(iter(namespace["test"]))
    assert clip.shape == (32, 48, 64, 64, 1) and "visible_every" in info


def test_analysis_snippet_and_table_match_the_code():
    (code,) = _python_blocks("Analysis")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "README.md", "exec"), {})
    table = [line for line in out.getvalue().splitlines() if line.startswith("|")]
    text = README.read_text()
    assert len(table) == 13 and all(line in text for line in table)


def test_quick_run_numbers_are_the_documented_run():
    """README's quick-run table and learning curve are those of `docs/quick/results.json`."""
    import json

    readme = (ROOT / "README.md").read_text()
    results = json.loads((ROOT / "docs" / "quick" / "results.json").read_text())
    assert results["preset"] == "quick" and results["task"] == "digit"
    from stkeras.experiments import resolve_settings
    from stkeras.experiments.settings import jsonable

    assert results["settings"] == jsonable(resolve_settings("quick")), "docs/quick is a run of today's preset"
    for name, r in results["models"].items():
        row = f"| {name} | {r['accuracy']:.3f} |"
        assert row in readme, row
        curve = " | ".join(f"{h['val_accuracy']:.3f}" for h in r["history"])
        assert f"| {name} | {curve} |" in readme, curve
