"""`torch.nn.utils.memory_format`: PyTorch converts conv weights to channels_last there, a
layout choice; tinygrad_np's arrays have no memory-format choice to make, so the module is
returned as it is (its values, and so every result, are unchanged, as with PyTorch)."""

from __future__ import annotations

from typing import Any

from tinygrad_np.nn.module import Module


def _unchanged(module: Module, function: str) -> Module:
    if not isinstance(module, Module):
        raise TypeError(f"{function}: expected an nn.Module, got {type(module).__name__}")
    return module


def convert_conv2d_weight_memory_format(module: Module, memory_format: Any) -> Module:
    """PyTorch's channels_last conversion of Conv2d/ConvTranspose2d weights: `module`."""
    return _unchanged(module, "convert_conv2d_weight_memory_format")


def convert_conv3d_weight_memory_format(module: Module, memory_format: Any) -> Module:
    """PyTorch's channels_last_3d conversion of Conv3d/ConvTranspose3d weights: `module`."""
    return _unchanged(module, "convert_conv3d_weight_memory_format")


__all__ = ["convert_conv2d_weight_memory_format", "convert_conv3d_weight_memory_format"]
