"""mkdocs hooks: pages generated from the code when the site is built.

- `reference/cli.md`: every `stkeras` subcommand, from `stkeras.cli.make_parser()`.
- `reference/api/*.md`: one section per public name a subpackage's
  `__init__.py` imports, rendered by mkdocstrings from its defining module.
- `zoo.md`: one card per preset family, from `stkeras.list_presets()` and
  `docs/presets.md` (which a test keeps equal to `preset_page()`), beside the
  family's paper page and reproduction results in `FAMILY_CARDS`.

Both replace a marker comment in their page, so the page's hand-written text
stays in docs/ and the generated part cannot go stale.
"""

import argparse
import os
import pathlib
import re

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

CLI_MARKER = "<!-- generated: cli reference -->"
API_MARKER = re.compile(r"<!-- generated: api (stkeras[.\w]*) -->")
ZOO_MARKER = "<!-- generated: model zoo -->"

# Per family: the paper page, then the reproduction results with the paper's numbers beside stkeras'. A family
# without a card gets one from its registration (its paper, no page, no results).
FAMILY_CARDS = {
    "courtney": ("papers/courtney-sreenivas-2022.md", None),  # from the documented runs: _courtney_results
    "res_convlstm": (
        "papers/courtney-sreenivas-2019.md",
        "`lipreading` has 14.46M parameters (paper: about 14.5M), a bidirectional pair 28.92M (paper: 29M), "
        "`lipreading_reduced` 7.64M, 0.53 of the full model (paper: roughly half). "
        "No LRW training is reproduced; the state-reset sensitivity of Figure 5 is measured on "
        "Courtney & Sreenivas 2022's ConvLSTM model ([Analyse](guide/analyse.md)).",
    ),
    "vggm_convlstm": (
        "papers/courtney-sreenivas-2019.md",
        "Figure 3a, 10.13M parameters at 48×48; the paper gives no widths, so they are derived "
        "from VGG-M's (see the paper page). No training result is reproduced.",
    ),
    "video_resnet": (
        "papers/tran-2018.md",
        "The 18-layer parameter counts match Tran et al. 2018's Table 1 within 2% (tests check it); "
        "R(2+1)D has 1.00× the parameters and 1.02× the multiply-accumulates of R3D, as the paper states. "
        "No Kinetics training is reproduced.",
    ),
    "stdcf_resnet": (
        "papers/miao-2021.md",
        "| | stkeras | paper |\n|---|---|---|\n"
        "| STDCF-R50 (`stdcf_r50`), parameters / MACs at 8×256×256 | 28.2M / 52.9G | 18.5M / 52.2 GFLOPs |\n"
        "| `stdcf_r50_18m`, parameters / MACs | 18.1M / 34.9G | 18.5M / 52.2 GFLOPs |\n"
        "| TR-MNIST PSNR, STDCF / rank-1 | 27.30 / 27.97 dB | 24.60 / 21.50 dB |\n"
        "| tempo change, accuracy swapped / with temporal dilation | 0.406 / 0.809 | 66.49 / 77.11 |\n\n"
        "CPU-scale experiments (`examples/stdcf_experiments.py`); the paper page explains the gaps.",
    ),
    "small_3d_cnn": (
        "papers/miao-2021.md",
        "The three-layer networks of the CPU-scale experiments (regular 3D, rank-1, STDCF); their results "
        "are on the paper page (`examples/stdcf_experiments.py`).",
    ),
    "frame_model": (
        "papers/kopuklu.md",
        "Every head's parameters match Table 3 at its rounding once counted as PyTorch counts them; "
        "no Jester or Something-Something training is reproduced (the heads are compared on synthetic clips).",
    ),
}


def _sentence(text):
    text = text.strip()
    return (text[:1].upper() + text[1:] + ".") if text else ""


def _without_paper_column(table):
    """A docs/presets.md family table without its `paper` column (the card names the paper once)."""
    rows = []
    for line in table.splitlines():
        if line.startswith("|"):
            cells = line.strip().strip("|").split("|")
            line = "|" + "|".join(cells[:1] + cells[2:]) + "|"
        rows.append(line)
    return "\n".join(rows)


def _cli_reference():
    from stkeras.cli import make_parser

    parser = make_parser()
    parser.prog = "stkeras"
    (commands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    summaries = {action.dest: action.help for action in commands._choices_actions}
    lines = ["```text", parser.format_help().rstrip(), "```", ""]
    for name, sub in commands.choices.items():
        lines += [f"## stkeras {name}", "", _sentence(summaries.get(name) or ""), ""]
        lines += ["| option | default | help |", "|---|---|---|"]
        for action in sub._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            flags = ", ".join(f"`{flag}`" for flag in action.option_strings) or f"`{action.dest}`"
            if action.metavar and action.option_strings and action.nargs != 0:
                flags += f" `{action.metavar}`"
            default = action.default
            if isinstance(default, (list, tuple)):
                default = ",".join(map(str, default))
            default = "" if default in (None, argparse.SUPPRESS, False, "") else f"`{default}`"
            text = (action.help or "").replace("%(default)s", str(action.default)).replace("%%", "%")
            if action.choices:
                text += " Choices: " + ", ".join(f"`{c}`" for c in action.choices) + "."
            text = " ".join(text.split()).replace("|", "\\|")
            lines.append(f"| {flags} | {default} | {text} |")
        lines += ["", "```text", sub.format_help().rstrip(), "```", ""]
    return "\n".join(lines)


PAPER_TABLE_5 = {  # Courtney & Sreenivas 2022, Table 5, base models: digit accuracy, speed MAE
    "conv2d": (0.979, 0.166), "conv3d": (0.979, 0.187), "convlstm": (0.972, 0.129),
}


def _courtney_results(docs_dir):
    """The courtney card's results, read from the documented runs in docs/results/ beside Table 5."""
    import json

    results = pathlib.Path(docs_dir) / "results"
    learned = json.loads((results / "learned" / "results.json").read_text())["models"]
    finding = json.loads((results / "finding" / "results.json").read_text())["models"]
    rows = ["| recipe | model | stkeras | paper (Table 5, base) |", "|---|---|---|---|"]
    for name, (accuracy, _) in PAPER_TABLE_5.items():
        rows.append(f"| `blink16_86k` (digit accuracy) | {name} | {learned[name]['accuracy']:.3f} | {accuracy} |")
    for name, (_, mae) in PAPER_TABLE_5.items():
        run = finding[name]
        rows.append(f"| `blink24_20k` (speed MAE, {len(run['seeds'])} seeds) | {name} | "
                    f"{run['mae']:.3f} ± {run['std']['mae']:.3f} | {mae} |")
    return ("Parameters at the paper's input against Table 5: Conv2D 372,250 (paper 385K), "
            "Conv3D 464,410 (473K), ConvLSTM 432,218 (437K), Conv3D-XL 1,161,406 (1,145K), "
            "ConvLSTM-XL 1,996,174 (1,967K).\n\n" + "\n".join(rows) + "\n\n"
            "At reduced scale (16 frames of 16×16 or 24×24, not the paper's 48 of 64×64), from "
            "`docs/results/learned` and `docs/results/finding`; the runs are in [Compare](guide/compare.md).")


def _zoo(docs_dir):
    from stkeras import list_presets

    page = (pathlib.Path(docs_dir) / "presets.md").read_text()
    tables = {m.group(1): m.group(0) for m in re.finditer(r"^## (\w+): .*?(?=^## |\Z)", page, flags=re.S | re.M)}
    families = list(dict.fromkeys(preset.family for preset in list_presets()))
    missing = [family for family in families if family not in tables]
    if missing:
        raise ValueError(f"model zoo: no docs/presets.md table for families {missing}: regenerate it with "
                         "`stkeras presets > docs/presets.md`")
    cards = []
    for family in families:
        members = list_presets(family)
        paper_page, results = FAMILY_CARDS.get(family, (None, "No results are documented."))
        if results is None:
            results = _courtney_results(docs_dir)
        papers = ", ".join(dict.fromkeys(preset.paper for preset in members))
        table = _without_paper_column(tables[family].split("\n", 1)[1].strip())
        cards += [
            f"## {family}", "",
            f"**Paper:** {f'[{papers}]({paper_page})' if paper_page else papers} · **builder:** "
            f"`{members[0].builder.__name__}` · "
            f"**presets:** {len(members)} · **weights:** none ship; every preset is built untrained.", "",
            table, "", "**Reproduction**", "", results, "",
        ]
    return "\n".join(cards)


def _api(package):
    """mkdocstrings blocks for every public name `package/__init__.py` imports, in import order."""
    import ast

    init = pathlib.Path(__file__).resolve().parents[1].joinpath(*package.split("."), "__init__.py")
    tree = ast.parse(init.read_text())
    blocks = [f"::: {package}\n    options:\n      members: false\n      show_root_heading: false\n"]
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("stkeras"):
            for alias in node.names:
                name = alias.asname or alias.name
                if not name.startswith("_"):
                    blocks.append(f"::: {node.module}.{alias.name}\n    options:\n      show_root_heading: true\n"
                                  f"      show_root_full_path: false\n      heading_level: 2\n")
    return "\n".join(blocks)


def on_page_markdown(markdown, page, config, files):
    if CLI_MARKER in markdown:
        markdown = markdown.replace(CLI_MARKER, _cli_reference())
    markdown = API_MARKER.sub(lambda match: _api(match.group(1)), markdown)
    if ZOO_MARKER in markdown:
        markdown = markdown.replace(ZOO_MARKER, _zoo(config["docs_dir"]))
    return markdown
