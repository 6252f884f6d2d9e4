"""What the command-line tests share: tiny run options, a counter of model builds and data listings, one run.

`counts` counts, while a test runs, every model a family builds (by the
model's name: a preset's, or a saved model's), every listing of videos (a
folder of class subfolders, a published layout's split file), every video
probed, and every search space made: a command's plan builds each model once
and lists its data once, and its run builds and lists nothing again.
"""

import collections

import pytest

from stkeras.cli import main

# Clips small enough for a training step in seconds.
TINY = ["--train-clips", "32", "--test-clips", "16", "--validation-clips", "16", "--frames", "4", "--batch-size", "16",
        "--epochs", "1"]


@pytest.fixture
def counts(monkeypatch):
    """A `collections.Counter` of `("build", model name)`, `("list", listing)`, `"probed"` and `("space", space)`."""
    import stkeras.experiments.run_data as run_data
    from stkeras.models.family import Family
    from stkeras.tuning import SPACES

    counted = collections.Counter()
    build = Family.build

    def counting_build(self, **arguments):
        counted["build", arguments.get("name") or self.name] += 1
        return build(self, **arguments)

    monkeypatch.setattr(Family, "build", counting_build)
    for name in ("list_class_videos", "read_layout"):
        def counting_listing(*args, _listing=getattr(run_data, name), _name=name, **kwargs):
            counted["list", _name] += 1
            return _listing(*args, **kwargs)

        monkeypatch.setattr(run_data, name, counting_listing)
    probe = run_data.probe_videos

    def counting_probe(paths, **kwargs):
        counted["probed"] += len(paths)
        return probe(paths, **kwargs)

    monkeypatch.setattr(run_data, "probe_videos", counting_probe)
    for space, hypermodel in list(SPACES.items()):
        def counting_space(*args, _hypermodel=hypermodel, _space=space, **kwargs):
            counted["space", _space] += 1
            return _hypermodel(*args, **kwargs)

        monkeypatch.setitem(SPACES, space, counting_space)
    return counted


@pytest.fixture(scope="module")
def convlstm_run(tmp_path_factory):
    """A run folder of `stkeras train --model convlstm --task order` on tiny clips: a preset folder."""
    out = tmp_path_factory.mktemp("runs") / "convlstm"
    assert main(["train", "--model", "convlstm", "--task", "order", "--recipe", "blink32_3k", "--out", str(out),
                 *TINY]) == 0
    return out


def status(argv):
    """`main(argv)`'s exit status, argparse's exits included."""
    try:
        return main(argv)
    except SystemExit as exit_:
        return exit_.code
