"""`torch.random`: the library generator's seed and state (`tg.random.manual_seed(0)`, and
`fork_rng()` to draw without disturbing the sequence)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tinygrad_np.rng import (
    default_generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    seed,
    set_rng_state,
)


@contextmanager
def fork_rng(devices: Any = None, enabled: bool = True, **_: Any) -> Iterator[None]:
    """Random draws inside the block leave the library generator's state as it was."""
    if not enabled:
        yield
        return
    state = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(state)


def thread_safe_generator() -> None:
    """The generator of a DataLoader thread worker; None elsewhere (the global generator is
    then used). The DataLoader here has no thread workers, so always None."""
    return None


__all__ = ["default_generator", "fork_rng", "get_rng_state", "initial_seed", "manual_seed", "seed",
           "set_rng_state", "thread_safe_generator"]
