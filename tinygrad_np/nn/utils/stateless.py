"""`torch.nn.utils.stateless`: PyTorch's deprecated home of `functional_call` (use
`tg.func.functional_call`, which this calls, with PyTorch's FutureWarning)."""

from __future__ import annotations

import warnings
from typing import Any

from tinygrad_np import func


def functional_call(module: Any, parameters_and_buffers: dict[str, Any], args: Any = None,
                    kwargs: dict[str, Any] | None = None, *, tie_weights: bool = True,
                    strict: bool = False) -> Any:
    """module(*args, **kwargs) with the named parameters and buffers replaced for this call
    (tg.func.functional_call; deprecated, as PyTorch's)."""
    warnings.warn("`torch.nn.utils.stateless.functional_call` is deprecated as of PyTorch 2.0 "
                  "and will be removed in a future version of PyTorch. Please use "
                  "`torch.func.functional_call` instead which is a drop-in replacement.",
                  FutureWarning, stacklevel=2)
    return func.functional_call(module, parameters_and_buffers, () if args is None else args,
                                kwargs, tie_weights=tie_weights, strict=strict)


__all__ = ["functional_call"]
