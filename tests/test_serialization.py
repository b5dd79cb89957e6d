"""Tests for tinygrad_np.serialization: exact round trips, refusal of every kind of bad file,
and atomic writes that never leave a broken file under the target name.
"""

from __future__ import annotations

import os
import zipfile
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn as nn
from tinygrad_np import Tensor
from tinygrad_np.serialization import FORMAT_KEY, load, save


def sample_state() -> OrderedDict:
    rng = np.random.default_rng(0)
    return OrderedDict([
        ("encoder.fc1.weight", rng.normal(size=(3, 4)).astype(np.float32)),
        ("encoder.fc1.bias", rng.normal(size=3)),  # float64
        ("0.weight", np.arange(6, dtype=np.int64).reshape(2, 3)),
        ("counts", np.array([1, 2, 255], dtype=np.uint8)),
        ("flags", np.array([True, False])),
        ("scalar", np.array(3.5, dtype=np.float16)),
        ("empty", np.zeros((0, 3), dtype=np.float32)),
        ("fortran", np.asfortranarray(rng.normal(size=(2, 3)))),
    ])


def assert_same_state(loaded, original):
    assert list(loaded) == list(original)
    for name, value in original.items():
        value = value.data if isinstance(value, Tensor) else value
        assert loaded[name].dtype == value.dtype, name
        assert loaded[name].shape == value.shape, name
        np.testing.assert_array_equal(loaded[name], value, err_msg=name)


def files_in(directory: Path) -> list[str]:
    return sorted(os.listdir(directory))


# ----------------------------------------------------------------- round trips


def test_round_trip_is_exact(tmp_path):
    state = sample_state()
    path = tmp_path / "weights.npz"
    save(state, path)
    loaded = load(path)
    assert isinstance(loaded, OrderedDict)
    assert_same_state(loaded, state)
    assert files_in(tmp_path) == ["weights.npz"]  # no temporary file left behind


def test_tensor_values_and_str_paths(tmp_path):
    state = {"w": Tensor(np.ones((2, 2), dtype=np.float32), requires_grad=True),
             "b": Tensor(np.zeros(2))}
    path = str(tmp_path / "tensors")  # no extension added, as torch.save
    save(state, path)
    assert files_in(tmp_path) == ["tensors"]
    assert_same_state(load(path), state)


def test_model_round_trip(tmp_path):
    tg.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 2))
    save(model.state_dict(), tmp_path / "model.npz")
    tg.manual_seed(1)
    copy = nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 2))
    copy.load_state_dict(load(tmp_path / "model.npz"))
    x = Tensor(np.ones((3, 4), dtype=np.float32))
    np.testing.assert_array_equal(copy(x).data, model(x).data)


def test_file_is_plain_npz_readable_without_pickle(tmp_path):
    path = tmp_path / "w.npz"
    save(sample_state(), path)
    with np.load(path, allow_pickle=False) as archive:
        assert FORMAT_KEY in archive.files
        np.testing.assert_array_equal(archive["0.weight"], sample_state()["0.weight"])


def test_overwrite_replaces_the_file(tmp_path):
    path = tmp_path / "w.npz"
    save({"a": np.ones(2)}, path)
    save({"b": np.zeros(3)}, path)
    assert list(load(path)) == ["b"]
    assert files_in(tmp_path) == ["w.npz"]


# ----------------------------------------------------------------- bad files


def test_random_bytes_rejected(tmp_path):
    path = tmp_path / "random.npz"
    path.write_bytes(np.random.default_rng(0).bytes(1000))
    with pytest.raises(ValueError, match="random.npz is not a weights file written by .* not "
                       r"an .npz \(zip\) archive"):
        load(path)


def test_empty_file_rejected(tmp_path):
    path = tmp_path / "empty.npz"
    path.write_bytes(b"")
    with pytest.raises(ValueError, match="not a weights file .* it is empty"):
        load(path)


@pytest.mark.parametrize("keep", [0.3, 0.6, 0.95])
def test_truncated_file_rejected(tmp_path, keep):
    path = tmp_path / "w.npz"
    save(sample_state(), path)
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(ValueError, match="w.npz is a truncated or damaged .npz archive"):
        load(path)


def test_damaged_member_rejected(tmp_path):
    path = tmp_path / "w.npz"
    save({"weight": np.arange(100.0)}, path)
    data = bytearray(path.read_bytes())
    start = data.index(b"\x93NUMPY", data.index(b"weight.npy"))
    data[start + 200] ^= 0xFF  # flip bits inside the array's bytes: the CRC check fails
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="entry 'weight'"):
        load(path)


def test_foreign_npz_rejected(tmp_path):
    path = tmp_path / "foreign.npz"
    np.savez(path, weight=np.ones(3))
    with pytest.raises(ValueError, match="not written by tinygrad_np.save.*np.load"):
        load(path)


def test_single_npy_rejected(tmp_path):
    path = tmp_path / "array.npy"
    np.save(path, np.ones(3))
    with pytest.raises(ValueError, match="single .npy array"):
        load(path)


class Exploit:
    """Unpickling this would run code; load must never get that far."""

    def __reduce__(self):
        return (os.system, ("echo pwned > pwned.txt",))


def test_pickled_object_array_rejected_and_not_executed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "evil.npz"
    evil = np.empty(1, dtype=object)
    evil[0] = Exploit()
    np.savez(path, **{FORMAT_KEY: np.array(1), "weight": evil})
    with pytest.raises(ValueError, match="entry 'weight' is a pickled object array"):
        load(path)
    assert not (tmp_path / "pwned.txt").exists()


def test_newer_format_rejected(tmp_path):
    path = tmp_path / "future.npz"
    np.savez(path, **{FORMAT_KEY: np.array(3), "w": np.ones(1)})
    with pytest.raises(ValueError, match="has format 3; this tinygrad_np reads formats 1 and 2"):
        load(path)


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "nothing.npz")


# ----------------------------------------------------------------- save errors


def test_save_rejects_what_cannot_be_stored_without_pickle(tmp_path):
    path = tmp_path / "w.npz"
    with pytest.raises(ValueError, match="'bad' holds Python objects"):
        save({"bad": np.array([{"a": 1}], dtype=object)}, path)
    with pytest.raises(TypeError, match=r"obj has a key 1.5 \(float\); keys must be str or int"):
        save({1.5: np.ones(1)}, path)
    with pytest.raises(ValueError, match="reserved"):
        save({FORMAT_KEY: np.ones(1)}, path)
    with pytest.raises(TypeError, match=r"call .state_dict\(\)"):
        save(nn.Linear(2, 2), path)
    assert files_in(tmp_path) == []


# ----------------------------------------------------------------- atomic writes


def test_interrupted_save_keeps_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "w.npz"
    original = sample_state()
    save(original, path)
    real_savez = np.savez

    def savez_then_crash(file, *args, **kwds):
        real_savez(file, *args, **kwds)  # a complete-looking archive in the temporary file
        file.write(b"partial")
        raise KeyboardInterrupt("interrupted while saving")

    monkeypatch.setattr(np, "savez", savez_then_crash)
    with pytest.raises(KeyboardInterrupt):
        save({"other": np.zeros(2)}, path)
    monkeypatch.undo()
    assert files_in(tmp_path) == ["w.npz"]
    assert_same_state(load(path), original)


def test_interrupted_first_save_leaves_nothing(tmp_path, monkeypatch):
    def crash(file, *args, **kwds):
        file.write(b"PK\x03\x04 half an archive")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", crash)
    with pytest.raises(OSError, match="disk full"):
        save({"w": np.ones(2)}, tmp_path / "w.npz")
    assert files_in(tmp_path) == []


def test_saved_file_is_a_valid_zip_with_dotted_names(tmp_path):
    path = tmp_path / "w.npz"
    save({"encoder.fc1.weight": np.ones(2)}, path)
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        assert "encoder.fc1.weight.npy" in archive.namelist()
