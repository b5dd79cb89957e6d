"""Real PyTorch tensors handed to this library (a torch state dict given to
`load_state_dict`, `tg.tensor(torch_tensor)`, `tg.save({"w": torch_tensor})`): their values as
an ndarray. Torch is never imported here: a value is recognised by its class's module."""

from __future__ import annotations

from typing import Any

import numpy as np


def is_torch_tensor(value: Any) -> bool:
    """Whether `value` is a PyTorch tensor (or Parameter) of the real torch package."""
    module = type(value).__module__
    return (module == "torch" or module.startswith("torch.")) and hasattr(value, "detach") and (
        hasattr(value, "untyped_storage"))


def torch_values(value: Any) -> np.ndarray:
    """A PyTorch tensor's values as an ndarray, detached and on the CPU (sharing its memory
    where NumPy can hold the dtype); bfloat16 widened to float32, as `load` reads a bfloat16
    storage (NumPy has no bfloat16); conjugate and negative views resolved."""
    value = value.detach().cpu().resolve_conj().resolve_neg()
    if str(value.dtype) == "torch.bfloat16":
        value = value.float()
    return value.numpy()
