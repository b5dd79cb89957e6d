"""`Optimizer`: what SGD and Adam share: the parameter list, per-parameter state, zero_grad."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tinygrad_np.tensor import Tensor


class Optimizer:
    """Base class: holds the parameters (in order) and one state dict per parameter.

    `params` is any iterable of Tensors, such as `model.parameters()` (a generator is fine;
    it is read once). A tensor listed twice is kept once, so it is not updated twice.
    Subclasses define `step()`, which changes each parameter's `.data` in place (so the
    model, and anything else holding the parameter, sees the new values) and skips
    parameters whose `.grad` is None.
    """

    def __init__(self, params: Iterable[Tensor]) -> None:
        if isinstance(params, Tensor):
            raise TypeError(
                f"{type(self).__name__}: params must be an iterable of Tensors (such as "
                "model.parameters()), got a single Tensor; wrap it in a list"
            )
        self.params: list[Tensor] = []
        seen: set[int] = set()
        for position, param in enumerate(params):
            if isinstance(param, dict):
                raise TypeError(f"{type(self).__name__}: parameter groups (dicts) are not "
                                "supported; pass the parameters themselves")
            if not isinstance(param, Tensor):
                raise TypeError(f"{type(self).__name__}: parameter {position} is a "
                                f"{type(param).__name__}, not a Tensor")
            if not param.is_leaf:
                raise ValueError(f"{type(self).__name__}: parameter {position} is not a leaf "
                                 "(it was computed by an op); optimize the tensor it came from")
            if id(param) not in seen:
                seen.add(id(param))
                self.params.append(param)
        if not self.params:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        # state[i] belongs to params[i]: buffers created on that parameter's first step.
        self.state: list[dict[str, Any]] = [{} for _ in self.params]

    def zero_grad(self) -> None:
        """Forget every parameter's gradient (sets `.grad` to None, as PyTorch does)."""
        for param in self.params:
            param.grad = None

    def step(self) -> None:
        raise NotImplementedError(f"{type(self).__name__} must define step()")

    def __repr__(self) -> str:
        settings = ", ".join(f"{key}={value}" for key, value in self._settings().items())
        return f"{type(self).__name__}({len(self.params)} parameters, {settings})"

    def _settings(self) -> dict[str, Any]:
        return {}


def check_non_negative(owner: str, **values: float) -> None:
    """Raise a clear ValueError for a negative hyperparameter (a typo, or a sign slip)."""
    for name, value in values.items():
        if not value >= 0:
            raise ValueError(f"{owner}: {name} must be >= 0, got {value}")
