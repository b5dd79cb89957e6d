"""Second review of round 18's merged changes (1c20865..def207b): each test fails on the
merged code (def207b) and passes with its fix."""

from __future__ import annotations

import pickle
import sys
import zipfile

import numpy as np
import pytest

import tinygrad_np as tg


class _CallsNdarray:
    """Pickles as a call of numpy.ndarray((n,), "u1"): an allocation the file never pays for."""

    def __reduce__(self) -> tuple:
        return (np.ndarray, ((3_000_000,), "u1"))


def test_pickle_cannot_call_numpy_ndarray_past_max_bytes(tmp_path):
    path = tmp_path / "evil.pt"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", pickle.dumps({"x": _CallsNdarray()}, protocol=2))
        archive.writestr("archive/byteorder", "little")
    with pytest.raises(ValueError):
        tg.load(str(path), max_bytes=1_000_000)


def test_pickled_numpy_arrays_still_load(tmp_path):
    torch = pytest.importorskip("torch")
    path = tmp_path / "ok.pt"
    torch.save({"a": np.arange(5.0), "s": np.float64(2.5), "t": torch.ones(2)}, path)
    loaded = tg.load(str(path))
    np.testing.assert_array_equal(loaded["a"], np.arange(5.0))
    assert loaded["s"] == 2.5 and loaded["t"].tolist() == [1.0, 1.0]


def test_ellipsis_between_index_arrays_keeps_pytorch_layout():
    # (_spelled_out now runs inside _index, only for tuples of 3 or more parts)
    y = tg.arange(60.0).reshape(3, 4, 5)
    assert y[:, [0, 1], ..., [0, 1]].shape == (3, 2)
    assert y[[0, 1], ..., [0, 1]].shape == (2, 4)
    z = tg.zeros(3, 4, 5)
    z[:, [0, 1], ..., [0, 1]] = 1.0
    assert float(z.sum()) == 6.0
    assert y[[[0, 1]], ...].shape == (1, 2, 4, 5)


def test_numpy_bool_scalar_in_tuple_index_refused():
    x = tg.zeros(3, 4)
    with pytest.raises(IndexError):
        x[0, np.bool_(True)]
    with pytest.raises(IndexError):
        x[np.bool_(True)]


def test_plain_indexing_skips_the_ellipsis_rewrite(monkeypatch):
    """x[:, 1] and x[..., 0] (the hot path) pay no _spelled_out call: it needs 3+ parts."""
    tensor_module = sys.modules["tinygrad_np.tensor"]  # (tg.tensor is the factory)

    calls = []
    original = tensor_module._spelled_out
    monkeypatch.setattr(tensor_module, "_spelled_out",
                        lambda key, ndim: calls.append(key) or original(key, ndim))
    x = tg.zeros(3, 4)
    x[:, 1], x[..., 0], x[0]
    x[:, 1] = 2.0
    assert calls == []


@pytest.mark.parametrize("write", [
    lambda t: t.fill_(2**64),
    lambda t: t.masked_fill(tg.tensor([True, False]), 2**64),
    lambda t: t.clamp(max=2**64),
    lambda t: t.__setitem__(0, -(2**63) - 1),
])
def test_python_int_past_int64_refused_for_float_tensors_too(write):
    # PyTorch's OverflowError, as `t + 2**64` already was after the merge (no silent 1.8e19)
    with pytest.raises(OverflowError):
        write(tg.zeros(2))
    assert tg.zeros(2).fill_(2**63)[0].item() == 2.0**63  # (2**63 fits uint64: taken)
