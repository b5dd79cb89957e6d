"""The random generator behind tg.randn, tg.rand and nn initialisation.

One NumPy Generator for the whole library, so `tg.manual_seed(n)` makes every random factory
and every layer initialisation reproducible.
"""

from __future__ import annotations

import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed the library's generator; returns it (PyTorch returns its generator too)."""
    global _generator
    _generator = np.random.default_rng(seed)
    return _generator


def generator() -> np.random.Generator:
    """The generator random factories and initialisers draw from."""
    return _generator
