"""`Registry`: one class behind the op, head and task registries."""

import keras
import pytest

from stkeras.blocks import available_ops
from stkeras.blocks import get_op
from stkeras.blocks import register_op
from stkeras.blocks.ops import OPS
from stkeras.heads import available_heads
from stkeras.heads.registry import HEADS
from stkeras.registry import Registry
from stkeras.tasks import TASKS
from stkeras.tasks import Task
from stkeras.tasks import available_tasks
from stkeras.tasks import get_task
from stkeras.tasks import register_task


def test_register_get_and_names_keep_registration_order():
    registry = Registry("colour")
    assert registry.register("red", 1) == 1 and registry.register("blue", 2) == 2
    assert registry.get("blue") == 2 and registry.names() == ("red", "blue") and len(registry) == 2
    assert "red" in registry and "green" not in registry
    assert registry.items() == (("red", 1), ("blue", 2))


@pytest.mark.parametrize("name, message", [
    ("red", "A colour named 'red' is already registered"),
    ("", "A colour's name must be a non-empty string. Received: name=''"),
    (3, "A colour's name must be a non-empty string. Received: name=3"),
])
def test_bad_registrations_are_refused(name, message):
    registry = Registry("colour")
    registry.register("red", 1)
    with pytest.raises(ValueError, match=message):
        registry.register(name, 2)
    assert registry.names() == ("red",)


def test_an_unknown_name_names_the_kind_the_argument_the_value_and_the_choices():
    registry = Registry("colour")
    registry.register("red", 1)
    registry.register("blue", 2)
    with pytest.raises(ValueError, match=r"Unknown colour: 'green'. Available colours: 'red', 'blue'. "
                                         r"Received: fill='green'"):
        registry.get("green", "fill")
    with pytest.raises(ValueError, match=r"Received: colour=None"):
        registry.get(None)
    with pytest.raises(ValueError, match="Available boxes: none"):
        Registry("box", "boxes").get("small")


def test_temporary_undoes_its_registrations_even_after_an_error():
    registry = Registry("colour")
    registry.register("red", 1)
    with registry.temporary():
        registry.register("blue", 2)
        assert registry.names() == ("red", "blue")
    assert registry.names() == ("red",)
    with pytest.raises(RuntimeError), registry.temporary():
        registry.register("green", 3)
        raise RuntimeError("interrupted")
    assert registry.names() == ("red",)


def test_ops_heads_and_tasks_are_registries_and_register_temporarily():
    assert isinstance(OPS, Registry) and isinstance(HEADS, Registry) and isinstance(TASKS, Registry)
    ops, tasks = available_ops(), available_tasks()
    with OPS.temporary(), TASKS.temporary():
        register_op("separable_frames", layer=keras.layers.Conv3D, fixed={"padding": "same"})
        register_task(Task.classification("colour", 3))
        assert get_op("separable_frames").temporal_kernel and get_task("colour").units == 3
    assert available_ops() == ops and available_tasks() == tasks
    with pytest.raises(ValueError, match=r"Unknown op: 'separable_frames'.*Received: stem='separable_frames'"):
        get_op("separable_frames", "stem")
    with pytest.raises(ValueError, match=r"Unknown task: 'colour'.*'digit', 'order', 'speed'.*stkeras.tasks.Task"):
        get_task("colour")
    assert "lstm" in available_heads()
