"""Files both ways with PyTorch (round 21): `tg.save` writes torch.save's own zip format, so
`torch.load` (weights_only=True) reads it; `tg.load` reads torch.save's files without torch
installed, through a restricted unpickler. Compared with PyTorch 2.13 where it is installed,
and with fixed values for the committed file written by it (tests/data)."""

from __future__ import annotations

import collections
import io
import os
import pickle
import subprocess
import sys
import textwrap
import tracemalloc
import warnings
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import tinygrad_np as tg
import tinygrad_np.nn as nn
from tinygrad_np.serialization import save_npz

try:
    import torch

    torch.set_num_threads(1)
except ImportError:  # the tests that need it are skipped
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="needs torch")
DATA = Path(__file__).parent / "data" / "torch_2_13_checkpoint.pt"
ROOT = Path(__file__).resolve().parent.parent


def tg_bytes(obj: Any, **kwargs: Any) -> bytes:
    buffer = io.BytesIO()
    tg.save(obj, buffer, **kwargs)
    return buffer.getvalue()


def to_torch(obj: Any, **kwargs: Any) -> Any:
    return torch.load(io.BytesIO(tg_bytes(obj, **kwargs)))


def to_tg(obj: Any, **kwargs: Any) -> Any:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    buffer.seek(0)
    return tg.load(buffer, **kwargs)


def same_tensor(ours: tg.Tensor, theirs: Any) -> None:
    """dtype, shape, strides, values, requires_grad and Parameter-ness alike."""
    assert str(ours.dtype) == str(theirs.dtype)
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert tuple(ours.stride()) == tuple(theirs.stride())
    expected = theirs.detach().numpy()
    np.testing.assert_array_equal(ours.detach().numpy(), expected)
    assert ours.requires_grad == theirs.requires_grad
    assert isinstance(ours, nn.Parameter) == isinstance(theirs, torch.nn.Parameter)


# =========================================================== the committed torch.save file


def check_fixture(loaded: dict) -> None:
    """The values tests/data/make_torch_checkpoint.py wrote, typed in by hand."""
    linear = loaded["linear"]
    assert isinstance(linear, collections.OrderedDict) and list(linear) == ["weight", "bias"]
    # written after one Adam step (lr 0.1, every gradient 1): each value moved down by 0.1
    np.testing.assert_allclose(
        linear["weight"].numpy(), [[-0.1, 0.15, 0.4], [0.65, 0.9, 1.15]], rtol=0, atol=1e-6
    )
    np.testing.assert_allclose(linear["bias"].numpy(), [-1.1, 0.4], rtol=0, atol=1e-6)
    assert linear._metadata[""] == {"version": 1}
    bn = loaded["bn"]
    assert bn["running_var"].tolist() == [1.0, 1.0] and bn["num_batches_tracked"].shape == ()
    assert str(bn["num_batches_tracked"].dtype) == "torch.int64"
    opt = loaded["opt"]
    assert opt["param_groups"][0]["lr"] == 0.1 and opt["param_groups"][0]["params"] == [0, 1]
    assert opt["state"][0]["step"].tolist() == 1.0 and opt["state"][0]["step"].shape == ()
    assert opt["state"][1]["exp_avg"].tolist() == pytest.approx([0.1, 0.1])  # 0.1 * grad 1
    base = np.arange(12.0).reshape(3, 4)
    assert loaded["base"].tolist() == base.tolist() and loaded["row"].tolist() == base[1].tolist()
    assert loaded["t"].tolist() == base.T.tolist() and loaded["t"].stride() == (1, 4)
    assert loaded["row"].storage_offset() == 4
    with tg.no_grad():  # three views of one storage share memory, as in PyTorch
        loaded["base"][1, 0] = 100.0
    assert loaded["row"][0].item() == 100.0 and loaded["t"][0, 1].item() == 100.0
    expected = {
        "bool": [True, False],
        "int8": [-128, 127],
        "uint8": [0, 255],
        "int16": [-3],
        "int32": [7],
        "float16": [0.5, -2.0],
        "float64": [1 / 3],
        "uint16": [65535],
        "bfloat16": [1.5, -256.0],
    }
    for name, values in expected.items():
        assert loaded[name].tolist() == values, name
        assert str(loaded[name].dtype) == (
            "torch.float32" if name == "bfloat16" else f"torch.{name}"
        )
    assert loaded["int64"].item() == 2**40 and loaded["int64"].shape == ()
    assert loaded["empty"].shape == (0, 3) and loaded["scalar"].item() == 2.5
    assert type(loaded["param"]) is nn.Parameter and loaded["param"].requires_grad
    assert loaded["grad"].requires_grad and type(loaded["grad"]) is tg.Tensor
    meta = loaded["meta"]
    assert meta["epoch"] == 3 and meta["name"] == "run" and meta["lr"] == 0.1
    assert meta["none"] is None and meta["pair"] == (1, "a") and meta["bytes"] == b"\x00\xff"
    assert type(meta["size"]) is tg.Size and meta["size"] == (2, 3)
    assert meta["dtype"] is tg.float16 and str(meta["device"]) == "cpu"
    assert type(meta["ordered"]) is collections.OrderedDict and list(meta["ordered"]) == ["b", "a"]


def test_committed_torch_file_loads_with_fixed_values():
    check_fixture(tg.load(DATA))
    check_fixture(tg.load(DATA, mmap=True))


def test_committed_torch_file_loads_without_torch_installed():
    # torch made unimportable in a fresh interpreter: the loader needs none of it
    script = textwrap.dedent(f"""
        import sys
        sys.modules["torch"] = None
        sys.path.insert(0, {str(ROOT)!r})
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        import tinygrad_np as tg
        from test_round21_files import check_fixture
        check_fixture(tg.load({str(DATA)!r}))
        assert "torch" not in [name.split(".")[0] for name, module in sys.modules.items()
                               if module is not None]
        print("ok")
    """)
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, cwd=str(ROOT)
    )
    assert result.stdout.strip().endswith("ok"), result.stderr[-2000:]


@needs_torch
def test_committed_torch_file_matches_torch_load():
    ours, theirs = tg.load(DATA), torch.load(DATA)
    for name in (
        "base",
        "row",
        "t",
        "bool",
        "int8",
        "uint8",
        "int16",
        "int32",
        "int64",
        "float16",
        "float64",
        "uint16",
        "empty",
        "scalar",
        "param",
        "grad",
    ):
        same_tensor(ours[name], theirs[name])


# =========================================================== tg.save -> torch.load


LAYERS = [
    "Linear(3, 4)",
    "Conv1d(2, 3, 3)",
    "Conv2d(2, 3, 3, bias=False)",
    "ConvTranspose2d(2, 3, 3)",
    "BatchNorm1d(4)",
    "BatchNorm2d(3)",
    "LayerNorm(4)",
    "GroupNorm(2, 4)",
    "Embedding(5, 3)",
    "LSTM(3, 4, num_layers=2)",
    "GRU(3, 4, bidirectional=True)",
    "RNN(3, 4)",
    "MultiheadAttention(4, 2)",
    "TransformerEncoderLayer(8, 2, 16)",
    "PReLU()",
    "Bilinear(2, 3, 4)",
    "RMSNorm(4)",
    "InstanceNorm1d(3, affine=True, track_running_stats=True)",
]


@needs_torch
@pytest.mark.parametrize("spec", LAYERS)
def test_every_layers_state_dict_both_ways(spec):
    ours, theirs = eval("nn." + spec), eval("torch.nn." + spec)  # noqa: S307 (fixed strings)
    state = ours.state_dict()
    loaded = to_torch(state)
    assert theirs.load_state_dict(loaded).missing_keys == []  # strict: every key, every shape
    assert loaded._metadata == state._metadata
    for name, value in state.items():
        same_tensor(value, loaded[name])
    # and back: torch.save's file, and torch's tensors themselves, into our layer
    for source in (to_tg(theirs.state_dict()), theirs.state_dict()):
        ours.load_state_dict(source)
        for name, value in theirs.state_dict().items():
            np.testing.assert_array_equal(ours.state_dict()[name].numpy(), value.numpy())


@needs_torch
@pytest.mark.parametrize(
    "dtype",
    [
        "bool",
        "int8",
        "uint8",
        "int16",
        "int32",
        "int64",
        "float16",
        "float32",
        "float64",
        "uint16",
        "uint32",
        "uint64",
    ],
)
def test_every_dtype_both_ways(dtype):
    values = np.array([0, 1, 0, 1], dtype=dtype).reshape(2, 2)
    theirs = to_torch({"x": tg.tensor(values), "t": tg.tensor(values).t()})
    assert str(theirs["x"].dtype) == f"torch.{dtype}" and theirs["t"].stride() == (1, 2)
    np.testing.assert_array_equal(theirs["t"].numpy(), values.T)
    ours = to_tg({"x": torch.from_numpy(values.copy())})["x"]
    assert str(ours.dtype) == f"torch.{dtype}"
    np.testing.assert_array_equal(ours.numpy(), values)


@needs_torch
def test_views_are_written_once_with_their_strides_and_offsets():
    base = tg.arange(24.0).reshape(2, 3, 4)
    views = {
        "base": base,
        "perm": base.permute(2, 0, 1),
        "part": base[:, 1:, ::2],
        "row": base[1, 2],
        "unit": base[0, :, None],
        "expand": tg.ones(3).expand(2, 3),
        "flip": tg.tensor(np.flip(np.arange(6.0))),
    }  # (negative strides: a copy)
    data = tg_bytes(views)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:  # base's 24 floats stored once
        sizes = sorted(info.file_size for info in archive.infolist() if "/data/" in info.filename)
    assert sizes == [12, 48, 96]
    loaded = torch.load(io.BytesIO(data))
    for name, view in views.items():
        same_tensor(view, loaded[name])
    pointer = loaded["base"].untyped_storage().data_ptr()
    assert all(
        loaded[name].untyped_storage().data_ptr() == pointer
        for name in ("perm", "part", "row", "unit")
    )
    assert loaded["row"].storage_offset() == 20


@needs_torch
def test_torch_views_come_back_sharing_memory():
    base = torch.arange(12.0).reshape(3, 4)
    loaded = to_tg(
        {"base": base, "t": base.t(), "part": base[1:, ::2], "expand": torch.ones(3).expand(2, 3)}
    )
    for name in ("base", "t", "part"):
        assert (
            loaded[name].stride()
            == {"base": base, "t": base.t(), "part": base[1:, ::2]}[name].stride()
        )
    assert loaded["part"].storage_offset() == 4
    with tg.no_grad():
        loaded["base"].mul_(2.0)
    assert loaded["t"][1, 0].item() == 2.0 and loaded["part"][0, 1].item() == 12.0
    with tg.no_grad():  # an overlapping view (stride 0) is a copy of its own: writable
        loaded["expand"][0, 0] = 5.0
    assert loaded["expand"].tolist() == [[5.0, 1.0, 1.0], [1.0, 1.0, 1.0]]


@needs_torch
def test_zero_d_empty_parameters_and_requires_grad():
    saved = {
        "scalar": tg.tensor(3.5),
        "empty": tg.zeros(0, 3),
        "empty_int": tg.zeros(2, 0, dtype=tg.int64),
        "param": nn.Parameter(tg.ones(2)),
        "frozen": nn.Parameter(tg.ones(2), requires_grad=False),
        "leaf": tg.ones(2, requires_grad=True),
        "computed": tg.ones(2, requires_grad=True) * 2,
    }
    loaded = to_torch(saved)
    for name, value in saved.items():
        same_tensor(value, loaded[name])
    back = tg.load(io.BytesIO(tg_bytes(saved)))
    for name, value in saved.items():
        assert type(back[name]) is type(value) and back[name].requires_grad == value.requires_grad
        assert back[name].stride() == value.stride() and back[name].tolist() == value.tolist()


@needs_torch
def test_plain_values_and_containers_as_torch_load_gives_them():
    saved = {
        "int": 3,
        "float": 0.5,
        "str": "x",
        "none": None,
        "bool": True,
        "list": [1, [2.0]],
        "tuple": (1, "a"),
        "complex": 1 + 2j,
        "bytes": b"\x00\xff",
        "bytearray": bytearray(b"ab"),
        "set": {1, 2},
        "size": tg.Size([2, 3]),
        "dtype": tg.float16,
        "device": tg.device("cpu"),
        "odict": collections.OrderedDict(b=1, a=2),
        "counter": collections.Counter(a=2),
        3: "int key",
        (1, 2): "tuple key",
    }
    loaded = to_torch(saved)
    assert loaded["size"] == torch.Size([2, 3]) and type(loaded["size"]) is torch.Size
    assert loaded["dtype"] is torch.float16 and loaded["device"] == torch.device("cpu")
    assert type(loaded["odict"]) is collections.OrderedDict and list(loaded["odict"]) == ["b", "a"]
    plain = {key: value for key, value in saved.items() if key not in ("size", "dtype", "device")}
    assert {key: loaded[key] for key in plain} == plain
    assert tg.load(io.BytesIO(tg_bytes(saved))) == saved


def test_values_torch_load_refuses_by_default_still_round_trip_here():
    # (torch.load(weights_only=True) refuses these in torch.save's own files too)
    saved = {
        "array": np.arange(6, dtype=np.int16).reshape(2, 3),
        "np_scalar": np.float64(2.5),
        "np_dtype": np.dtype("float32"),
        "frozenset": frozenset({1, 2}),
        "range": range(1, 9, 2),
        "slice": slice(1, None),
        "defaultdict": collections.defaultdict(list, a=[1]),
        "big_endian": np.arange(3, dtype=">f4"),
    }
    loaded = tg.load(io.BytesIO(tg_bytes(saved)))
    assert loaded["array"].tolist() == saved["array"].tolist() and loaded["array"].dtype == np.int16
    assert loaded["np_scalar"] == 2.5 and type(loaded["np_scalar"]) is np.float64
    assert loaded["np_dtype"] == np.dtype("float32") and loaded["frozenset"] == frozenset({1, 2})
    assert loaded["range"] == range(1, 9, 2) and loaded["slice"] == slice(1, None)
    assert loaded["defaultdict"].default_factory is list and loaded["defaultdict"]["a"] == [1]
    assert loaded["big_endian"].dtype.isnative and loaded["big_endian"].tolist() == [0, 1, 2]
    if torch is not None:
        with pytest.raises(pickle.UnpicklingError):
            to_torch({"array": np.arange(3)})


@needs_torch
@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("SGD", {"lr": 0.1, "momentum": 0.9}),
        ("Adam", {"lr": 0.01}),
        ("AdamW", {"lr": 0.01, "amsgrad": True}),
        ("RMSprop", {"lr": 0.01, "centered": True}),
        ("Adagrad", {"lr": 0.1}),
    ],
)
def test_optimizer_state_dicts_both_ways(name, kwargs):
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    ours, theirs = nn.Linear(3, 2), torch.nn.Linear(3, 2)
    ours_opt = getattr(tg.optim, name)(ours.parameters(), **kwargs)
    theirs_opt = getattr(torch.optim, name)(theirs.parameters(), **kwargs)

    def step_ours() -> None:
        ours_opt.zero_grad()
        ours(tg.tensor(x)).pow(2).sum().backward()
        ours_opt.step()

    def step_theirs() -> None:
        theirs_opt.zero_grad()
        theirs(torch.from_numpy(x)).pow(2).sum().backward()
        theirs_opt.step()

    step_ours()
    step_ours()
    saved = to_torch({"model": ours.state_dict(), "opt": ours_opt.state_dict(), "epoch": 2})
    if "step" in saved["opt"]["state"][0]:  # PyTorch's step count: a 0-d float32 tensor
        assert saved["opt"]["state"][0]["step"].dtype == torch.float32
        assert (
            saved["opt"]["state"][0]["step"].shape == () and saved["opt"]["state"][0]["step"] == 2
        )
    theirs.load_state_dict(saved["model"])
    theirs_opt.load_state_dict(saved["opt"])
    step_ours()
    step_theirs()
    for a, b in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-5, atol=1e-6)
    back = to_tg({"model": theirs.state_dict(), "opt": theirs_opt.state_dict()})
    ours.load_state_dict(back["model"])
    ours_opt.load_state_dict(back["opt"])
    step_ours()
    step_theirs()
    for a, b in zip(ours.parameters(), theirs.parameters()):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-5, atol=1e-6)


@needs_torch
def test_torch_mmap_and_alignment_of_our_files(tmp_path):
    path = tmp_path / "w.pt"
    tg.save({"a": tg.arange(5.0), "b": tg.ones(3, dtype=tg.float16), "c": tg.zeros(7)}, path)
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            assert info.compress_type == zipfile.ZIP_STORED
            if "/data/" in info.filename:  # storages start at a multiple of 64 in the file
                with open(path, "rb") as handle:
                    handle.seek(info.header_offset + 26)
                    name_length, extra_length = np.frombuffer(handle.read(4), "<u2")
                assert (info.header_offset + 30 + name_length + extra_length) % 64 == 0
    loaded = torch.load(path, mmap=True)
    assert loaded["a"].tolist() == [0, 1, 2, 3, 4] and loaded["b"].dtype == torch.float16


@needs_torch
@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_pickle_protocols(protocol):
    saved = {"w": tg.ones(2), "b": b"\x01", "s": {1}}
    data = tg_bytes(saved, pickle_protocol=protocol)
    with warnings.catch_warnings():  # (torch.load warns of any protocol but 2, its own too)
        warnings.simplefilter("ignore", UserWarning)
        # (its weights_only unpickler reads protocol 2, and 3 without bytes, as with its files)
        weights_only = protocol == 2
        loaded = torch.load(io.BytesIO(data), weights_only=weights_only)
        assert loaded["b"] == b"\x01" and loaded["w"].tolist() == [1.0, 1.0]
        if protocol == 3:
            assert torch.load(io.BytesIO(tg_bytes({"w": tg.ones(2)}, pickle_protocol=3)))[
                "w"
            ].shape == (2,)
    assert tg.load(io.BytesIO(tg_bytes(saved, pickle_protocol=protocol)))["s"] == {1}


def test_pickle_protocol_checked():
    with pytest.raises(ValueError, match="pickle_protocol must be 2 to"):
        tg_bytes({"w": tg.ones(1)}, pickle_protocol=1)
    with pytest.raises(TypeError, match="pickle_protocol must be an int"):
        tg_bytes({"w": tg.ones(1)}, pickle_protocol="2")


def test_earlier_npz_files_still_load(tmp_path):
    state = {"w": tg.ones(2), "p": nn.Parameter(tg.zeros(1)), "epoch": 4}
    save_npz(state, tmp_path / "old.npz")
    loaded = tg.load(tmp_path / "old.npz")
    assert loaded["epoch"] == 4 and type(loaded["p"]) is nn.Parameter


def test_big_inline_values_load_under_the_default_limit():
    # the pickle is counted per opcode: 24 MB of bytes in it no longer counts 256 times over
    blob = bytes(24 << 20)
    assert tg.load(io.BytesIO(tg_bytes({"blob": blob})))["blob"] == blob
    with pytest.raises(ValueError, match=r"data.pkl .*max_bytes"):
        tg.load(io.BytesIO(tg_bytes({"blob": blob})), max_bytes=50 << 20)


# =========================================================== hostile and foreign files


def torch_zip(pickle_bytes: bytes, storages: dict[str, bytes] | None = None) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("archive/data.pkl", pickle_bytes)
        archive.writestr("archive/byteorder", b"little")
        for key, data in (storages or {}).items():
            archive.writestr(f"archive/data/{key}", data)
    buffer.seek(0)
    return buffer


class RunsCode:
    def __reduce__(self) -> tuple:
        return (os.system, ("echo pwned > pwned.txt",))


def test_code_in_a_pickle_is_refused_not_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="posix.system|os.system"):
        tg.load(torch_zip(pickle.dumps({"x": RunsCode()}, protocol=2)))
    assert not (tmp_path / "pwned.txt").exists()


@pytest.mark.parametrize(
    "callable_name",
    [
        b"c__builtin__\nset\n",
        b"c__builtin__\nfrozenset\n",
        b"ccollections\nCounter\n",
        b"c__builtin__\nbytearray\n",
    ],
)
def test_allowed_callables_refuse_huge_ranges(callable_name):
    # set(range(10**12)) would allocate terabytes: the range is refused before iterating
    bomb = b"\x80\x02" + callable_name + b"c__builtin__\nxrange\nJ\x00\x10\xa5\xd4\x85R\x85R."
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match="is built from a range"):
            tg.load(torch_zip(bomb))
        assert tracemalloc.get_traced_memory()[1] < 20 << 20
    finally:
        tracemalloc.stop()


def test_defaultdict_factory_must_be_a_builtin_type():
    factory = b"\x80\x02ccollections\ndefaultdict\nc__builtin__\neval\n\x85R."
    with pytest.raises(ValueError, match="builtins.eval|__builtin__.eval"):
        tg.load(torch_zip(factory))
    of_a_size = b"\x80\x02ccollections\ndefaultdict\nctorch\nSize\n\x85R."
    with pytest.raises(ValueError, match="default_factory is not a builtin type"):
        tg.load(torch_zip(of_a_size))


@needs_torch
def test_whole_module_files_refused_by_name():
    for legacy in (False, True):
        buffer = io.BytesIO()
        torch.save(torch.nn.Linear(2, 2), buffer, _use_new_zipfile_serialization=not legacy)
        buffer.seek(0)
        with pytest.raises(ValueError, match=r"whole torch.nn.modules.linear.Linear .*"
                                             r"torch.save\(model.state_dict\(\)\)"):
            tg.load(buffer)


def legacy_bytes(obj: Any) -> bytes:
    buffer = io.BytesIO()
    torch.save(obj, buffer, _use_new_zipfile_serialization=False)
    return buffer.getvalue()


@needs_torch
def test_legacy_files_load_as_torch_load_reads_them(tmp_path):
    base = torch.arange(6.0).reshape(2, 3)
    saved = {"sd": torch.nn.Linear(3, 2).state_dict(), "base": base, "row": base[1],
             "t": base.t(), "half": torch.ones(2, dtype=torch.float16), "int": torch.tensor(3),
             "param": torch.nn.Parameter(torch.ones(2)), "grad": torch.ones(1, requires_grad=True),
             "empty": torch.zeros(0, 2), "meta": {"epoch": 1, "size": torch.Size([2])}}
    data = legacy_bytes(saved)
    ours, theirs = tg.load(io.BytesIO(data)), torch.load(io.BytesIO(data))
    for name in ("base", "row", "t", "half", "int", "param", "grad", "empty"):
        same_tensor(ours[name], theirs[name])
    for name, value in theirs["sd"].items():
        same_tensor(ours["sd"][name], value)
    assert ours["sd"]._metadata == theirs["sd"]._metadata and ours["meta"] == {"epoch": 1,
                                                                              "size": (2,)}
    with tg.no_grad():  # views of one storage share memory, as in PyTorch
        ours["base"][1, 0] = 50.0
    assert ours["row"][0].item() == 50.0 and ours["t"][0, 1].item() == 50.0
    bf16 = tg.load(io.BytesIO(legacy_bytes({"b": torch.tensor([1.5], dtype=torch.bfloat16)})))
    assert bf16["b"].tolist() == [1.5] and bf16["b"].dtype == tg.float32
    (tmp_path / "old.pt").write_bytes(data)
    assert tg.load(tmp_path / "old.pt")["base"].tolist() == base.tolist()


@needs_torch
def test_damaged_and_oversized_legacy_files_refused():
    data = legacy_bytes({"w": torch.ones(1000)})
    with pytest.raises(ValueError, match="storage .* over the limit of max_bytes"):
        tg.load(io.BytesIO(data), max_bytes=30_000)
    for cut in (10, 200, len(data) // 2, len(data) - 3):
        with pytest.raises(ValueError, match="legacy PyTorch file"):
            tg.load(io.BytesIO(data[:cut]))
    # the element count before the storage's bytes disagrees with its tensors'
    count = (1000).to_bytes(8, "little")
    bad = data.replace(count, (1001).to_bytes(8, "little"))
    assert bad != data
    with pytest.raises(ValueError, match="holds 1001 values, not the 1000"):
        tg.load(io.BytesIO(bad))


@needs_torch
def test_map_location_and_weights_only_keywords():
    data = tg_bytes({"w": tg.ones(2)})
    for location in (
        "cpu",
        tg.device("cpu"),
        torch.device("cpu"),
        {"cuda:0": "cpu"},
        lambda storage, where: storage,
        None,
    ):
        assert tg.load(io.BytesIO(data), map_location=location)["w"].tolist() == [1.0, 1.0]
        if not isinstance(location, tg.device):
            assert torch.load(io.BytesIO(data), map_location=location)["w"].tolist() == [1.0, 1.0]
    for weights_only in (True, False, None):  # always weights-only here: nothing else is read
        assert tg.load(io.BytesIO(data), weights_only=weights_only)["w"].shape == (2,)
    with pytest.raises(RuntimeError, match="cuda"):
        tg.load(io.BytesIO(data), map_location="cuda")


# =========================================================== real torch tensors given to us


@needs_torch
def test_torch_tensors_given_to_tensor_load_state_dict_and_save():
    with pytest.warns(UserWarning, match="copy construct"):
        copied = tg.tensor(torch.ones(2, requires_grad=True))
    assert copied.tolist() == [1.0, 1.0] and not copied.requires_grad
    with pytest.warns(UserWarning):
        widened = tg.tensor(torch.tensor([1.5, -3.0], dtype=torch.bfloat16))
    assert widened.dtype == tg.float32 and widened.tolist() == [1.5, -3.0]
    layer = nn.Linear(2, 1)
    layer.load_state_dict(
        {
            "weight": torch.tensor([[0.5, 2.0]], dtype=torch.bfloat16),
            "bias": torch.zeros(1, requires_grad=True),
        }
    )
    assert layer.weight.tolist() == [[0.5, 2.0]] and layer.weight.dtype == tg.float32
    result = layer.load_state_dict(
        {"weight": torch.ones(1, 2), "extra": torch.ones(1)}, strict=False
    )
    assert result.missing_keys == ["bias"] and result.unexpected_keys == ["extra"]
    with pytest.raises(RuntimeError, match=r'Missing key\(s\) in state_dict: "bias"'):
        layer.load_state_dict({"weight": torch.ones(1, 2)})
    loaded = to_torch({"t": torch.arange(3.0), "p": torch.nn.Parameter(torch.ones(1))})
    assert loaded["t"].tolist() == [0.0, 1.0, 2.0] and isinstance(loaded["p"], torch.nn.Parameter)


def test_from_numpy_and_numpy_share_memory():
    array = np.arange(3.0)
    tensor = tg.from_numpy(array)
    array[0] = 9.0
    assert tensor[0].item() == 9.0
    tensor.numpy()[1] = 7.0
    assert array[1] == 7.0
    leaf = tg.ones(2, requires_grad=True)
    view = np.asarray(leaf)  # (read-only here, where PyTorch refuses: README)
    assert not view.flags.writeable and view.tolist() == [1.0, 1.0]


class OrderedSub(collections.OrderedDict):
    pass


class CounterSub(collections.Counter):
    pass


class DefaultSub(collections.defaultdict):
    pass


def test_subclasses_are_written_as_the_type_they_extend():
    # (a pickle of the subclass would name a class of the caller's, which no load reads)
    ordered = OrderedSub(w=tg.ones(1))
    ordered._metadata = {"": {"version": 1}}
    saved = {"o": ordered, "c": CounterSub(a=2), "d": DefaultSub(list, a=[1])}
    loaded = tg.load(io.BytesIO(tg_bytes(saved)))
    assert type(loaded["o"]) is collections.OrderedDict and loaded["o"]._metadata == {
        "": {"version": 1}}
    assert type(loaded["c"]) is collections.Counter and loaded["c"] == {"a": 2}
    assert type(loaded["d"]) is collections.defaultdict and loaded["d"].default_factory is list


def test_a_long_integer_in_the_pickle_is_counted():
    # LONG4 of 4 MB: one opcode, but unpickling builds a 4 MB int
    huge = b"\x80\x02\x8b" + (4 << 20).to_bytes(4, "little") + b"\x01" * (4 << 20) + b"."
    with pytest.raises(ValueError, match="data.pkl"):
        tg.load(torch_zip(huge), max_bytes=10 << 20)


@needs_torch
def test_as_tensor_and_asarray_of_a_torch_tensor_share_its_memory():
    source = torch.zeros(3)
    shared, also = tg.as_tensor(source), tg.asarray(source)
    source[0] = 5.0
    assert shared[0].item() == 5.0 and also[0].item() == 5.0
    grads = torch.ones(2, requires_grad=True)  # (read detached, as values)
    assert tg.as_tensor(grads).tolist() == [1.0, 1.0] and not tg.as_tensor(grads).requires_grad
    assert tg.asarray(torch.ones(2, dtype=torch.bfloat16)).dtype == tg.float32


@needs_torch
def test_a_file_object_that_already_holds_bytes_and_one_that_cannot_seek():
    buffer = io.BytesIO(b"prefix")
    buffer.seek(6)
    tg.save({"a": tg.arange(3.0)}, buffer)  # offsets from the archive's start, as torch.save
    buffer.seek(6)
    assert torch.load(buffer)["a"].tolist() == [0.0, 1.0, 2.0]
    buffer.seek(6)
    assert tg.load(buffer)["a"].tolist() == [0.0, 1.0, 2.0]

    class Pipe(io.RawIOBase):
        def __init__(self) -> None:
            self.data = bytearray()

        def writable(self) -> bool:
            return True

        def write(self, chunk: Any) -> int:
            self.data += bytes(chunk)
            return len(chunk)

    pipe = Pipe()
    tg.save({"a": tg.ones(2), "b": tg.zeros(1)}, pipe)
    assert torch.load(io.BytesIO(bytes(pipe.data)))["a"].tolist() == [1.0, 1.0]
