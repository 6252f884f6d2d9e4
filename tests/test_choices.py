"""`stkeras.choices` lists the registries' built-in names as plain data: each tuple equals its registry."""

from stkeras import choices
from stkeras.blocks import available_ops
from stkeras.data.layouts import LAYOUTS
from stkeras.experiments.models import MODEL_NAMES
from stkeras.experiments.settings import list_recipes
from stkeras.heads import FRAME_HEADS
from stkeras.heads import available_heads
from stkeras.heads import clip_heads
from stkeras.models import COURTNEY_SIZES
from stkeras.tasks import available_tasks
from stkeras.tuning import ALGORITHMS
from stkeras.tuning import SPACES
from stkeras.tuning import searchable_ops


def test_every_mirror_equals_its_registry():
    assert choices.COURTNEY_MODELS == tuple(MODEL_NAMES)
    assert choices.COURTNEY_SIZES == tuple(COURTNEY_SIZES)
    assert choices.TASKS == tuple(available_tasks())
    assert choices.RECIPES == tuple(list_recipes())
    assert choices.OPS == tuple(available_ops())
    assert choices.SEARCHABLE_OPS == tuple(searchable_ops())
    assert choices.CLIP_HEADS == tuple(clip_heads())
    assert choices.HEADS == tuple(available_heads())
    assert choices.FRAME_HEADS == tuple(FRAME_HEADS)
    assert choices.TUNING_SPACES == tuple(SPACES)
    assert set(choices.TUNERS) == set(ALGORITHMS)
    assert choices.LAYOUTS == tuple(LAYOUTS)
