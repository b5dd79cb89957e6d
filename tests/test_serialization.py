"""Tests for tinygrad_np.serialization: exact round trips, refusal of every kind of bad file,
and atomic writes that never leave a broken file under the target name.
"""

from __future__ import annotations

import os
import re
import zipfile
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn as nn
from tinygrad_np import Tensor, torch_writer
from tinygrad_np.serialization import FORMAT_KEY, load, save, save_npz


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
        value = value._data if isinstance(value, Tensor) else value
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
    np.testing.assert_array_equal(copy(x)._data, model(x)._data)


def test_file_is_plain_npz_readable_without_pickle(tmp_path):
    path = tmp_path / "w.npz"  # (the format of earlier versions, still read)
    save_npz(sample_state(), path)
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
    save_npz({"weight": np.arange(100.0)}, path)
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
    np.savez(path, **{FORMAT_KEY: np.array(4), "w": np.ones(1)})
    with pytest.raises(ValueError, match="has format 4; this tinygrad_np reads formats 1 to 3"):
        load(path)


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "nothing.npz")


# ----------------------------------------------------------------- save errors


def test_save_rejects_what_cannot_be_stored_without_pickle(tmp_path):
    path = tmp_path / "w.npz"
    with pytest.raises(ValueError, match=r"\['bad'\] holds Python objects"):
        save({"bad": np.array([{"a": 1}], dtype=object)}, path)
    with pytest.raises(TypeError, match=r"obj key <class 'int'> is a class \(int\); a dict key"):
        save({int: np.ones(1)}, path)
    with pytest.raises(TypeError, match=r"call .state_dict\(\)"):
        save(nn.Linear(2, 2), path)
    assert files_in(tmp_path) == []


# ----------------------------------------------------------------- atomic writes


def test_interrupted_save_keeps_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "w.npz"
    original = sample_state()
    save(original, path)
    real_write = torch_writer.write

    def write_then_crash(obj, file, *args, **kwds):
        real_write(obj, file, *args, **kwds)  # a complete-looking archive in the temporary file
        file.write(b"partial")
        raise KeyboardInterrupt("interrupted while saving")

    monkeypatch.setattr(torch_writer, "write", write_then_crash)
    with pytest.raises(KeyboardInterrupt):
        save({"other": np.zeros(2)}, path)
    monkeypatch.undo()
    assert files_in(tmp_path) == ["w.npz"]
    assert_same_state(load(path), original)


def test_interrupted_first_save_leaves_nothing(tmp_path, monkeypatch):
    def crash(obj, file, *args, **kwds):
        file.write(b"PK\x03\x04 half an archive")
        raise OSError("disk full")

    monkeypatch.setattr(torch_writer, "write", crash)
    with pytest.raises(OSError, match="disk full"):
        save({"w": np.ones(2)}, tmp_path / "w.npz")
    assert files_in(tmp_path) == []


def test_saved_file_is_a_valid_zip_with_dotted_names(tmp_path):
    path = tmp_path / "w.npz"
    save({"encoder.fc1.weight": np.ones(2)}, path)
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        assert "archive/data.pkl" in archive.namelist()
    save_npz({"encoder.fc1.weight": np.ones(2)}, path)
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        assert "encoder.fc1.weight.npy" in archive.namelist()
    assert list(load(path)) == ["encoder.fc1.weight"]


# ----------------------------------------------------------------- checkpoints (format 2)


def make_run(seed: int = 0):
    """A model, Adam over it and a fixed batch: the tutorial's training loop, made small."""
    tg.manual_seed(seed)
    model = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(8, 2))
    opt = tg.optim.Adam(model.parameters(), lr=0.01, betas=(0.8, 0.99), weight_decay=1e-3)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(16, 3)).astype(np.float32)
    y = rng.integers(0, 2, size=16)
    return model, opt, x, y


def train(model, opt, x, y, steps: int) -> float:
    for _ in range(steps):
        opt.zero_grad()
        loss = tg.nn.functional.cross_entropy(model(Tensor(x)), y)
        loss.backward()
        opt.step()
    return float(loss.item())


def test_tutorial_checkpoint_resumes_bit_for_bit(tmp_path):
    model, opt, x, y = make_run()
    loss = train(model, opt, x, y, 3)
    path = tmp_path / "checkpoint.pt"
    save({"model": model.state_dict(), "opt": opt.state_dict(), "epoch": 5, "loss": loss}, path)
    train(model, opt, x, y, 4)  # the uninterrupted run

    fresh, fresh_opt, _, _ = make_run(seed=7)  # other initial weights
    checkpoint = load(path)
    fresh.load_state_dict(checkpoint["model"])
    fresh_opt.load_state_dict(checkpoint["opt"])
    assert checkpoint["epoch"] == 5 and type(checkpoint["epoch"]) is int
    assert checkpoint["loss"] == loss and type(checkpoint["loss"]) is float
    train(fresh, fresh_opt, x, y, 4)
    for (name, p), q in zip(model.named_parameters(), fresh.parameters()):
        assert p._data.tobytes() == q._data.tobytes(), name
    for p, q in zip(model.parameters(), fresh.parameters()):
        for key in ("exp_avg", "exp_avg_sq"):
            assert opt.state[p][key]._data.tobytes() == fresh_opt.state[q][key]._data.tobytes()
        assert opt.state[p]["step"] == fresh_opt.state[q]["step"]


def test_checkpoint_structure_round_trips_exactly(tmp_path):
    model, opt, x, y = make_run()
    train(model, opt, x, y, 2)
    checkpoint = {"model": model.state_dict(), "opt": opt.state_dict(), "epoch": 5}
    save(checkpoint, tmp_path / "c.pt")
    loaded = load(tmp_path / "c.pt")
    assert type(loaded) is dict and list(loaded) == ["model", "opt", "epoch"]
    assert type(loaded["model"]) is OrderedDict
    assert_same_state(loaded["model"], checkpoint["model"])
    state, groups = loaded["opt"]["state"], loaded["opt"]["param_groups"]
    assert list(state) == [0, 1, 2, 3] and all(type(k) is int for k in state)
    assert state[0]["step"] == 2.0 and isinstance(state[0]["exp_avg"], Tensor)
    assert not state[0]["exp_avg"].requires_grad
    assert groups == checkpoint["opt"]["param_groups"]  # floats, bools, None, lists
    assert groups[0]["betas"] == (0.8, 0.99) and type(groups[0]["betas"]) is tuple
    assert groups[0]["foreach"] is None and groups[0]["amsgrad"] is False


def test_every_leaf_kind_round_trips(tmp_path):
    weight = nn.Parameter(np.ones((2, 2), dtype=np.float32))
    leaf = Tensor(np.arange(3.0), requires_grad=True)
    shared = Tensor(np.zeros(2, dtype=np.int32))
    value = {
        "none": None, "true": True, "int": -(2**70), "float": 0.1, "nan": float("nan"),
        "inf": -float("inf"), "str": "héllo 🙂 \0 \ud800", "empty": ("", [], (), {}),
        "array": np.asfortranarray(np.arange(6.0).reshape(2, 3)), "complex": np.array([1j]),
        "scalars": (np.float32(1.5), np.int64(-3), np.bool_(True)),
        "tensors": [weight, leaf, leaf * 2, shared, shared],
        3: {"a/b": 1, 0: 2, "0": 3}, "ordered": OrderedDict(b=1, a=2),
    }
    save(value, tmp_path / "v.pt")
    loaded = load(tmp_path / "v.pt")
    assert list(loaded) == list(value)
    for key in ("none", "true", "int", "float", "inf", "str", "empty", 3):
        assert loaded[key] == value[key] and type(loaded[key]) is type(value[key]), key
    assert loaded["empty"] == ("", [], (), {}) and type(loaded["empty"][2]) is tuple
    assert np.isnan(loaded["nan"])
    assert type(loaded["ordered"]) is OrderedDict and list(loaded["ordered"]) == ["b", "a"]
    assert loaded["array"].flags.f_contiguous
    np.testing.assert_array_equal(loaded["array"], value["array"])
    assert loaded["complex"].dtype == np.complex128
    assert [repr(s) for s in loaded["scalars"]] == [repr(s) for s in value["scalars"]]
    w, t, doubled, s1, s2 = loaded["tensors"]
    assert type(w) is nn.Parameter and w.requires_grad and w.dtype == np.float32
    assert type(t) is Tensor and t.requires_grad and t.is_leaf
    assert doubled.requires_grad and doubled.is_leaf  # as torch.load: a leaf that requires grad
    np.testing.assert_array_equal(doubled._data, [0.0, 2.0, 4.0])
    assert s1 is s2 and s1.dtype == np.int32 and not s1.requires_grad


@pytest.mark.parametrize("value", [[1, 2], (Tensor(np.ones(2)),), 5, "text", None,
                                   Tensor(np.ones(3)), np.float64(2.0), {}])
def test_any_supported_value_may_be_the_root(tmp_path, value):
    save(value, tmp_path / "v.pt")
    loaded = load(tmp_path / "v.pt")
    assert type(loaded) is type(value) or value == {} and type(loaded) is OrderedDict
    if isinstance(value, Tensor):
        np.testing.assert_array_equal(loaded._data, value._data)


def test_flat_state_dict_has_an_entry_per_name(tmp_path):
    save_npz({"w": Tensor(np.ones(2)), "b": np.zeros(1)}, tmp_path / "flat.npz")
    with zipfile.ZipFile(tmp_path / "flat.npz") as archive:
        assert archive.namelist() == [f"{FORMAT_KEY}.npy", "__tinygrad_np_manifest__.npy",
                                      "w.npy", "b.npy"]
    loaded = load(tmp_path / "flat.npz")  # as torch.load: a dict, a Tensor, an ndarray
    assert type(loaded) is dict and type(loaded["w"]) is Tensor
    assert type(loaded["b"]) is np.ndarray
    save_npz({"w": np.ones(2), "epoch": 1}, tmp_path / "nested.npz")  # an int: format 2
    assert load(tmp_path / "nested.npz") == {"w": pytest.approx(np.ones(2)), "epoch": 1}


def test_checkpoint_file_is_a_plain_npz(tmp_path):
    save_npz({"opt": {0: Tensor(np.ones(2))}, "epoch": 5}, tmp_path / "c.npz")
    with np.load(tmp_path / "c.npz", allow_pickle=False) as archive:
        assert sorted(archive.files) == ["0", FORMAT_KEY, "__tinygrad_np_manifest__"]
        manifest = archive["__tinygrad_np_manifest__"].tobytes().decode()
    assert '"epoch", 5' in manifest and '{"tensor": 0, "requires_grad": false}' in manifest


def test_map_location_and_weights_only_are_accepted(tmp_path):
    save({"epoch": 1}, tmp_path / "c.pt")
    assert load(tmp_path / "c.pt", map_location="cpu", weights_only=False) == {"epoch": 1}
    assert load(tmp_path / "c.pt", map_location=None, weights_only=True) == {"epoch": 1}
    # older scripts' forms of "everything on the CPU": a function, a dict of devices
    assert load(tmp_path / "c.pt", map_location=lambda storage, loc: storage) == {"epoch": 1}
    assert load(tmp_path / "c.pt", map_location={"cuda:0": "cpu"}) == {"epoch": 1}
    with pytest.raises(RuntimeError, match="load: device 'cuda:0' is not available"):
        load(tmp_path / "c.pt", map_location={"cpu": "cuda:0"})


# ----------------------------------------------------------------- checkpoints: save errors


def a_function():
    return 1


class Thing:
    pass


class Unhashable(tuple):
    """A tuple holding a list that a dict still takes as a key."""

    __hash__ = object.__hash__


@pytest.mark.parametrize(("value", "where", "what"), [
    ({"opt": {"state": {0: {"fn": a_function}}}}, "obj['opt']['state'][0]['fn']",
     "a function (a_function)"),
    ({"hook": lambda: 1}, "obj['hook']", "a function (<lambda>)"),
    ({"tags": {"a", print}}, "obj['tags'] item", "a function (print)"),
    ([1, (2, frozenset({Thing}))], "obj[1][1] item", "a class (Thing)"),
    ({"x": Thing()}, "obj['x']", "an object of type Thing"),
    ({"cls": Thing}, "obj['cls']", "a class (Thing)"),
    ({"model": nn.Linear(2, 2)}, "obj['model']", "a Linear (call .state_dict() on it first)"),
    ({"raw": memoryview(b"bytes")}, "obj['raw']", "an object of type memoryview"),
])
def test_unsupported_values_are_named_by_their_path(tmp_path, value, where, what):
    with pytest.raises(TypeError, match=re.escape(f"save: {where} is {what}; ")):
        save(value, tmp_path / "c.pt")
    assert files_in(tmp_path) == []


def test_structures_that_cannot_be_written(tmp_path):
    loop: list = [1]
    loop.append({"again": loop})
    with pytest.raises(ValueError, match=r"save: obj\[1\]\['again'\] contains itself"):
        save(loop, tmp_path / "c.pt")
    deep: list = []
    for _ in range(63):
        deep = [deep]
    save(deep, tmp_path / "ok.pt")  # 64 lists inside one another: the limit
    with pytest.raises(ValueError, match="nested more than 64 containers deep"):
        save([deep], tmp_path / "c.pt")
    with pytest.raises(TypeError, match=r"obj\['a'\] key \(1, \[2\]\)\[1\] is a list "
                       r"\(not hashable\); a dict key or set item must be str"):
        save({"a": {Unhashable((1, [2])): 1}}, tmp_path / "c.pt")
    with pytest.raises(ValueError, match=r"obj\['a'\] has two keys equal to 'k'"):
        save({"a": {"k": 1, SameText("k"): 2}}, tmp_path / "c.pt")
    assert files_in(tmp_path) == ["ok.pt"]


class SameText(str):
    __hash__ = object.__hash__


def structure(value, where="obj"):
    """(path, kind) pairs describing a loaded checkpoint, for comparing with torch.load's."""
    kind = type(value).__name__
    if kind in ("Tensor", "ndarray", "Parameter"):
        kind = "tensor"  # torch.Tensor, tg.Tensor or ndarray (a state dict here is arrays)
    yield where, kind
    if isinstance(value, dict):
        for key, item in value.items():
            yield where, ("key", key, type(key).__name__)
            yield from structure(item, f"{where}[{key!r}]")
    elif isinstance(value, list | tuple):
        for position, item in enumerate(value):
            yield from structure(item, f"{where}[{position}]")


def leaves(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from leaves(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from leaves(item)
    else:
        yield value


def test_loaded_checkpoint_matches_torch_load(tmp_path):
    torch = pytest.importorskip("torch")
    model, opt, x, y = make_run()
    twin = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    with torch.no_grad():
        for p, q in zip(model.parameters(), twin.parameters()):
            q.copy_(torch.tensor(p._data))
    twin_opt = torch.optim.Adam(twin.parameters(), lr=0.01, betas=(0.8, 0.99), weight_decay=1e-3)
    loss = train(model, opt, x, y, 3)
    for _ in range(3):
        twin_opt.zero_grad()
        twin_loss = torch.nn.functional.cross_entropy(twin(torch.from_numpy(x)),
                                                      torch.from_numpy(y))
        twin_loss.backward()
        twin_opt.step()

    save({"model": model.state_dict(), "opt": opt.state_dict(), "epoch": 5, "loss": loss},
         tmp_path / "ours.pt")
    torch.save({"model": twin.state_dict(), "opt": twin_opt.state_dict(), "epoch": 5,
                "loss": twin_loss.item()}, tmp_path / "theirs.pt")
    ours, theirs = load(tmp_path / "ours.pt"), torch.load(tmp_path / "theirs.pt")

    # (the state's "step" is written as PyTorch's 0-d float32 tensor: no differences)
    differences: set = set()
    assert {(w, a, b) for (w, a), (_, b) in zip(structure(ours), structure(theirs))
            if a != b} == differences
    assert len(list(structure(ours))) == len(list(structure(theirs)))
    for mine, other in zip(leaves(ours), leaves(theirs)):
        if isinstance(other, torch.Tensor):
            mine = mine._data if isinstance(mine, Tensor) else np.asarray(mine)
            np.testing.assert_allclose(mine, other.numpy(), rtol=1e-5, atol=1e-7)
        else:
            assert mine == pytest.approx(other)


def test_save_and_load_through_file_objects_as_torch_does(tmp_path):
    import io
    model = tg.nn.Linear(3, 2)
    buffer = io.BytesIO()
    tg.save({"model": model.state_dict(), "epoch": 5}, buffer)
    buffer.seek(0)
    checkpoint = tg.load(buffer)
    assert checkpoint["epoch"] == 5
    assert tg.equal(checkpoint["model"]["weight"], model.weight.detach())
    with open(tmp_path / "w.pt", "wb") as handle:
        tg.save(model.state_dict(), handle)
    with open(tmp_path / "w.pt", "rb") as handle:
        assert tg.equal(tg.load(handle)["bias"], model.bias.detach())
    with pytest.raises(TypeError, match=r"load: expected a path .* file object, got int"):
        tg.load(3)


def test_saving_a_pytorch_state_dict_writes_its_tensors(tmp_path):
    torch = pytest.importorskip("torch")
    state = torch.nn.Linear(2, 1).state_dict()
    tg.save(state, tmp_path / "w.pt")  # (the file is torch.save's format: its tensors are kept)
    assert torch.equal(torch.load(tmp_path / "w.pt")["weight"], state["weight"])
    tg.save({name: value.numpy() for name, value in state.items()}, tmp_path / "w.pt")
    assert tg.equal(tg.load(tmp_path / "w.pt")["bias"], tg.tensor(state["bias"].numpy()))
