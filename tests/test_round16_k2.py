"""Round 16 (k2): tensor interop and conversion semantics probed against PyTorch 2.13:
attributes set on tensors (kept by copy, deepcopy and pickle as PyTorch keeps them), NumPy 2's
`__array__(dtype, copy)` protocol, `reversed(t)`, `t.type(...)` errors, deepcopy of views
sharing memory, and the copy-construct warning of `tensor(t)`. Each test compares with
PyTorch when it is installed and with fixed values otherwise."""

from __future__ import annotations

import copy
import pickle
import warnings

import numpy as np
import pytest

import tinygrad_np as tg

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")
LIBS = [tg] if torch is None else [tg, torch]


def _outcome(function, lib):
    """What function(lib) gives, or the name of the exception class it raises."""
    try:
        return function(lib)
    except Exception as error:  # noqa: BLE001 - the class is the compared outcome
        return type(error).__name__


# 1. attributes of the user's on tensors and parameters

def _attribute_survival(lib):
    plain = lib.ones(2)
    plain.tag = [1]
    result = lib.ones(2) * 2
    result.tag = "result"
    param = lib.nn.Parameter(lib.ones(2))
    param.no_decay = True
    buffer = lib.nn.Buffer(lib.ones(2))
    buffer.tag = 3
    model = lib.nn.Linear(1, 1)
    model.weight.no_decay = True
    deep = copy.deepcopy(plain)
    return {
        "plain": plain.tag, "result": result.tag, "param": param.no_decay,
        "copy shares": copy.copy(plain).tag is plain.tag,
        "deepcopy": deep.tag, "deepcopy copies": deep.tag is not plain.tag,
        "pickle": pickle.loads(pickle.dumps(plain)).tag,
        "pickle param": pickle.loads(pickle.dumps(param)).no_decay,
        "copy param": copy.copy(param).no_decay,
        "deepcopy param": hasattr(copy.deepcopy(param), "no_decay"),  # PyTorch drops them
        "deepcopy buffer": copy.deepcopy(buffer).tag,
        "deepcopy model": hasattr(copy.deepcopy(model).weight, "no_decay"),
        "fresh": hasattr(plain.detach(), "tag") or hasattr(plain * 1, "tag"),
    }


def test_tensor_attributes_fixed():
    assert _attribute_survival(tg) == {
        "plain": [1], "result": "result", "param": True, "copy shares": True,
        "deepcopy": [1], "deepcopy copies": True, "pickle": [1], "pickle param": True,
        "copy param": True, "deepcopy param": False, "deepcopy buffer": 3,
        "deepcopy model": False, "fresh": False}


@needs_torch
def test_tensor_attributes_match_torch():
    assert _attribute_survival(tg) == _attribute_survival(torch)


def test_tensor_attributes_leave_slots_alone():
    t = tg.ones(2, requires_grad=True)
    t.tag = 1
    sub = t.as_subclass(tg.nn.Parameter)
    assert not hasattr(sub, "tag") and vars(t) == {"tag": 1}
    (t * 3).sum().backward()
    np.testing.assert_array_equal(t.grad.numpy(), [3.0, 3.0])
    with pytest.raises(AttributeError):
        t.no_such_attribute  # noqa: B018


# 2. NumPy 2's __array__(dtype, copy): as NumPy treats an ndarray of the same values

@pytest.mark.parametrize("kwargs", [{}, {"copy": False}, {"copy": True}, {"dtype": np.float64},
                                    {"dtype": np.float32, "copy": False},
                                    {"dtype": np.float64, "copy": False},
                                    {"dtype": np.int64, "copy": True}])
def test_asarray_copy_keyword_as_numpy(kwargs):
    t = tg.tensor([1.5, 2.5, -3.0])
    source = np.array([1.5, 2.5, -3.0], dtype=np.float32)

    def shares(obj):
        try:
            array = np.asarray(obj, **kwargs)
        except ValueError:
            return "ValueError"
        return array.dtype, array.tolist(), np.shares_memory(array, source if obj is source
                                                             else t.numpy())

    assert shares(t) == shares(source)


def test_asarray_copy_false_of_a_tensor_that_requires_grad_is_read_only():
    w = tg.ones(2, requires_grad=True)
    array = np.asarray(w, copy=False)
    assert np.shares_memory(array, w.detach().numpy()) and not array.flags.writeable
    copied = np.asarray(w, copy=True)
    copied[0] = 5.0  # a copy of one's own
    assert w.tolist() == [1.0, 1.0]
    with pytest.raises(ValueError, match="Unable to avoid copy.*float32 tensor as float64"):
        np.array(w, dtype=np.float64, copy=False)


# 3. reversed(t), complex(t), t.type(<invalid>)

def _reversed_outcomes(lib):
    x = lib.tensor([1.0, 2.0, 4.0], dtype=lib.float64, requires_grad=True)
    flipped = reversed(x)
    (flipped * lib.tensor([1.0, 10.0, 100.0], dtype=lib.float64)).sum().backward()
    zero_d = lib.tensor(3)
    matrix = reversed(lib.arange(6).reshape(2, 3))
    return (type(flipped).__name__, flipped.tolist(), x.grad.tolist(),
            reversed(zero_d) is zero_d, matrix.tolist())


def test_reversed_fixed():
    assert _reversed_outcomes(tg) == ("Tensor", [4.0, 2.0, 1.0], [100.0, 10.0, 1.0], True,
                                      [[3, 4, 5], [0, 1, 2]])


@needs_torch
def test_reversed_matches_torch():
    assert _reversed_outcomes(tg) == _reversed_outcomes(torch)


def _conversions(lib):
    return [_outcome(lambda m: complex(m.tensor(2.5)), lib),
            _outcome(lambda m: complex(m.tensor([[-1.0]])), lib),
            _outcome(lambda m: complex(m.tensor([1.0, 2.0])), lib),
            _outcome(lambda m: m.ones(1).type("torch.NoSuchTensor"), lib),
            _outcome(lambda m: m.ones(1).type("torch.DoubleTensor").tolist(), lib),
            _outcome(lambda m: m.ones(1).type(m.LongTensor).tolist(), lib)]


def test_conversions_fixed():
    assert _conversions(tg) == [2.5 + 0j, -1 + 0j, "TensorError", "ValueError", [1.0], [1]]
    with pytest.raises(ValueError, match=r"complex\(\): only one element"):
        complex(tg.ones(2))


@needs_torch
def test_conversions_match_torch():
    ours, theirs = _conversions(tg), _conversions(torch)
    assert ours[:2] + ours[3:] == theirs[:2] + theirs[3:]
    assert theirs[2] == "ValueError" and issubclass(tg.errors.TensorError, ValueError)


# 4. deepcopy of tensors sharing memory: their copies share one copy of it, as PyTorch's

def _deepcopy_sharing(lib):
    base = lib.zeros(4, dtype=lib.float64)
    view = base[1:3]
    transposed = lib.arange(6, dtype=lib.float64).reshape(2, 3).t()
    base2, view2, transposed2 = copy.deepcopy([base, view, transposed])
    base2[1] = 9.0  # the copies share memory; the originals are left alone
    view2[1] = 7.0
    lone = copy.deepcopy(lib.arange(6, dtype=lib.float64)[2:4])
    expanded = copy.deepcopy(lib.ones(3, dtype=lib.float64).expand(2, 3))
    return (base2.tolist(), view2.tolist(), base.tolist(), view.tolist(),
            tuple(transposed2.stride()), transposed2.tolist(), lone.tolist(),
            tuple(expanded.stride()), expanded.tolist())


def test_deepcopy_keeps_memory_shared_fixed():
    assert _deepcopy_sharing(tg) == (
        [0.0, 9.0, 7.0, 0.0], [9.0, 7.0], [0.0] * 4, [0.0, 0.0], (1, 3),
        [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]], [2.0, 3.0], (0, 1), [[1.0] * 3] * 2)


@needs_torch
def test_deepcopy_keeps_memory_shared_matches_torch():
    assert _deepcopy_sharing(tg) == _deepcopy_sharing(torch)


def test_deepcopy_of_a_model_keeps_leaves_read_only_and_trainable():
    model = tg.nn.Linear(3, 2)
    twin = copy.deepcopy(model)
    assert twin.weight.is_leaf and twin.weight.requires_grad
    assert not twin.weight.detach().numpy().flags.writeable  # a leaf's array is locked
    assert not np.shares_memory(twin.weight.detach().numpy(), model.weight.detach().numpy())
    twin(tg.ones(1, 3)).sum().backward()
    assert twin.weight.grad.tolist() == [[1.0] * 3] * 2 and model.weight.grad is None


# 5. a *_like factory of an ndarray: PyTorch's TypeError, naming the factory

@pytest.mark.parametrize("name", ["zeros_like", "ones_like", "empty_like", "rand_like",
                                  "randn_like", "full_like"])
def test_like_factories_refuse_an_ndarray(name):
    args = (np.ones(2), 1.0) if name == "full_like" else (np.ones(2),)
    for lib in LIBS:
        with pytest.raises(TypeError, match=name if lib is tg else "must be Tensor"):
            getattr(lib, name)(*args)


# 6. arithmetic with None or a non-number: Python's TypeError naming Tensor, as PyTorch's

def _non_operands(lib):
    import decimal
    import fractions

    t = lib.ones(2)
    cases = {"t + None": lambda: t + None, "None + t": lambda: None + t,
             "t * None": lambda: t * None, "t / None": lambda: t / None,
             "t - object()": lambda: t - object(), "t ** None": lambda: t ** None,
             "t * Fraction": lambda: t * fractions.Fraction(1, 2),
             "t * Decimal": lambda: t * decimal.Decimal(1), "t == None": lambda: t == None}  # noqa: E711
    found = {}
    for name, case in cases.items():
        try:
            found[name] = case()
        except TypeError as error:
            found[name] = ("TypeError", "Tensor" in str(error) and "float'" not in str(error))
    return found


def test_non_operands_fixed():
    found = _non_operands(tg)
    assert found.pop("t == None") is False
    assert set(found.values()) == {("TypeError", True)}
    assert (tg.ones(2) + np.ones(2, dtype=np.float32)).tolist() == [2.0, 2.0]  # arrays still are


@needs_torch
def test_non_operands_match_torch():
    assert _non_operands(tg) == _non_operands(torch)


def _matmul_non_operands(lib):
    t = lib.ones(2)
    cases = {"t @ None": lambda: t @ None, "t @ 2": lambda: t @ 2,
             "t @ list": lambda: t @ [1.0, 2.0], "list @ t": lambda: [1.0, 2.0] @ t,
             "matmul(t, list)": lambda: lib.matmul(t, [1.0, 2.0])}
    found = {}
    for name, case in cases.items():
        try:
            found[name] = case()
        except TypeError as error:
            found[name] = ("TypeError", "Tensor" in str(error) or "must be Tensor" in str(error))
    return found


def test_matmul_non_operands_fixed():
    assert set(_matmul_non_operands(tg).values()) == {("TypeError", True)}
    assert (tg.ones(2) @ np.ones(2, dtype=np.float32)).item() == 2.0  # an array still is
    assert (np.ones(2, dtype=np.float32) @ tg.ones(2)).item() == 2.0


@needs_torch
def test_matmul_non_operands_match_torch():
    assert _matmul_non_operands(tg) == _matmul_non_operands(torch)


# 7. untyped_storage(): PyTorch's way to ask whether two tensors share memory; is_storage

def _storages(lib):
    base = lib.arange(6, dtype=lib.float32)
    view, copied = base[2:4], base.clone()
    storage = view.untyped_storage()
    return (type(storage).__name__, storage.size(), storage.nbytes(), storage.element_size(),
            len(storage), storage.data_ptr() == base.untyped_storage().data_ptr(),
            storage.data_ptr() == base.t().untyped_storage().data_ptr(),
            copied.untyped_storage().data_ptr() == base.untyped_storage().data_ptr(),
            storage.tolist()[4:8], lib.is_storage(storage), lib.is_storage(base),
            lib.is_storage(np.ones(1)))


def test_untyped_storage_fixed():
    one = list(np.float32(1.0).tobytes())  # the bytes of base[1]
    assert _storages(tg) == ("UntypedStorage", 24, 24, 1, 24, True, True, False, one, True,
                             False, False)


@needs_torch
def test_untyped_storage_matches_torch():
    assert _storages(tg) == _storages(torch)


# 8. from_numpy of a non-native byte order: refused (a tensor could not share the memory)

def test_from_numpy_refuses_a_foreign_byte_order():
    foreign = np.ones(2, dtype=">f8" if np.little_endian else "<f8")
    for lib in LIBS:
        with pytest.raises(ValueError, match="byte order"):
            lib.from_numpy(foreign)
    native = foreign.astype(foreign.dtype.newbyteorder("="))
    shared = tg.from_numpy(native)
    native[0] = 5.0
    assert shared.tolist() == [5.0, 1.0]
    assert tg.as_tensor(foreign).tolist() == [1.0, 1.0]  # as_tensor may copy: converted


# 9. torch.asarray: copy=False never converts; a tensor's copy stays in its graph

def _asarray_outcomes(lib):
    t = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
    plain = lib.zeros(2, dtype=lib.float64)
    found = {
        "array converting, copy=False": _outcome(
            lambda m: m.asarray(np.zeros(2), dtype=m.float32, copy=False), lib),
        "tensor converting, copy=False": _outcome(
            lambda m: m.asarray(t, dtype=m.float32, copy=False), lib),
        "same": lib.asarray(t, requires_grad=True) is t,
        "detached copy": _outcome(
            lambda m: m.asarray(t, copy=True, requires_grad=False).requires_grad, lib),
        "plain copy": _outcome(lambda m: m.asarray(plain, copy=True).requires_grad, lib),
    }
    with warnings.catch_warnings():  # (PyTorch's warning comes once a process: see below)
        warnings.simplefilter("ignore")
        copied = lib.asarray(t, copy=True)
        converted = lib.asarray(t, dtype=lib.float32)
    found["copy in graph"] = (copied.requires_grad, copied.is_leaf, copied.tolist())
    found["cast in graph"] = (converted.requires_grad, converted.is_leaf)
    ((copied * lib.tensor([3.0, 4.0], dtype=lib.float64)).sum()
     + (converted * 10).sum()).backward()
    found["grad"] = t.grad.tolist()
    copied_array = lib.asarray(np.zeros(2), copy=True)
    return found, _dtype_name(copied_array), copied_array.requires_grad


def _dtype_name(tensor) -> str:
    return str(tensor.dtype).rsplit(".", 1)[-1]


def test_asarray_fixed():
    found, dtype, requires_grad = _asarray_outcomes(tg)
    assert found == {"array converting, copy=False": "ValueError",
                     "tensor converting, copy=False": "ValueError", "same": True,
                     "detached copy": False, "plain copy": False,
                     "copy in graph": (True, False, [1.0, 2.0]), "cast in graph": (True, False),
                     "grad": [13.0, 14.0]}
    assert (dtype, requires_grad) == ("float64", False)
    w = tg.ones(2, requires_grad=True)
    with pytest.warns(UserWarning, match="unspecified requires_grad now defaults to obj"):
        tg.asarray(w, copy=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tg.asarray(w, copy=True, requires_grad=True)
        tg.asarray(tg.ones(2), copy=True)


@needs_torch
def test_asarray_matches_torch():
    assert _asarray_outcomes(tg) == _asarray_outcomes(torch)
