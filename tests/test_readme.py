"""The README's and the docs pages' snippets run as written, and their tables are the documented runs'.

Each check reads the page where its text lives: the README keeps the API tour
and the quick run's table; the rest is in docs/ (the site's Markdown sources).
"""

import contextlib
import io
import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = ROOT / "docs"


def _page(name):
    """The text of the README (`"README.md"`) or of a docs page (`"guide/data.md"`)."""
    return (ROOT / name).read_text() if name == "README.md" else (DOCS / name).read_text()


def _python_blocks(page, section=None):
    """The ```python blocks of a page, or of one `## section` of it."""
    text = _page(page)
    if section is not None:
        text = text.split(f"## {section}", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def _recipe(name):
    """A recipe's settings as a run records them (`results.json`'s `settings`)."""
    from stkeras.experiments import synthetic_data

    return synthetic_data(recipe=name).record()["settings"]


def _run_tour(code, filename):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, filename, "exec"), {})
    printed = out.getvalue()
    assert "convlstm_base 431057" in printed
    assert "(None, 16, 4, 4, 144)" in printed
    from stkeras import list_presets

    presets = len(list_presets())
    assert "14.5" in printed
    assert f"\n{presets} " in printed and f"# {presets} " in code  # the preset count, as the comment says
    assert "(None, 8, 5)" in printed
    assert "('conv2d', 'conv3d', 'ts_conv3d', 'convlstm', 'conv2plus1d', 'p3d_a', 'p3d_b', 'p3d_c', 'stdcf', 'rank1'" in printed
    assert "(2, 6, 8, 8, 64)" in printed
    assert "shrink time below one frame" in printed
    assert "['res1_1', 'res2_1', 'res3_2', 'res4_4']" in printed and "(None, 16, 8, 8, 16)" in printed


def test_api_tour_runs_and_prints_what_it_says():
    (code,) = _python_blocks("README.md", "API tour")
    _run_tour(code, "README.md")


def test_build_guide_tour_runs_and_prints_what_it_says():
    code = _python_blocks("guide/build.md", "A tour")[0]
    _run_tour(code, "docs/guide/build.md")


def test_synthetic_clips_snippet_runs():
    (code,) = _python_blocks("guide/data.md", "Synthetic clips")
    namespace = {}
    exec(compile(code, "docs/guide/data.md", "exec"), namespace)
    clip, speed, info = next(iter(namespace["test"]))
    assert clip.shape == (32, 48, 64, 64, 1) and "visible_every" in info


def test_analysis_snippet_and_table_match_the_code():
    (code,) = _python_blocks("guide/analyse.md", "Receptive fields and counts")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "docs/guide/analyse.md", "exec"), {})
    table = [line for line in out.getvalue().splitlines() if line.startswith("|")]
    text = _page("guide/analyse.md")
    assert len(table) == 13 and all(line in text for line in table)


def test_quick_run_numbers_are_the_documented_run():
    """The quick-run table (README and Getting started) and learning curve are those of `docs/results/quick/results.json`."""
    import json

    readme = _page("README.md")
    page = _page("getting-started.md")
    results = json.loads((ROOT / "docs" / "results" / "quick" / "results.json").read_text())
    assert results["recipe"] == "blink16_12k" and results["task"] == "digit"
    assert results["settings"] == _recipe("blink16_12k"), "docs/results/quick is a run of today's recipe"
    for name, r in results["models"].items():
        row = f"| {name} | {r['accuracy']:.3f} |"
        assert row in readme and row in page, row
        curve = " | ".join(f"{h['val_accuracy']:.3f}" for h in r["history"])
        assert f"| {name} | {curve} |" in page, curve


def test_learned_and_quick_speed_runs_are_the_documented_runs_of_todays_recipes():
    import json

    readme = _page("guide/compare.md")
    learned = json.loads((ROOT / "docs" / "results" / "learned" / "results.json").read_text())
    assert learned["recipe"] == "blink16_86k" and learned["settings"] == _recipe("blink16_86k")
    for name, r in learned["models"].items():
        assert f"| {name} | {r['accuracy']:.3f} | " in readme, name
        curve = " | ".join(f"{r['history'][i]['val_accuracy']:.3f}" for i in range(6, 84, 7))
        assert f"| {name} | {curve} |" in readme, curve
    speed = json.loads((ROOT / "docs" / "results" / "quick_speed" / "results.json").read_text())
    assert speed["task"] == "speed" and speed["settings"] == _recipe("blink16_12k")
    maes = ", ".join(f"{r['mae']:.3f}" for r in speed["models"].values())
    assert f"MAE {maes.replace(', ' + maes.split(', ')[-1], ' and ' + maes.split(', ')[-1])}" in _page("getting-started.md")


def test_learned_speed_run_is_the_documented_run_of_todays_recipe():
    import json

    readme = _page("guide/compare.md")
    results = json.loads((ROOT / "docs" / "results" / "learned_speed" / "results.json").read_text())
    assert results["task"] == "speed" and results["settings"] == _recipe("blink24_86k")
    baseline = results["baseline"]["mae"]
    for name, r in results["models"].items():
        assert f"| {name} | {r['mae']:.3f} | {r['mae'] / baseline:.2f} | {r['rounded_accuracy']:.3f} |" in readme
        curve = " | ".join(f"{r['history'][i]['val_mae']:.3f}" for i in range(6, 84, 7))
        assert f"| {name} | {curve} |" in readme, curve


def test_finding_run_numbers_are_the_documented_run():
    """The finding table and curves (Compare guide) are those of `docs/results/finding/results.json`, a run of today's recipe."""
    import json

    readme = _page("guide/compare.md")
    results = json.loads((ROOT / "docs" / "results" / "finding" / "results.json").read_text())
    assert results["recipe"] == "blink24_20k" and results["task"] == "speed"
    assert results["settings"] == _recipe("blink24_20k")
    assert results["seeds"] == [0, 1, 2]
    for name, r in results["models"].items():
        assert f"| {name} | {r['mae']:.3f} ± {r['std']['mae']:.3f} |" in readme, name
        per_seed = " | ".join(f"{run['mae']:.3f}" for run in r["seeds"])
        assert f"| {name} | {per_seed} | {r['mae']:.3f} ± {r['std']['mae']:.3f} |" in readme, per_seed
        curve = " | ".join(f"{h['val_mae']:.3f}" for h in r["history"][1::2])
        assert f"| {name} | {curve} |" in readme, curve
    for pair, test in results["differences"].items():
        assert f"| {pair.replace('_vs_', ' vs ')} | {test['difference']:+.3f} | {test['p_value']:.3f} |" in readme


def test_frame_heads_snippet_runs_and_table_3_is_the_codes():
    (code,) = _python_blocks("papers/kopuklu.md", "The heads")
    namespace = {}
    exec(compile(code, "docs/papers/kopuklu.md", "exec"), namespace)
    assert namespace["head"].count_params() == 2_344_125 and namespace["maps"].input_shape == (None, 8, 7, 7, 256)
    assert namespace["model"].output_shape == (None, 27)
    from stkeras.experiments.head_costs import format_head_costs
    from stkeras.experiments.head_costs import head_costs

    readme = _page("papers/kopuklu.md")
    assert all(line in readme for line in format_head_costs(head_costs()).splitlines())


def test_heads_comparison_table_is_the_documented_run():
    import json

    results = json.loads((ROOT / "docs" / "results" / "heads" / "heads.json").read_text())
    readme = _page("papers/kopuklu.md")
    for head, row in results["heads"].items():
        assert f"| `{head}` | {row['accuracy']:.3f} | {row['head_parameters']:,} |" in readme


def test_search_table_is_the_documented_run():
    import json

    results = json.loads((ROOT / "docs" / "results" / "tuning" / "trials.json").read_text())
    readme = _page("guide/tune.md")
    for trial in results["trials"]:
        assert f"| {trial['score']:.4f} | {trial['parameters']:,} | {trial['macs'] / 1e6:,.1f} |" in readme
    assert f"Best: trial {results['best']['trial_id']}, val_accuracy {results['best']['score']:.4f}" in readme
    spread = results["seed_spread"]
    assert spread["exceeds"] and f"{spread['mean']:.4f} ± {spread['std']:.4f}" in readme
    assert f"{spread['trial_spread']:.4f}" in readme and f"front is trials {', '.join(results['pareto_front'][:-1])}" in readme


def test_explain_table_is_the_documented_run():
    import json

    readme = _page("guide/explain.md")
    for folder in ("", "res1_1_global/", "res2_1/", "saliency/"):
        results = json.loads((ROOT / "docs" / "results" / "explain" / folder / "explain.json").read_text())
        for entry in results["models"]:
            assert f"| {entry['model']} | " in readme
            assert f" | {entry['localization']:.3f} | {entry['frames_localization']:.3f} |" in readme
            assert f"{entry['chance']:.3f} for space" in readme


def test_sensitivity_table_is_the_documented_run():
    import json

    results = json.loads((ROOT / "docs" / "results" / "sensitivity" / "sensitivity.json").read_text())
    readme = _page("guide/analyse.md")
    for scale in results["scales"]:
        cells = " | ".join(f"{r['relative']:.3f}" for r in results["rows"] if r["scale"] == scale["label"])
        size = "x".join(map(str, scale["size"]))
        assert f"| {scale['label']} ({size}) | {len(scale['layers'])} | {cells} |" in readme
    assert results["clips"] == 512 and "--clips 512" in readme


def test_tr_mnist_ablation_table_is_the_documented_run():
    """The TR-MNIST ablation rows on the Miao et al. 2021 page are docs/results/stdcf/tr_mnist_ablation.md, written by the example."""
    table = (ROOT / "docs" / "results" / "stdcf" / "tr_mnist_ablation.md").read_text()
    rows = [line for line in table.splitlines() if line.startswith("| ") and not line.startswith("| setting")]
    assert len(rows) == 11
    readme = _page("papers/miao-2021.md")
    for row in rows:
        assert row in readme, row


def test_build_guide_adds_a_family_in_two_files_and_its_presets_round_trip(tmp_path, monkeypatch):
    """The "Add a family" example: a backbone file and a presets file make a family like the papers'."""
    from stkeras.models.family import FAMILIES
    from stkeras.models.presets import PRESETS

    backbone, presets, use = _python_blocks("guide/build.md", "Add a family")
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    with FAMILIES.temporary(), PRESETS.temporary(), contextlib.redirect_stdout(out):
        namespace = {}
        exec(compile(backbone, "docs/guide/build.md", "exec"), namespace)
        exec(compile(presets, "docs/guide/build.md", "exec"), {})
        exec(compile(use, "docs/guide/build.md", "exec"), namespace)
        from stkeras.models import read_preset

        saved = read_preset(tmp_path / "tiny_run")
        assert saved.family == "tiny_c3d" and saved.preset == "tiny_c3d_s" and saved.class_names[0] == "a"
    printed = out.getvalue()
    assert "(None, 5) ['conv1', 'conv2']" in printed and "(None, 1)" in printed
    assert printed.strip().splitlines()[-1] == "0.0"
    assert "tiny_c3d" not in FAMILIES and "tiny_c3d_s" not in PRESETS


def test_build_guide_presets_snippet_runs():
    (code,) = _python_blocks("guide/build.md", "Presets")
    namespace = {}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "docs/guide/build.md", "exec"), namespace)
    assert "r2plus1d_18 Tran et al. 2018 (16, 112, 112, 3)" in out.getvalue()
    assert namespace["model"].output_shape == (None, 10) and namespace["speed"].output_shape == (None, 1)


def test_every_documented_command_line_parses():
    """Every `stkeras ...` line of the README's and the guide's bash blocks is a valid command line."""
    import shlex

    from stkeras.cli import parse_arguments

    pages = ["README.md"] + [f"guide/{p.name}" for p in sorted((DOCS / "guide").glob("*.md"))]
    checked = 0
    for page in pages:
        for block in re.findall(r"```bash\n(.*?)```", _page(page), flags=re.S):
            for line in block.replace("\\\n", " ").splitlines():
                command = line.split("&&")[-1].strip()
                if command.startswith("stkeras ") and "--help" not in command:
                    parse_arguments(shlex.split(command, comments=True)[1:])  # argparse exits with status 2 on an error
                    checked += 1
    assert checked >= 10
