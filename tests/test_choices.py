"""`stkeras.choices` lists the registries' built-in names as plain data: each tuple equals its registry."""

from stkeras import choices
from stkeras.analysis import CONTROLS
from stkeras.blocks import available_ops
from stkeras.data.layouts import LAYOUTS
from stkeras.deploy import available_formats
from stkeras.heads import available_heads
from stkeras.heads import clip_heads
from stkeras.models import COURTNEY_WIDTHS
from stkeras.tasks import available_tasks
from stkeras.tuning import ALGORITHMS
from stkeras.tuning import SPACES
from stkeras.tuning import searchable_ops


def test_every_mirror_equals_its_registry():
    assert choices.COURTNEY_WIDTHS == tuple(COURTNEY_WIDTHS)
    assert choices.TASKS == tuple(available_tasks())
    assert choices.OPS == tuple(available_ops())
    assert choices.SEARCHABLE_OPS == tuple(searchable_ops())
    assert choices.CLIP_HEADS == tuple(clip_heads())
    assert choices.HEADS == tuple(available_heads())
    assert choices.TUNING_SPACES == tuple(SPACES)
    assert set(choices.TUNERS) == set(ALGORITHMS)
    assert choices.LAYOUTS == tuple(LAYOUTS)
    assert choices.EXPORT_FORMATS == tuple(available_formats())
    assert choices.TEMPORAL_CONTROLS == CONTROLS.names()
