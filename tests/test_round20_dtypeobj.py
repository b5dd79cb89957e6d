"""PyTorch's dtype objects: `torch.float32` prints, compares, hashes, pickles and answers
`is_floating_point` ... as PyTorch's, while NumPy still takes it and it equals NumPy's dtype."""

import copy
import io
import json
import logging
import pickle

import numpy as np
import pytest

import tinygrad_np as tg

try:
    import torch

    torch.set_num_threads(1)
except ImportError:  # pragma: no cover
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch not installed")

TENSOR_DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32",
                 "float64"]
NAMED_ONLY = ["bfloat16", "complex32", "complex64", "complex128", "float8_e4m3fn",
              "float8_e5m2", "uint16", "uint32", "uint64"]
ALIASES = ["float", "double", "half", "long", "int", "short", "cfloat", "cdouble", "chalf"]
ALL_NAMES = TENSOR_DTYPES + NAMED_ONLY + ALIASES


def _outcome(call):
    """A call's value (as str), or its exception type and message."""
    try:
        return "ok", str(call())
    except Exception as error:  # noqa: BLE001  (compared with PyTorch's)
        return type(error).__name__, str(error)


@needs_torch
@pytest.mark.parametrize("name", ALL_NAMES)
def test_str_repr_and_attributes_are_pytorchs(name):
    ours, theirs = getattr(tg, name), getattr(torch, name)
    assert (str(ours), repr(ours), f"{ours}", format(ours), str([ours])) == (
        str(theirs), repr(theirs), f"{theirs}", format(theirs), str([theirs]))
    assert isinstance(ours, tg.dtype)
    for attribute in ("is_floating_point", "is_signed", "is_complex", "itemsize", "abbr"):
        assert getattr(ours, attribute) == getattr(theirs, attribute), (name, attribute)
    for method in ("to_real", "to_complex"):
        assert _outcome(getattr(ours, method)) == _outcome(getattr(theirs, method)), (name, method)


@needs_torch
def test_aliases_are_the_same_objects_as_in_pytorch():
    for first in ALL_NAMES:
        for second in ALL_NAMES:
            same = getattr(torch, first) is getattr(torch, second)
            assert (getattr(tg, first) is getattr(tg, second)) == same, (first, second)
            assert (getattr(tg, first) == getattr(tg, second)) == same, (first, second)


@needs_torch
@pytest.mark.parametrize("name", TENSOR_DTYPES)
def test_tensor_dtype_is_the_singleton_and_prints_as_pytorch(name):
    ours = tg.zeros(2, dtype=getattr(tg, name))
    theirs = torch.zeros(2, dtype=getattr(torch, name))
    assert ours.dtype is getattr(tg, name) and isinstance(ours.dtype, tg.dtype)
    assert (str(ours.dtype), repr(ours), ours.type()) == (
        str(theirs.dtype), repr(theirs), theirs.type())
    assert f"{ours.dtype}" == f"{theirs.dtype}" and str(ours.dtype) == f"torch.{name}"
    assert ours.dtype == ours.numpy().dtype and ours.numpy().dtype == ours.dtype
    assert ours.dtype == np.dtype(name) and np.dtype(name) == ours.dtype
    numpy_type = np.dtype(name).type
    assert ours.dtype == numpy_type and numpy_type == ours.dtype and ours.dtype != np.int16 or (
        name == "int16")
    assert tg.tensor(ours.numpy()).dtype is getattr(tg, name)  # from an array of that dtype


def test_cannot_be_made_or_ordered_as_in_pytorch():
    with pytest.raises(TypeError, match="cannot create 'torch.dtype' instances"):
        tg.dtype("float32")
    with pytest.raises(TypeError):
        _ = tg.float32 < tg.float64  # noqa: B018
    with pytest.raises(TypeError):
        format(tg.float32, ">10")
    with pytest.raises(AttributeError, match="torch.dtype"):
        _ = tg.float32.no_such_attribute  # noqa: B018


@pytest.mark.parametrize("name", TENSOR_DTYPES + NAMED_ONLY)
def test_pickle_copy_and_deepcopy_give_the_same_object(name):
    dtype = getattr(tg, name)
    assert pickle.loads(pickle.dumps(dtype)) is dtype
    assert copy.copy(dtype) is dtype and copy.deepcopy(dtype) is dtype
    state = copy.deepcopy({"dtype": dtype, "list": [dtype]})
    assert state["dtype"] is dtype and state["list"][0] is dtype


def test_hash_and_dict_keys_work_both_ways_with_numpy():
    table = {tg.float32: "f", tg.int64: "l", tg.bfloat16: "bf"}
    assert table[tg.zeros(1).dtype] == "f" and table[np.dtype("float32")] == "f"
    assert table[tg.tensor([1]).dtype] == "l" and table[tg.bfloat16] == "bf"
    numpy_keyed = {np.dtype(np.float16): "h"}
    assert numpy_keyed[tg.float16] == "h" and tg.half in numpy_keyed
    assert tg.float32 in (np.float32,) and np.float32 in (tg.float32,)
    assert tg.zeros(1).dtype in (tg.float16, tg.float32) and tg.zeros(1).dtype not in (tg.int32,)
    assert tg.bfloat16 != np.float32 and np.dtype("float32") != tg.bfloat16


def test_numpy_takes_the_dtype_objects():
    assert np.zeros(3, dtype=tg.float16).dtype == np.float16
    assert np.ones(2).astype(tg.int32).dtype == np.int32
    assert np.asarray([1, 2], tg.uint8).dtype == np.uint8
    assert np.arange(3, dtype=tg.int16).dtype == np.int16
    assert np.dtype(tg.float64) is np.dtype(np.float64)
    assert np.result_type(tg.float32, np.int64) == np.float64
    assert np.promote_types(tg.float16, tg.float32) == np.float32
    assert np.issubdtype(tg.float32, np.floating) and not np.issubdtype(tg.int8, np.floating)
    assert np.can_cast(tg.int8, tg.int64) and np.finfo(tg.float16).bits == 16
    assert np.iinfo(tg.tensor([1]).dtype).max == 2**63 - 1
    with pytest.raises(TypeError, match="no bfloat16 tensors"):
        np.zeros(2, dtype=tg.bfloat16)
    # NumPy's habits on the objects: kind, name, type, char
    assert (tg.float32.kind, tg.int8.kind, tg.bool.kind, tg.uint8.kind) == ("f", "i", "b", "u")
    assert tg.float16.name == "float16" and tg.int64.type is np.int64 and tg.float32.char == "f"


@needs_torch
def test_default_dtype_and_type_info_as_pytorch():
    assert tg.get_default_dtype() is tg.float32
    try:
        tg.set_default_dtype(tg.float64)
        assert tg.get_default_dtype() is tg.float64 and tg.tensor(1.5).dtype is tg.float64
        tg.set_default_dtype(np.float16)  # NumPy's dtypes are still taken
        assert tg.get_default_dtype() is tg.float16
    finally:
        tg.set_default_dtype(tg.float32)
    for name in ("float16", "float32", "float64", "bfloat16"):
        ours, theirs = tg.finfo(getattr(tg, name)), torch.finfo(getattr(torch, name))
        assert ours.dtype == theirs.dtype and type(ours.dtype) is str
    for name in ("uint8", "int8", "int16", "int32", "int64"):
        ours, theirs = tg.iinfo(getattr(tg, name)), torch.iinfo(getattr(torch, name))
        assert ours.dtype == theirs.dtype and type(ours.dtype) is str


@needs_torch
def test_promote_types_result_type_and_can_cast_give_pytorchs_objects():
    for first in TENSOR_DTYPES:
        for second in TENSOR_DTYPES:
            ours = tg.promote_types(getattr(tg, first), getattr(tg, second))
            theirs = torch.promote_types(getattr(torch, first), getattr(torch, second))
            assert ours is getattr(tg, str(theirs).split(".")[1]), (first, second)
            assert tg.can_cast(getattr(tg, first), getattr(tg, second)) == torch.can_cast(
                getattr(torch, first), getattr(torch, second))
            a, b = tg.ones(2, dtype=getattr(tg, first)), tg.ones((), dtype=getattr(tg, second))
            result = tg.result_type(a, b)
            assert isinstance(result, tg.dtype) and str(result) == str(torch.result_type(
                torch.ones(2, dtype=getattr(torch, first)),
                torch.ones((), dtype=getattr(torch, second))))
    assert tg.result_type(tg.tensor([1]), 2.5) is tg.float32


@needs_torch
def test_client_script_printing_matches_pytorch():
    def script(lib):
        out = io.StringIO()
        x = lib.randn(2, 3)
        model = lib.nn.Linear(3, 2).double()
        print(x.dtype, f"{x.dtype}", str(x.long().dtype), [x.half().dtype], file=out)
        print({name: str(p.dtype) for name, p in model.state_dict().items()}, file=out)
        print(json.dumps({"dtype": str(model.weight.dtype)}), file=out)
        print(x.to(model.weight.dtype).dtype, lib.tensor([1, 2], dtype=lib.int32), file=out)
        print("%s %r" % (x.dtype, x.int().dtype), file=out)  # noqa: UP031
        for p in model.parameters():
            if p.dtype.is_floating_point and p.dtype.is_signed and not p.dtype.is_complex:
                print("float", p.dtype.itemsize, file=out)
        return out.getvalue()

    assert script(tg) == script(torch)


def test_logging_and_assertions_of_scripts():
    stream = io.StringIO()
    logger = logging.getLogger("dtypeobj_probe")
    handler = logging.StreamHandler(stream)
    logger.addHandler(handler)
    try:
        logger.warning("dtype %s", tg.ones(1).dtype)
        logger.warning(f"{tg.ones(1).long().dtype}")
    finally:
        logger.removeHandler(handler)
    assert stream.getvalue() == "dtype torch.float32\ntorch.int64\n"
    assert str(tg.ones(1).dtype) == "torch.float32" and str(tg.ones(1).dtype).split(".")[-1] == (
        "float32")
    assert getattr(tg, str(tg.ones(1).half().dtype).split(".")[1]) is tg.float16


def test_ema_style_code_uses_is_floating_point():
    model = tg.nn.Sequential(tg.nn.Linear(2, 2), tg.nn.BatchNorm1d(2))
    ema = {name: value.clone() for name, value in model.state_dict().items()}
    for name, value in model.state_dict().items():
        if value.dtype.is_floating_point:
            ema[name].mul_(0.5).add_(value, alpha=0.5)
    assert ema["1.num_batches_tracked"].dtype is tg.int64
    assert not ema["1.num_batches_tracked"].dtype.is_floating_point
    assert all(ema[name].dtype is value.dtype for name, value in model.state_dict().items())


def test_module_factories_parameters_and_conversions_keep_the_objects():
    layer = tg.nn.Linear(2, 3, dtype=tg.float64)
    assert layer.weight.dtype is tg.float64 and layer.bias.dtype is tg.double
    assert isinstance(layer.weight, tg.nn.Parameter) and layer.half().weight.dtype is tg.half
    x = tg.ones(2, dtype=np.float32)  # NumPy's dtypes are still taken as input
    assert x.dtype is tg.float32 and tg.tensor([1], dtype=np.int16).dtype is tg.int16
    other = tg.zeros(1, dtype=tg.int8)
    assert x.to(other.dtype).dtype is tg.int8 and x.type(tg.CharTensor).dtype is tg.int8
    assert x.type(other.dtype).dtype is tg.int8 and x.to(other).dtype is tg.int8
    assert x.view(tg.int32).dtype is tg.int32 and x.view(np.int32).dtype is tg.int32
    assert tg.FloatTensor.dtype is tg.float32
    normal = tg.distributions.Normal(tg.zeros(2, dtype=tg.float64), 1.0)
    assert normal.sample().dtype is tg.float64 and normal.mean.dtype is tg.float64


def test_optimizer_float16_path_is_taken_for_the_objects():
    """Adam's float16 parameters round op by op as PyTorch's (a path chosen by the dtype)."""
    p = tg.nn.Parameter(tg.tensor([1.0, 2.0], dtype=tg.float16))
    optimizer = tg.optim.Adam([p], lr=0.1)
    p.grad = tg.tensor([0.5, -0.25], dtype=tg.float16)
    optimizer.step()
    assert p.dtype is tg.float16 and optimizer.state[p]["step"].dtype is tg.float32
    if torch is not None:
        q = torch.nn.Parameter(torch.tensor([1.0, 2.0], dtype=torch.float16))
        reference = torch.optim.Adam([q], lr=0.1)
        q.grad = torch.tensor([0.5, -0.25], dtype=torch.float16)
        reference.step()
        assert p.detach().numpy().tolist() == q.detach().numpy().tolist()


@needs_torch
def test_autocast_dtypes_are_the_objects():
    assert tg.get_autocast_dtype("cpu") is tg.bfloat16
    assert str(tg.get_autocast_dtype("cuda")) == str(torch.get_autocast_dtype("cuda"))
    assert tg.get_autocast_dtype("cuda") is tg.float16
    for device in ("cpu", "cuda", "xla", "hpu", "mps", "xpu", "mtia"):  # PyTorch's defaults
        assert str(tg.get_autocast_dtype(device)) == str(torch.get_autocast_dtype(device))
    with tg.autocast("cpu", dtype=tg.float16) as context:
        assert context.fast_dtype is tg.float16


def test_save_and_load_keep_the_objects(tmp_path):
    path = tmp_path / "state.pt"
    values = {"dtype": tg.float16, "names": [tg.bfloat16, tg.int64, tg.bool, tg.cfloat],
              "weight": tg.ones(2, dtype=tg.float64)}
    tg.save(values, path)
    loaded = tg.load(path)
    assert loaded["dtype"] is tg.float16 and loaded["weight"].dtype is tg.float64
    assert loaded["names"] == [tg.bfloat16, tg.int64, tg.bool, tg.complex64]
    assert all(a is b for a, b in zip(loaded["names"], values["names"]))


@needs_torch
def test_pytorch_files_dtypes_load_as_the_objects(tmp_path):
    path = tmp_path / "torch.pt"
    torch.save({"dtype": torch.float16, "other": torch.int8, "complex": torch.cfloat,
                "weight": torch.ones(2, dtype=torch.float64),
                "wide": torch.tensor([0, 1, 2]).to(torch.uint16)}, path)
    loaded = tg.load(path)
    assert loaded["dtype"] is tg.float16 and loaded["other"] is tg.int8
    assert loaded["complex"] is tg.complex64 and loaded["weight"].dtype is tg.float64
    assert loaded["wide"].dtype is tg.uint16 and loaded["wide"].tolist() == [0, 1, 2]


@needs_torch
def test_errors_name_the_dtypes_as_pytorch():
    with pytest.raises(RuntimeError, match="Unknown Complex ScalarType for Long"):
        tg.int64.to_complex()
    with pytest.raises(RuntimeError) as ours:
        tg.bool.to_complex()
    with pytest.raises(RuntimeError) as theirs:
        torch.bool.to_complex()
    assert str(ours.value) == str(theirs.value)
    with pytest.raises(TypeError, match="no bfloat16 tensors"):
        tg.zeros(2, dtype=tg.bfloat16)
    with pytest.raises(TypeError, match="no complex tensors"):
        tg.zeros(2).to(tg.complex64)
