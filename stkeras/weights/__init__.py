"""Pretrained weights from other frameworks: reading their files and mapping their names to stkeras layers."""

from stkeras.weights.mapping import load_mapped_weights
from stkeras.weights.torch_checkpoint import is_torch_checkpoint
from stkeras.weights.torch_checkpoint import read_torch_checkpoint

__all__ = ["is_torch_checkpoint", "load_mapped_weights", "read_torch_checkpoint"]
