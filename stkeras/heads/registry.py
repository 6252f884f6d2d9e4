"""Registry of heads: the part of a model from a backbone's features to a task's outputs.

A head is registered with a spec that declares the features it reads (clip
feature maps `(batch, time, height, width, channels)`) and its options. The
factory is applied to a symbolic feature tensor inside a functional graph, so
a head's layers are nodes of the model it completes (their names are the
head's, optionally prefixed), and any head can go on any backbone whose
features it reads.

Example:
>>> from stkeras.heads import available_heads, build_head
>>> "lstm" in available_heads()
True
>>> build_head("pool", input_shape=(4, 8, 8, 16), task="digit").output.shape
(None, 10)
"""

import dataclasses
import inspect
from typing import Callable

import keras

from stkeras.tasks import get_task

# What a head reads: name -> rank of the feature tensor, batch included.
INPUTS = {"clips": 5}
STANDARD_ARGUMENTS = ("features", "task", "output_name", "prefix")


@dataclasses.dataclass(frozen=True)
class HeadSpec:
    """One registered head.

    Attributes:
        name: the registry name.
        factory: `factory(features, *, task, output_name, prefix, **options)`
            returning the output tensor; `task` is a `stkeras.tasks.Task`.
        input: what the head reads (`"clips"`: feature maps over time).
        options: the names of the head's own options.
        description: one line for documentation and the command line.
    """

    name: str
    factory: Callable
    input: str
    options: frozenset
    description: str

    def check_options(self, options, argument="head_options"):
        """Returns `options` as a dict after checking every key is supported."""
        if options is None:
            return {}
        if not isinstance(options, dict):
            raise TypeError(f"`{argument}` must be a dict of options of head {self.name!r}. "
                            f"Received: {argument}={options!r}")
        unknown = sorted(str(k) for k in options if k not in self.options)
        if unknown:
            raise ValueError(
                f"Head {self.name!r} does not support option(s) {', '.join(map(repr, unknown))} "
                f"(received {argument}={options!r}). Its options: {', '.join(sorted(self.options)) or 'none'}."
            )
        return dict(options)

    def apply(self, features, *, task, output_name=None, prefix="", **options):
        """Applies the head to a symbolic feature tensor; returns the outputs."""
        task = get_task(task)
        rank = INPUTS[self.input]
        if len(features.shape) != rank:
            raise ValueError(
                f"Head {self.name!r} reads {self.input} features of rank {rank} (batch included). "
                f"Received: features of shape {tuple(features.shape)}"
            )
        return self.factory(
            features, task=task, output_name=output_name or f"{prefix}{task.name}", prefix=prefix,
            **self.check_options(options, "options"),
        )


_HEADS = {}


def register_head(name, *, input="clips", options=None, description=""):
    """Decorator that registers a head factory under `name`.

    Args:
        name: the registry name (must be new).
        input: what the head reads (one of `INPUTS`).
        options: the head's option names; default: the factory's keyword
            parameters beyond `features, task, output_name, prefix`.
        description: one line for documentation.
    """
    if input not in INPUTS:
        raise ValueError(f"Unknown `input`: {input!r}. Allowed values: {', '.join(map(repr, INPUTS))}.")

    def add(factory):
        if name in _HEADS:
            raise ValueError(f"A head named {name!r} is already registered.")
        names = options
        if names is None:
            names = [
                p.name for p in inspect.signature(factory).parameters.values()
                if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name not in STANDARD_ARGUMENTS
            ]
        _HEADS[name] = HeadSpec(name, factory, input, frozenset(names), description)
        return factory

    return add


def get_head(name):
    """Returns the `HeadSpec` registered as `name`; raises `ValueError` if none."""
    if not isinstance(name, str) or name not in _HEADS:
        raise ValueError(f"Unknown head: {name!r}. Available heads: {', '.join(available_heads())}.")
    return _HEADS[name]


def available_heads():
    """Names of the registered heads, in registration order."""
    return tuple(_HEADS)


def build_head(name, *, input_shape, task, output_name=None, **options):
    """The head alone as a functional `keras.Model` from features to outputs.

    Args:
        name: a registered head.
        input_shape: the features without the batch axis, e.g.
            `(time, height, width, channels)`.
        task: a `stkeras.tasks.Task` or a registered task name.
        output_name: name of the output layer (default: the task's name).
        **options: the head's options.

    Example:
    >>> build_head("lstm", input_shape=(8, 4, 4, 32), task="speed", layers=1, units=16).count_params()
    3153
    """
    spec = get_head(name)
    inputs = keras.Input(shape=tuple(input_shape), name="features")
    outputs = spec.apply(inputs, task=task, output_name=output_name, **options)
    return keras.Model(inputs, outputs, name=f"{name}_head")
