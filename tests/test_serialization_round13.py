"""Round 13 of save/load against torch.save/torch.load and Module.load_state_dict: arrays
and NumPy scalars load as saved, plain data of every kind torch.save takes without code,
torch's keyword arguments, `_metadata`, `load_state_dict(assign=True)`, the (1,) -> 0-d
rule and `consume_prefix_in_state_dict_if_present`. Each test compares with PyTorch when it
is installed and with fixed values otherwise."""

from __future__ import annotations

import inspect
import io
import pickle
import zipfile
from collections import OrderedDict
from typing import Any

import numpy as np
import pytest
from tinygrad_np.nn.modules.utils import consume_prefix_in_state_dict_if_present

import tinygrad_np as tg
import tinygrad_np.nn as nn
from tinygrad_np.serialization import FORMAT_KEY, load, save, save_npz

try:
    import torch
except ImportError:
    torch = None

MANIFEST = "__tinygrad_np_manifest__"


def tg_round_trip(obj: Any, **save_kwargs: Any) -> Any:
    buffer = io.BytesIO()
    save(obj, buffer, **save_kwargs)
    buffer.seek(0)
    return load(buffer)


def torch_round_trip(obj: Any) -> Any:
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    buffer.seek(0)
    return torch.load(buffer, weights_only=False)


# ====================================================================== 1. arrays stay arrays


@pytest.mark.parametrize("obj", [
    {"a": np.arange(3)},
    {"a": np.arange(6.0).reshape(2, 3), "b": np.ones(2, np.float32)},
    {"s": np.float32(2.5), "i": np.int64(7)},
    OrderedDict([("w", np.zeros((2, 2))), ("n", np.bool_(True))]),
])
def test_flat_dict_of_arrays_and_numpy_scalars_round_trips_as_saved(obj):
    loaded = tg_round_trip(obj)
    expected_types = ({key: type(value) for key, value in torch_round_trip(obj).items()}
                      if torch is not None else None)
    assert type(loaded) is type(obj) and list(loaded) == list(obj)
    for key, value in obj.items():
        assert type(loaded[key]) is type(value), key  # ndarray, np.float32, np.int64, np.bool_
        if expected_types is not None:
            assert type(loaded[key]) is expected_types[key], key
        assert loaded[key].dtype == value.dtype and np.array_equal(loaded[key], value), key
    assert type(tg_round_trip({"a": np.arange(3)})["a"]) is np.ndarray  # the probe's case


def test_tensors_stay_tensors_beside_arrays_and_entries_keep_their_names(tmp_path):
    state = {"w": tg.ones(2), "p": nn.Parameter(tg.zeros(1)), "a": np.arange(2)}
    save_npz(state, tmp_path / "w.npz")  # (the .npz format of earlier versions)
    with zipfile.ZipFile(tmp_path / "w.npz") as archive:
        names = set(archive.namelist())
    assert {"w.npy", "p.npy", "a.npy"} <= names  # np.load(path)["w"] still works
    loaded = load(tmp_path / "w.npz")
    assert [type(value) for value in loaded.values()] == [tg.Tensor, nn.Parameter, np.ndarray]
    assert loaded["p"].requires_grad and not loaded["w"].requires_grad
    with np.load(tmp_path / "w.npz") as archive:
        assert archive["w"].tolist() == [1.0, 1.0]


def test_format_1_files_from_earlier_versions_load_as_before(tmp_path):
    # What earlier versions wrote for {"w": ndarray, "b": ndarray}: one entry per name.
    path = tmp_path / "old.npz"
    np.savez(path, **{FORMAT_KEY: np.array(1), "w": np.arange(4.0), "b": np.ones(1, np.int32)})
    loaded = load(path)
    assert type(loaded) is OrderedDict and list(loaded) == ["w", "b"]
    assert all(type(value) is tg.Tensor for value in loaded.values())
    assert loaded["w"].tolist() == [0.0, 1.0, 2.0, 3.0] and loaded["b"].dtype == tg.int32


# ====================================================================== 2. plain data


PLAIN_VALUES = [
    {1.5: "a", True: "b", None: "c", (1, "x"): "d", (2, (3.0, None)): "e", -3: "f"},
    {"tags": {"a", "b", 3}, "frozen": frozenset({(1, 2), "z"})},
    {"raw": b"\x00\xffbytes", "buf": bytearray(b"ab\x00")},
    {"c": 1 + 2j, "n": complex(float("nan"), -0.0), "key": {2j: 1}},
    {"s": slice(1, None, 2), "r": range(2, 10, 3), "s2": slice(None)},
    [frozenset(), set(), (), b"", {b"k": 1, frozenset({1}): 2}],
]


@pytest.mark.parametrize("obj", PLAIN_VALUES)
def test_plain_data_round_trips_as_with_torch(obj):
    loaded = tg_round_trip(obj)
    if torch is not None:
        reference = torch_round_trip(obj)
    else:
        reference = obj  # (pickle gives back what it was given: the same comparison)
    assert repr(loaded) == repr(reference) or loaded == reference
    assert _types(loaded) == _types(reference)


def _types(value: Any) -> Any:
    if isinstance(value, dict):
        return type(value), [(_types(key), _types(item)) for key, item in value.items()]
    if isinstance(value, list | tuple):
        return type(value), [_types(item) for item in value]
    if isinstance(value, set | frozenset):
        return type(value), sorted(map(repr, value))
    return type(value)


def test_dtypes_and_size_round_trip_as_their_types():
    loaded = tg_round_trip({"dtype": tg.float32, "shape": tg.Size([2, 3]),
                            "all": [tg.int8, tg.uint8, tg.bool, tg.float16, np.dtype("complex64")]})
    assert loaded["dtype"] is tg.float32 and isinstance(loaded["dtype"], tg.dtype)
    assert type(loaded["shape"]) is tg.Size and loaded["shape"] == (2, 3)
    # (a NumPy dtype is pickled by NumPy, as torch.save does: it comes back as NumPy's)
    assert loaded["all"] == [tg.int8, tg.uint8, tg.bool, tg.float16, np.dtype("complex64")]
    assert type(loaded["all"][4]) is type(np.dtype("complex64"))
    assert type(tg_round_trip(tg.zeros(2, 5).shape)) is tg.Size
    if torch is not None:  # torch gives its Size and dtype back too
        back = torch_round_trip({"dtype": torch.float32, "shape": torch.Size([2, 3])})
        assert type(back["shape"]) is torch.Size and back["dtype"] is torch.float32


@pytest.mark.parametrize("name", ["layer/weight", "a\\b", "..\\evil", "x/" * 600, "a\0b"])
def test_names_that_cannot_be_entries_still_round_trip(name):
    state = OrderedDict([("ok", tg.ones(1)), (name, tg.arange(3))])
    state._metadata = OrderedDict([("", {"version": 1})])  # type: ignore[attr-defined]
    loaded = tg_round_trip(state)
    expected = list(torch_round_trip(OrderedDict([("ok", torch.ones(1)), (name, torch.arange(3))]))
                    ) if torch is not None else ["ok", name]
    assert list(loaded) == expected == ["ok", name]
    assert loaded[name].tolist() == [0, 1, 2] and loaded._metadata == {"": {"version": 1}}


def a_function() -> int:
    return 1


@pytest.mark.parametrize(("obj", "match"), [
    ({"fn": a_function}, r"obj\['fn'\] is a function \(a_function\); only dict"),
    ({"cls": tg.Tensor}, r"obj\['cls'\] is a class \(Tensor\); only dict"),
    ({"module": np}, r"obj\['module'\] is an object of type module; only dict"),
    ({a_function: 1}, r"obj key <function a_function .*> is a function \(a_function\); a dict"),
    ({"s": {a_function}}, r"obj\['s'\] item is a function \(a_function\); a dict key or set"),
    ({"s": slice(0, a_function)}, r"obj\['s'\].stop is a function"),
    ({"d": np.dtype("U3")}, r"obj\['d'\] is the dtype <U3; only the numeric dtypes"),
    ({"d": np.dtype(">f4")}, r"obj\['d'\] is the dtype >f4; only the numeric dtypes"),
])
def test_code_and_other_objects_stay_refused(tmp_path, obj, match):
    with pytest.raises(TypeError, match=match):
        save(obj, tmp_path / "c.pt")
    assert list(tmp_path.iterdir()) == []


def test_what_load_would_refuse_is_not_written(tmp_path):
    big = b"x" * (9 << 20)  # as hex in the (earlier format's) manifest: over its 16 MiB
    with pytest.raises(ValueError, match="over the limit of 16,777,216 that load reads"):
        save_npz({"blob": big}, tmp_path / "big.pt")
    assert tg_round_trip({"blob": big})["blob"] == big  # (pickled: no such limit)
    assert tg_round_trip({"blob": b"x" * (1 << 20)})["blob"] == b"x" * (1 << 20)


def write_manifest(path: Any, manifest: str, version: int = 2, **arrays: np.ndarray) -> None:
    np.savez(path, **{FORMAT_KEY: np.array(version),
                      MANIFEST: np.frombuffer(manifest.encode(), dtype=np.uint8), **arrays})


@pytest.mark.parametrize(("manifest", "match"), [
    ('{"dtype": "object"}', "has a dtype 'object', not one tinygrad_np.save writes"),
    ('{"dtype": "O"}', "has a dtype 'O'"),
    ('{"dtype": "<U3"}', "has a dtype '<U3'"),
    ('{"dtype": "V8"}', "has a dtype 'V8'"),
    ('{"dtype": ["float32"]}', "has a dtype"),
    ('{"bytes": "0g"}', "has a bytes '0g'"),
    ('{"bytes": "de ad"}', "has a bytes 'de ad'"),
    ('{"bytearray": "ABCD"}', "has a bytearray 'ABCD'"),
    ('{"complex": ["1", 2.0]}', "has a complex"),
    ('{"complex": [1.0]}', "has a complex"),
    ('{"range": [0, 5, 0]}', "has a range"),
    ('{"range": [0, 5.0, 1]}', "has a range"),
    ('{"size": [2, true]}', "has a size"),
    ('{"size": {"a": 1}}', "has a size"),
    ('{"slice": [1, 2]}', "has a slice of 2 items"),
    ('{"set": [{"list": [1]}]}', r"\[0\] holds .* as a dict key or set item"),
    ('{"set": [{"bytearray": "00"}]}', r"\[0\] holds .* as a dict key or set item"),
    ('{"frozenset": [{"set": []}]}', r"\[0\] holds .* as a dict key or set item"),
    ('{"dict": [[{"slice": [1, 2, 3]}, 1]]}', "as a dict key or set item"),
    ('{"dict": [[{"tuple": [{"dict": []}]}, 1]]}', "as a dict key or set item"),
    ('{"dict": [[{"tuple": [1]}, 1], [{"tuple": [1]}, 2]]}', r"has the key \(1,\) twice"),
    ('{"dict": [], "metadata": {"dict": []}}', "not a value tinygrad_np.save writes"),
    ('{"odict": [], "metadata": [1]}', "has _metadata \\[1\\], not a dict"),
    ('{"odict": [], "metadata": {"list": []}}', "has _metadata .*, not a dict"),
    ('{"odict": [], "metadata": {"odict": [["x", {"code": 1}]]}}',
     r"_metadata\['x'\] holds .* in _metadata"),
    ('{"odict": [], "extra": 1}', "not a value tinygrad_np.save writes"),
    ('{"frozenset": [' * 65 + "]}" * 65, "nested more than 64 containers deep"),
    ('{"tuple": [' * 65 + "]}" * 65, "nested more than 64 containers deep"),
])
def test_new_manifest_nodes_checked_strictly(tmp_path, manifest, match):
    write_manifest(tmp_path / "evil.npz", manifest)
    with pytest.raises(ValueError, match=f"load: .*evil.npz: the manifest at obj.*{match}"):
        load(tmp_path / "evil.npz")


def test_metadata_holding_an_array_refused(tmp_path):
    write_manifest(tmp_path / "evil.npz", '{"odict": [], "metadata": {"dict": [["x", '
                   '{"array": 0}]]}}', **{"0": np.ones(1)})
    with pytest.raises(ValueError, match=r"_metadata\['x'\] holds .* in _metadata"):
        load(tmp_path / "evil.npz")


def test_format_3_references_are_entry_names(tmp_path):
    path = tmp_path / "named.npz"
    write_manifest(path, '{"dict": [["w", {"array": "w"}]]}', 3, w=np.arange(2))
    assert load(path)["w"].tolist() == [0, 1]
    write_manifest(path, '{"dict": [["w", {"array": 0}]]}', 3, w=np.arange(2))
    with pytest.raises(ValueError, match="refers to array 0, which the file does not hold"):
        load(path)
    write_manifest(path, '{"dict": []}', 3, w=np.arange(2))
    with pytest.raises(ValueError, match="entry 'w' is not referenced by the manifest"):
        load(path)
    write_manifest(path, '{"dict": [["w", {"array": "w"}]]}', 2, w=np.arange(2))
    with pytest.raises(ValueError, match="entry 'w' is not one of the numbered arrays"):
        load(path)


def test_dtype_is_built_only_from_the_list(tmp_path, monkeypatch):
    built: list[Any] = []
    real_dtype = np.dtype

    def watching(*args: Any, **kwargs: Any) -> Any:
        built.append(args)
        return real_dtype(*args, **kwargs)

    write_manifest(tmp_path / "d.npz", '{"list": [{"dtype": "float64"}, {"dtype": "bool"}]}')
    assert load(tmp_path / "d.npz") == [np.float64, np.bool_]
    write_manifest(tmp_path / "e.npz", '{"list": [{"dtype": "float64"}, {"dtype": "M8"}]}')
    monkeypatch.setattr(np, "dtype", watching)
    with pytest.raises(ValueError, match="has a dtype 'M8'"):
        load(tmp_path / "e.npz")
    assert ("M8",) not in built  # refused before anything was built from it


# ====================================================================== 3. torch's keywords


def test_signatures_match_torch_positionally():
    save_names = list(inspect.signature(save).parameters)
    load_params = inspect.signature(load).parameters
    if torch is not None:
        expected_save = list(inspect.signature(torch.save).parameters)
        torch_load = inspect.signature(torch.load).parameters
        expected_load = [name for name, p in torch_load.items()
                         if p.kind is p.POSITIONAL_OR_KEYWORD]
        keyword_only = [name for name, p in torch_load.items() if p.kind is p.KEYWORD_ONLY]
    else:
        expected_save = ["obj", "f", "pickle_module", "pickle_protocol",
                         "_use_new_zipfile_serialization", "_disable_byteorder_record"]
        expected_load = ["f", "map_location", "pickle_module"]
        keyword_only = ["weights_only", "mmap"]
    assert save_names == expected_save
    assert [name for name, p in load_params.items()
            if p.kind is p.POSITIONAL_OR_KEYWORD] == expected_load
    assert all(load_params[name].kind is inspect.Parameter.KEYWORD_ONLY for name in keyword_only)
    assert any(p.kind is p.VAR_KEYWORD for p in load_params.values())


def test_torch_keywords_accepted_and_ignored(tmp_path):
    path = tmp_path / "w.pt"
    state = {"w": tg.arange(3.0), "epoch": 2}
    save(state, path, pickle, 4, False, True)  # positional, as torch.save's order
    save(state, path, pickle_module=pickle, pickle_protocol=2,
         _use_new_zipfile_serialization=False)
    for kwargs in ({"weights_only": False}, {"weights_only": True, "mmap": True},
                   {"encoding": "latin1"}, {"pickle_module": pickle, "errors": "strict"},
                   {"map_location": "cpu", "fix_imports": True}):
        loaded = load(path, **kwargs)
        assert loaded["w"].tolist() == [0.0, 1.0, 2.0] and loaded["epoch"] == 2
    assert load(path, None, pickle)["epoch"] == 2
    with pytest.raises(TypeError, match="unexpected keyword argument 'max_byte'"):
        load(path, max_byte=10)


# ====================================================================== 4. _metadata


def model_pair() -> tuple[Any, Any]:
    ours = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    theirs = (torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.BatchNorm1d(3))
              if torch is not None else None)
    return ours, theirs


def test_metadata_survives_flat_and_nested():
    ours, theirs = model_pair()
    expected = (torch_round_trip(theirs.state_dict())._metadata if theirs is not None else
                OrderedDict([("", {"version": 1}), ("0", {"version": 1}),
                             ("1", {"version": 2})]))
    flat = tg_round_trip(ours.state_dict())
    assert hasattr(flat, "_metadata") and flat._metadata == expected
    assert type(flat._metadata) is OrderedDict and list(flat._metadata) == list(expected)
    nested = tg_round_trip({"model": ours.state_dict(), "epoch": 1})
    assert nested["model"]._metadata == expected
    if theirs is not None:
        assert torch_round_trip({"model": theirs.state_dict()})["model"]._metadata == expected
    fresh = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    assert str(fresh.load_state_dict(flat)) == "<All keys matched successfully>"


def test_old_batchnorm_metadata_still_adds_num_batches_tracked():
    # Version 1 BatchNorm state dicts have no num_batches_tracked; _metadata says so.
    bn = nn.BatchNorm1d(3)
    state = bn.state_dict()
    del state["num_batches_tracked"]
    state._metadata[""]["version"] = 1
    loaded = tg_round_trip(state)
    assert loaded._metadata[""] == {"version": 1}
    assert str(nn.BatchNorm1d(3).load_state_dict(loaded)) == "<All keys matched successfully>"


# ====================================================================== 5. assign=True


def test_assign_takes_the_given_tensors():
    m = nn.Linear(2, 3)
    weight = tg.zeros(3, 2, dtype=tg.float64)
    bias = nn.Parameter(tg.ones(3))
    m.load_state_dict({"weight": weight, "bias": bias}, assign=True)
    assert type(m.weight) is nn.Parameter and m.weight.dtype == tg.float64
    assert m.weight.requires_grad and m.bias is bias
    weight[0, 0] = 5.0  # shared memory: the module sees it
    assert m.weight[0, 0].item() == 5.0
    assert [name for name, _ in m.named_parameters()] == ["weight", "bias"]
    if torch is not None:
        t = torch.nn.Linear(2, 3)
        tw, tb = torch.zeros(3, 2, dtype=torch.float64), torch.nn.Parameter(torch.ones(3))
        t.load_state_dict({"weight": tw, "bias": tb}, assign=True)
        tw[0, 0] = 5.0
        assert (type(t.weight), t.weight.dtype, t.weight.requires_grad, t.bias is tb,
                t.weight[0, 0].item()) == (torch.nn.Parameter, torch.float64, True, True, 5.0)


def test_assign_keeps_the_replaced_parameters_requires_grad():
    m = nn.Linear(2, 3)
    m.weight.requires_grad_(False)
    weight, bias = nn.Parameter(tg.ones(3, 2)), tg.zeros(3, requires_grad=True)
    m.load_state_dict({"weight": weight, "bias": bias}, assign=True)
    got = (m.weight is weight, m.weight.requires_grad, weight.requires_grad,
           m.bias.requires_grad, bias.requires_grad)
    if torch is not None:
        t = torch.nn.Linear(2, 3)
        t.weight.requires_grad_(False)
        tw, tb = torch.nn.Parameter(torch.ones(3, 2)), torch.zeros(3, requires_grad=True)
        t.load_state_dict({"weight": tw, "bias": tb}, assign=True)
        expected = (t.weight is tw, t.weight.requires_grad, tw.requires_grad,
                    t.bias.requires_grad, tb.requires_grad)
    else:
        expected = (True, False, False, True, True)
    assert got == expected == (True, False, False, True, True)


def test_assign_buffers_and_arrays():
    bn = nn.BatchNorm1d(3)
    mean, var = tg.arange(3.0), np.full(3, 2.0, dtype=np.float32)
    state = dict(bn.state_dict(), running_mean=mean, running_var=var)
    bn.load_state_dict(state, assign=True)
    assert bn.running_mean is mean  # as PyTorch: the buffer is the given tensor
    var[1] = 7.0  # an array is wrapped without a copy
    assert bn.running_var.tolist() == [2.0, 7.0, 2.0]
    assert [name for name, _ in bn.named_buffers()] == ["running_mean", "running_var",
                                                        "num_batches_tracked"]


def test_assign_failures_change_nothing():
    m = nn.Linear(2, 3)
    weight, bias = m.weight, m.bias
    before = weight.tolist()
    with pytest.raises(RuntimeError, match="Only Tensors of floating point and complex dtype "
                       "can require gradients"):
        m.load_state_dict({"weight": tg.zeros(3, 2, dtype=tg.int64), "bias": tg.zeros(3)},
                          assign=True)
    assert m.weight is weight and m.bias is bias and m.weight.dtype == tg.float32
    with pytest.raises(RuntimeError, match=r"size mismatch for weight"):
        m.load_state_dict({"bias": nn.Parameter(tg.zeros(3)), "weight": tg.zeros(2, 3)},
                          assign=True)
    assert m.weight is weight and m.bias is bias and m.weight.tolist() == before
    if torch is not None:  # torch refuses the int tensor too (it leaves the dtype)
        t = torch.nn.Linear(2, 3)
        with pytest.raises(RuntimeError, match="floating point"):
            t.load_state_dict({"weight": torch.zeros(3, 2, dtype=torch.int64),
                               "bias": torch.zeros(3)}, assign=True)
        assert t.weight.dtype == torch.float32


def test_assign_into_parameter_containers():
    params = nn.ParameterList([nn.Parameter(tg.ones(2))])
    given = nn.Parameter(tg.zeros(2))
    params.load_state_dict({"0": given}, assign=True)
    assert params[0] is given and list(params.parameters())[0] is given

    class Holder(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.pair = (nn.Parameter(tg.ones(1)), [nn.Parameter(tg.ones(2))])

    holder = Holder()
    first, second = nn.Parameter(tg.zeros(1)), nn.Parameter(tg.zeros(2))
    holder.load_state_dict({"pair.0": first, "pair.1.0": second}, assign=True)
    assert holder.pair[0] is first and holder.pair[1][0] is second
    assert type(holder.pair) is tuple


# ====================================================================== 6. (1,) into 0-d


def test_one_element_vector_loads_into_a_0d_entry():
    bn = nn.BatchNorm1d(3)
    state = dict(bn.state_dict(), num_batches_tracked=tg.tensor([3]))
    assert str(bn.load_state_dict(state)) == "<All keys matched successfully>"
    assert bn.num_batches_tracked.shape == () and bn.num_batches_tracked.item() == 3
    bn.load_state_dict(dict(state, num_batches_tracked=np.array([4])))
    assert bn.num_batches_tracked.item() == 4
    bn.load_state_dict(dict(state, num_batches_tracked=tg.tensor([5])), assign=True)
    assert bn.num_batches_tracked.shape == () and bn.num_batches_tracked.item() == 5
    for bad in (tg.tensor([1, 2]), tg.tensor([[1]])):
        with pytest.raises(RuntimeError, match="size mismatch for num_batches_tracked"):
            bn.load_state_dict(dict(state, num_batches_tracked=bad))
    if torch is not None:
        tbn = torch.nn.BatchNorm1d(3)
        tstate = dict(tbn.state_dict(), num_batches_tracked=torch.tensor([3]))
        tbn.load_state_dict(tstate)
        assert tbn.num_batches_tracked.shape == () and tbn.num_batches_tracked.item() == 3
        for bad in (torch.tensor([1, 2]), torch.tensor([[1]])):
            with pytest.raises(RuntimeError, match="size mismatch"):
                tbn.load_state_dict(dict(tstate, num_batches_tracked=bad))


# ====================================================================== 7. consume_prefix


def prefixed_state() -> OrderedDict:
    state = OrderedDict([("module.a", 1), ("b", 0), ("module.b.c", 2), ("x", 3),
                         ("module.module.d", 4)])
    state._metadata = OrderedDict([  # type: ignore[attr-defined]
        ("", {"version": 1}), ("module", {"v": 2}), ("module.b", {"v": 3}), ("other", {})])
    return state


def test_consume_prefix_in_state_dict_if_present():
    state = prefixed_state()
    assert consume_prefix_in_state_dict_if_present(state, "module.") is None
    if torch is not None:
        expected = prefixed_state()
        torch.nn.modules.utils.consume_prefix_in_state_dict_if_present(expected, "module.")
        expected_items, expected_metadata = list(expected.items()), list(expected._metadata.items())
    else:
        expected_items = [("b", 0), ("x", 3), ("a", 1), ("b.c", 2), ("module.d", 4)]
        expected_metadata = [("", {"v": 2}), ("other", {}), ("b", {"v": 3})]
    assert list(state.items()) == expected_items
    assert list(state._metadata.items()) == expected_metadata
    plain = {"module.w": 1, "v": 2}
    consume_prefix_in_state_dict_if_present(plain, "module.")
    assert plain == {"v": 2, "w": 1}
    assert nn.modules.utils.consume_prefix_in_state_dict_if_present is (
        consume_prefix_in_state_dict_if_present)


def test_consume_prefix_then_load_a_data_parallel_state_dict():
    model = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    state = model.state_dict(prefix="module.")
    consume_prefix_in_state_dict_if_present(state, "module.")
    assert list(state) == list(model.state_dict())
    assert str(model.load_state_dict(state)) == "<All keys matched successfully>"
