"""The docs site builds with `mkdocs build --strict`, and the strict build fails on a broken link or reference."""

import os
import pathlib
import subprocess
import sys
import textwrap

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]

pytest.importorskip("mkdocs", reason="the docs tools come with the test extra: pip install -e '.[test]'")


def _mkdocs(config, site):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
               NO_MKDOCS_2_WARNING="1", TF_CPP_MIN_LOG_LEVEL="3")
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config), "-d", str(site)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


def test_site_builds_strictly_with_generated_pages(tmp_path):
    run = _mkdocs(ROOT / "mkdocs.yml", tmp_path / "site")
    assert run.returncode == 0, run.stderr[-4000:]
    site = tmp_path / "site"
    cli = (site / "reference" / "cli" / "index.html").read_text()
    for command in ("compare", "train", "tune", "explain", "sensitivity", "rf", "heads", "presets"):
        assert f"stkeras {command}" in cli, command
    zoo = (site / "zoo" / "index.html").read_text()
    from stkeras import list_presets

    for preset in list_presets():
        assert f"<code>{preset.name}</code>" in zoo, preset.name
    layers = (site / "reference" / "api" / "layers" / "index.html").read_text()
    assert "ConvLSTM2D" in layers and "state_reset_period" in layers
    assert (site / "results" / "quick" / "training_curves.png").exists()


def test_strict_build_fails_on_a_broken_link_or_reference(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "index.md").write_text("[a page that is not there](missing.md), [an anchor](#nowhere), "
                                   "[a reference][stkeras.no_such_thing]\n")
    config = tmp_path / "mkdocs.yml"
    config.write_text(textwrap.dedent(f"""\
        INHERIT: {ROOT / 'mkdocs.yml'}
        docs_dir: {docs}
        hooks: []
        nav: [index.md]
    """))
    run = _mkdocs(config, tmp_path / "site")
    assert run.returncode != 0
    assert "missing.md" in run.stderr and "nowhere" in run.stderr and "stkeras.no_such_thing" in run.stderr
