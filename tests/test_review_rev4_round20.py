"""Review of the session-26 merges (rev4): PyTorch's dtype objects."""

import numpy as np
import pytest

import tinygrad_np as tg
from tinygrad_np import dtypes

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None

NAMES = ["float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool"]


@pytest.mark.parametrize("name", NAMES)
def test_numpy_converts_a_dtype_object_without_a_failed_lookup(monkeypatch, name):
    # NumPy 2.4 asks np.dtype(obj) for __numpy_dtype__ first; a miss went through
    # __getattr__ (an exception) and made np.dtype(torch.float64) 17x slower (x.to(dtype),
    # factories with dtype=, dtype comparisons with NumPy's dtypes)
    def refuse(self, attribute):
        raise AssertionError(f"np.dtype looked up {attribute!r} through __getattr__")

    monkeypatch.setattr(dtypes.dtype, "__getattr__", refuse)
    obj = getattr(tg, name)
    assert np.dtype(obj) == np.dtype(name)
    assert np.zeros(2, obj).dtype == np.dtype(name)
    assert not np.dtype(name) != obj
    assert tg.ones(2).to(obj).numpy().dtype == np.dtype(name)


@pytest.mark.parametrize("name", NAMES)
def test_dtype_never_equals_none(name):
    # NumPy's np.dtype(None) is float64, so float64 == None was True; PyTorch's is False
    ours = getattr(tg, name)
    expected = (False, True) if torch is None else (
        getattr(torch, name) == None, getattr(torch, name) != None)  # noqa: E711
    assert (ours == None, ours != None) == expected  # noqa: E711
    assert (tg.ones(2, dtype=ours).dtype == None) is False  # noqa: E711
