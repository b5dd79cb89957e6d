"""Round 16 (k2): tensor interop and conversion semantics probed against PyTorch 2.13:
attributes set on tensors (kept by copy, deepcopy and pickle as PyTorch keeps them), NumPy 2's
`__array__(dtype, copy)` protocol, `reversed(t)`, `t.type(...)` errors, deepcopy of views
sharing memory, and the copy-construct warning of `tensor(t)`. Each test compares with
PyTorch when it is installed and with fixed values otherwise."""

from __future__ import annotations

import copy
import pickle

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
