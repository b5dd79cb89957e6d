"""Session 27 (docex): PyTorch's own docstring examples, run through tinygrad_np.

tests/docex_harvest.py (run by hand) walks torch's namespaces, runs every docstring's `>>>`
block with torch and with tinygrad_np bound to `torch`, and compares each statement's echo,
printed output and error type. CASES at the end is a curated set of the blocks that match
(fast, in scope): each is compared with torch live where it is installed, else with PyTorch
2.13's outcomes recorded there (never tinygrad_np's). The tests before it pin the fixes the
harvest led to, against torch and against values computed independently.
"""

from __future__ import annotations

import importlib.util
import os
import struct

import numpy as np
import pytest

import tinygrad_np as tg

try:
    import torch

    torch.set_num_threads(1)
except ImportError:  # the recorded outcomes stand in for it
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="needs torch")
LIBS = [tg] + ([torch] if torch is not None else [])

_spec = importlib.util.spec_from_file_location(
    "docex_harvest", os.path.join(os.path.dirname(os.path.abspath(__file__)), "docex_harvest.py"))
harvest = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(harvest)


def _agree(expected: list[str], got: list[str]) -> bool:
    """Statement by statement: the same text (object addresses aside), errors by type, or the
    same numbers to printing precision (another BLAS may round the last digit otherwise)."""
    return len(expected) == len(got) and all(
        harvest._same(a, b) or (a.startswith("OK") and harvest._values_close(a, b))
        for a, b in zip(expected, got))


# --- post-accumulate-grad hooks run as PyTorch's: grad mode = create_graph ----------------

@pytest.mark.parametrize("lib", LIBS, ids=lambda L: L.__name__)
def test_post_accumulate_hook_updates_its_leaf_in_place(lib):
    v = lib.tensor([0.0, 0.0, 0.0], requires_grad=True)
    modes = []
    v.register_post_accumulate_grad_hook(lambda p: modes.append(lib.is_grad_enabled()))
    v.register_post_accumulate_grad_hook(lambda p: p.add_(p.grad, alpha=-0.01))  # returns p
    v.backward(lib.tensor([1.0, 2.0, 3.0]))
    assert v.detach().tolist() == pytest.approx([-0.01, -0.02, -0.03])
    assert modes == [False] and v.requires_grad and v.grad_fn is None


@pytest.mark.parametrize("lib", LIBS, ids=lambda L: L.__name__)
def test_post_accumulate_hook_grad_mode_follows_create_graph(lib):
    w = lib.ones(2, requires_grad=True)
    modes = []
    w.register_post_accumulate_grad_hook(lambda p: modes.append(lib.is_grad_enabled()))
    (w * w).sum().backward(create_graph=True)
    lib.autograd.grad((w * 3).sum(), w)  # grad() fills no .grad: no hook
    w.grad = None
    with lib.no_grad():
        pass
    (w * 2).sum().backward()
    assert modes == [True, False]


@pytest.mark.parametrize("lib", LIBS, ids=lambda L: L.__name__)
@pytest.mark.parametrize("returned", ["other", "grad"])
def test_post_accumulate_hook_returning_another_tensor_is_refused(lib, returned):
    p = lib.ones(2, requires_grad=True)
    p.register_post_accumulate_grad_hook(lambda t: t * 2 if returned == "other" else t.grad)
    with pytest.raises(RuntimeError, match="should return None"):
        (p * 2).sum().backward()


# --- inference tensors have no version counter --------------------------------------------

@pytest.mark.parametrize("lib", LIBS, ids=lambda L: L.__name__)
def test_inference_tensor_version_raises(lib):
    x = lib.ones(1, 2, 3, requires_grad=True)
    with lib.inference_mode():
        y = x * x
        y.add_(1)  # in place inside the mode: allowed
        z = lib.zeros(2)
    for t in (y, z):
        with pytest.raises(RuntimeError, match="Inference tensors do not track version counter"):
            _ = t._version
    x.detach().add_(1)  # (detach() shares the count)
    assert x._version == 1 and y.tolist() == [[[2.0] * 3] * 2]


def test_library_checks_still_work_on_inference_tensors():
    with tg.inference_mode():
        model = tg.nn.Linear(2, 2)
        state = {k: v.clone() for k, v in model.state_dict().items()}
        model.load_state_dict(state)  # (the snapshot reads each tensor's count)
        assert model.weight.is_inference()


# --- torch.hash_tensor: xor of the 64-bit patterns ----------------------------------------

def _bits(value: float | int, is_float: bool) -> int:
    return struct.unpack("<Q", struct.pack("<d" if is_float else "<q", value))[0]


@pytest.mark.parametrize("values, is_float", [([1.5, -2.0, 0.25], True), ([3, -1, 7], False),
                                              ([2.0], True), ([0], False)])
def test_hash_tensor_against_independent_bits(values, is_float):
    expected = 0
    for value in values:
        expected ^= _bits(value, is_float)
    dtype = tg.float32 if is_float else tg.int64
    got = tg.hash_tensor(tg.tensor(values, dtype=dtype))
    assert got.dtype == tg.uint64 and got.item() == expected


@needs_torch
@pytest.mark.parametrize("make", [
    lambda L: L.tensor([True, False]), lambda L: L.tensor([3], dtype=L.uint8),
    lambda L: L.tensor([1.5], dtype=L.float16), lambda L: L.tensor(2.0),
    lambda L: L.tensor([-1], dtype=L.int8), lambda L: L.arange(6.0).reshape(2, 3),
    lambda L: L.tensor([[1, 2], [3, 4]], dtype=L.int32)])
@pytest.mark.parametrize("dim, keepdim", [(None, False), (-1, False), (0, True), ((0, 1), False)])
def test_hash_tensor_matches_torch(make, dim, keepdim):
    outcomes = []
    for lib in (torch, tg):
        try:
            outcomes.append(repr(lib.hash_tensor(make(lib), dim, keepdim=keepdim)))
        except (IndexError, RuntimeError) as error:
            outcomes.append(type(error).__name__)
    assert outcomes[0] == outcomes[1]


@pytest.mark.parametrize("lib", LIBS, ids=lambda L: L.__name__)
def test_hash_tensor_errors(lib):
    with pytest.raises(RuntimeError, match="reduction dim to be specified"):
        lib.hash_tensor(lib.ones(0))
    with pytest.raises(IndexError, match="non-zero size"):
        lib.hash_tensor(lib.ones(0, 3), 0)
    with pytest.raises(RuntimeError, match="Unknown hash_tensor mode"):
        lib.hash_tensor(lib.ones(2), mode=1)
    assert lib.hash_tensor(lib.ones(0, 3), 1).shape == (0,)


# --- Tensor.grad_dtype ----------------------------------------------------------------------

@pytest.mark.parametrize("lib", LIBS, ids=lambda L: L.__name__)
def test_grad_dtype(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    assert x.grad_dtype == lib.float32
    x.grad_dtype = lib.float32
    x.grad_dtype = None
    assert x.grad_dtype is None
    with pytest.raises(RuntimeError, match="leaf tensors"):
        _ = (x * 2).grad_dtype
    with pytest.raises(RuntimeError, match="must be a torch.dtype or None"):
        x.grad_dtype = "float16"
    (x * 3).sum().backward()
    assert x.grad.dtype == lib.float32 and x.grad.tolist() == [3.0, 3.0]


def test_grad_dtype_other_than_the_tensors_is_refused_clearly():
    x = tg.ones(2, requires_grad=True)
    with pytest.raises(NotImplementedError, match="grad_dtype.*float16.*not supported"):
        x.grad_dtype = tg.float16
    assert x.grad_dtype == tg.float32


# --- autograd.enforce_grad_layout_policy, torch.utils.dlpack, typename ---------------------

@pytest.mark.parametrize("lib", LIBS, ids=lambda L: L.__name__)
def test_enforce_grad_layout_policy_is_a_context_manager_and_decorator(lib):
    p = lib.empty(2, 3, 4).permute(2, 0, 1).requires_grad_()
    with lib.autograd.enforce_grad_layout_policy(False):
        (p * 2).sum().backward()
    assert p.grad.shape == (4, 2, 3) and float(p.grad.sum()) == 48.0

    @lib.autograd.grad_mode.enforce_grad_layout_policy(False)
    def doubled(t):
        return t * 2

    assert doubled(lib.ones(1)).tolist() == [2.0]
    assert lib.autograd.enforce_grad_layout_policy(True).clone().mode is True


@pytest.mark.parametrize("lib", LIBS, ids=lambda L: L.__name__)
def test_dlpack_capsule_shares_memory(lib):
    import importlib

    dlpack = importlib.import_module(f"{lib.__name__}.utils.dlpack")
    t = lib.arange(4)
    capsule = dlpack.to_dlpack(t)
    assert type(capsule).__name__ == "PyCapsule"
    t3 = dlpack.from_dlpack(capsule)
    t3[0] = -9
    assert t.tolist() == [-9, 1, 2, 3] and t3.tolist() == [-9, 1, 2, 3]
    strided = lib.arange(12.0).reshape(3, 4).t()
    shared = lib.from_dlpack(dlpack.to_dlpack(strided))
    assert shared.tolist() == strided.tolist()
    t4 = lib.from_dlpack(np.arange(3.0))
    assert t4.tolist() == [0.0, 1.0, 2.0]


@needs_torch
def test_typename_follows_pytorchs_rule():
    for lib_obj, torch_obj in [(tg.nn.Parameter, torch.nn.Parameter),
                               (tg.nn.Linear(2, 2), torch.nn.Linear(2, 2)), (3, 3), (int, int),
                               ([1], [1]), (tg.ones(2), torch.ones(2)),
                               (tg.nn.functional.relu, torch.nn.functional.relu)]:
        ours, theirs = tg.typename(lib_obj), torch.typename(torch_obj)
        assert ours.replace("tinygrad_np.", "torch.").split(".")[-1] == theirs.split(".")[-1]
        assert ours.startswith("torch.") or ours == theirs or ours.startswith("tinygrad_np.")
    assert tg.typename(tg.nn.Parameter) == "tinygrad_np.nn.parameter.Parameter"


# --- grad_fn names of composed ops, as PyTorch's ---------------------------------------------

@needs_torch
@pytest.mark.parametrize("make", [
    lambda L: L.nn.EmbeddingBag(10, 3, mode="sum")(L.tensor([1, 2, 4, 5, 4, 3, 2, 9]),
                                                   L.tensor([0, 4])),
    lambda L: L.nn.EmbeddingBag(10, 3, mode="mean")(L.tensor([1, 2, 4, 5]), L.tensor([0, 4])),
    lambda L: L.nn.EmbeddingBag(10, 3, mode="max")(L.tensor([[1, 2], [4, 5]])),
    lambda L: L.nn.functional.pixel_shuffle(L.ones(1, 4, 2, 2, requires_grad=True), 2),
    lambda L: L.nn.PixelUnshuffle(2)(L.ones(1, 1, 4, 4, requires_grad=True)),
    lambda L: L.nn.functional.pairwise_distance(L.ones(3, 2, requires_grad=True), L.zeros(3, 2)),
    lambda L: L.nn.PairwiseDistance(keepdim=True)(L.ones(3, 2, requires_grad=True), L.zeros(2)),
    lambda L: L.nn.functional.pdist(L.rand(4, 3, requires_grad=True)),
    lambda L: L.dist(L.ones(3, requires_grad=True), L.zeros(3)),
])
def test_composed_ops_name_pytorchs_node(make):
    assert make(tg).grad_fn.name() == make(torch).grad_fn.name()


def test_embedding_bag_gradient_unchanged_by_the_name():
    weight = tg.tensor(np.arange(12.0).reshape(4, 3), requires_grad=True)
    out = tg.nn.functional.embedding_bag(tg.tensor([0, 2, 2, 3]), weight, tg.tensor([0, 2]),
                                         mode="mean")
    (out * tg.tensor([[1.0], [2.0]])).sum().backward()
    assert weight.grad.tolist() == [[0.5] * 3, [0.0] * 3, [1.5] * 3, [1.0] * 3]


# --- saved_tensors_hooks: a non-leaf input reaches pack_hook with its grad_fn ---------------

@pytest.mark.parametrize("lib", LIBS, ids=lambda L: L.__name__)
def test_pack_hook_sees_non_leaf_inputs_in_the_graph(lib):
    seen = []

    def pack(x):
        seen.append((x.grad_fn.name() if x.grad_fn is not None else None, x.requires_grad))
        return x

    a = lib.ones(3, requires_grad=True)
    b = lib.ones(3, requires_grad=True) * 2
    with lib.autograd.graph.saved_tensors_hooks(pack, lambda x: x):
        y = a * b
        z = (b * lib.ones(3)).exp()
    (y.sum() + z.sum()).backward()
    # a and b for y; for z only the constant (b's gradient needs it) and exp's output
    assert sorted(seen, key=str) == sorted([(None, True), ("MulBackward0", True),
                                            (None, False), ("ExpBackward0", True)], key=str)
    assert a.grad.tolist() == [2.0] * 3


@pytest.mark.parametrize("lib", LIBS, ids=lambda L: L.__name__)
def test_region_activation_memory_budget_refused_outside_compile(lib):
    with pytest.raises(RuntimeError, match="only be used inside a torch.compile region"):
        lib.autograd.graph.region_activation_memory_budget(0.0)
