"""`torch.nn.utils.memory_format`: lay the weights of every Conv2d/ConvTranspose2d (or the 3-d
ones) in `module` out in the given memory format (channels_last), in place, as PyTorch's: the
same Parameter objects, their values unchanged, `is_contiguous(memory_format=...)` True."""

from __future__ import annotations

from typing import Any

from tinygrad_np.function import no_grad
from tinygrad_np.nn.module import Module


def _convert(module: Module, memory_format: Any, kinds: tuple[str, ...], function: str) -> Module:
    if not isinstance(module, Module):
        raise TypeError(f"{function}: expected an nn.Module, got {type(module).__name__}")
    from tinygrad_np.nn import conv  # noqa: PLC0415 (nn imports this package)

    layers = tuple(getattr(conv, kind) for kind in kinds)
    for layer in module.modules():
        if isinstance(layer, layers):
            with no_grad():
                layer.weight.data = layer.weight.detach().contiguous(memory_format=memory_format)
    return module


def convert_conv2d_weight_memory_format(module: Module, memory_format: Any) -> Module:
    """Conv2d/ConvTranspose2d weights in `memory_format` (channels_last); returns `module`."""
    return _convert(module, memory_format, ("Conv2d", "ConvTranspose2d"),
                    "convert_conv2d_weight_memory_format")


def convert_conv3d_weight_memory_format(module: Module, memory_format: Any) -> Module:
    """Conv3d/ConvTranspose3d weights in `memory_format` (channels_last_3d); returns
    `module`."""
    return _convert(module, memory_format, ("Conv3d", "ConvTranspose3d"),
                    "convert_conv3d_weight_memory_format")


__all__ = ["convert_conv2d_weight_memory_format", "convert_conv3d_weight_memory_format"]
