"""`torch.compiler`: there is no compiler here, so code runs as written (eagerly)."""

from __future__ import annotations

from typing import Any


def disable(fn: Any = None, recursive: bool = True, *, reason: str | None = None) -> Any:
    """`@torch.compiler.disable` (with or without arguments): the function, unchanged."""
    return fn if fn is not None else (lambda function: function)


def is_compiling() -> bool:
    """False: nothing is ever being compiled."""
    return False


is_dynamo_compiling = is_compiling


def reset() -> None:
    """Nothing to reset."""


def allow_in_graph(fn: Any) -> Any:
    return fn


assume_constant_result = allow_in_graph

__all__ = ["allow_in_graph", "assume_constant_result", "disable", "is_compiling",
           "is_dynamo_compiling", "reset"]
