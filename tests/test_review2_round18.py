"""Second review of round 18's merged changes (1c20865..def207b): each test fails on the
merged code (def207b) and passes with its fix."""

from __future__ import annotations

import pickle
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
