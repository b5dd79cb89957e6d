"""`torch.jit`'s spellings, so scripts that script or trace a model run unchanged: there is
no compiler here, so `script` and `trace` hand back what they were given (the model runs
eagerly, with the same results), and the decorators and queries are the identity."""

from __future__ import annotations

from typing import Any, TypeVar

T = TypeVar("T")
Final = Any  # `x: torch.jit.Final[int]`: an annotation only


def script(obj: T, *args: Any, **kwargs: Any) -> T:
    """The function or module itself (TorchScript compiles it; here it runs as Python)."""
    return obj


def trace(func: T, example_inputs: Any = None, *args: Any, **kwargs: Any) -> T:
    """The function or module itself; `example_inputs` are not needed (nothing is recorded)."""
    return func


trace_module = trace


def ignore(fn: Any = None, **kwargs: Any) -> Any:
    """`@torch.jit.ignore` (with or without arguments): the function unchanged."""
    return fn if callable(fn) else (lambda inner: inner)


unused = export = ignore


def is_scripting() -> bool:
    return False


def is_tracing() -> bool:
    return False


def annotate(the_type: Any, value: T) -> T:
    return value


def freeze(module: T, *args: Any, **kwargs: Any) -> T:
    return module


def optimize_for_inference(module: T, *args: Any, **kwargs: Any) -> T:
    return module


def save(module: Any, f: Any, **kwargs: Any) -> None:
    """Refused: a TorchScript archive holds code, and files here never do (save the
    weights with `tinygrad_np.save(model.state_dict(), f)` and rebuild the model)."""
    raise NotImplementedError("jit.save: TorchScript archives are not supported; save "
                              "model.state_dict() with tinygrad_np.save and rebuild the model")


def load(f: Any, map_location: Any = None, **kwargs: Any) -> Any:
    """Refused, as `save` (a TorchScript archive holds code)."""
    raise NotImplementedError("jit.load: TorchScript archives are not supported; load a "
                              "state_dict with tinygrad_np.load and model.load_state_dict")
