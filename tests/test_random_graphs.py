"""Random computation graphs, compared with PyTorch and with central differences.

Hypothesis writes small programs: each step applies an op to one or two earlier values
(so values are reused, broadcast against each other and reduced), and the output sums
every value weighted by a random upstream gradient. The same program runs on tinygrad_np
and on PyTorch; forward values and every leaf's gradient must agree.
"""

from __future__ import annotations

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import given

import tinygrad_np as tg
from tinygrad_np import Tensor

UNARY = ["tanh", "sigmoid", "sin", "cos", "exp_tanh", "neg", "square", "softmax", "log_softmax",
         "sum0", "mean_last", "max_last", "transpose", "flip", "scale"]
BINARY = ["add", "sub", "mul", "div_safe", "matmul"]


def run_program(program, leaves, lib):
    """Evaluate `program` on `leaves` with tinygrad_np ("tg") or torch ("torch") calls."""
    values = list(leaves)
    for op, i, j in program:
        x, y = values[i % len(values)], values[j % len(values)]
        values.append(apply(op, x, y, lib))
    return values


def _axis_kwargs(lib, axis, keepdims=True):
    if lib == "tg":
        return {"axis": axis, "keepdims": keepdims}
    return {"dim": axis, "keepdim": keepdims}


def apply(op, x, y, lib):
    if op == "tanh":
        return x.tanh()
    if op == "sigmoid":
        return x.sigmoid()
    if op == "sin":
        return x.sin()
    if op == "cos":
        return x.cos()
    if op == "exp_tanh":
        return x.tanh().exp()
    if op == "neg":
        return -x
    if op == "square":
        return x * x
    if op == "scale":
        return 0.5 * x + 1.0
    if op == "softmax":
        return x.softmax(-1)
    if op == "log_softmax":
        return x.log_softmax(-1)
    if op == "sum0":
        return x.sum(**_axis_kwargs(lib, 0))
    if op == "mean_last":
        return x.mean(**_axis_kwargs(lib, -1))
    if op == "max_last":
        return x.max(axis=-1, keepdims=True).values if lib == "tg" else x.amax(dim=-1, keepdim=True)
    if op == "transpose":
        return x.T if lib == "tg" else x.permute(1, 0)
    if op == "flip":
        return x.flip(0)
    if op == "add":
        return x + y
    if op == "sub":
        return x - y
    if op == "mul":
        return x * y
    if op == "div_safe":
        return x / (y * y + 1.0)
    if op == "matmul":
        if x.shape[-1] != y.shape[-1]:  # reductions changed a shape: broadcast-add instead
            return x + y
        return x @ y.T if lib == "tg" else x @ y.permute(1, 0)
    raise AssertionError(op)


@st.composite
def programs(draw):
    """Two or three (3, 3) leaves, so every op's shapes fit; broadcasting comes from the
    keepdims reductions, which produce (1, 3) and (3, 1) values."""
    n_leaves = draw(st.integers(2, 3))
    steps = draw(st.lists(
        st.tuples(st.sampled_from(UNARY + BINARY), st.integers(0, 50), st.integers(0, 50)),
        min_size=1, max_size=12,
    ))
    seed = draw(st.integers(0, 2**32 - 1))
    return n_leaves, steps, seed


def _leaf_values(n_leaves, seed):
    rng = np.random.default_rng(seed)
    # distinct values: no ties for max
    return [rng.permutation(9).reshape(3, 3) * 0.2 - 0.8 + rng.uniform(0, 0.01, (3, 3))
            for _ in range(n_leaves)]


def _weighted_total(values, seed, lib_tensor):
    rng = np.random.default_rng(seed + 1)
    total = None
    for value in values:
        weight = lib_tensor(rng.standard_normal(tuple(value.shape)))
        term = (value * weight).sum()
        total = term if total is None else total + term
    return total


@given(programs())
def test_random_programs_match_pytorch(case):
    torch = pytest.importorskip("torch")
    n_leaves, program, seed = case
    arrays = _leaf_values(n_leaves, seed)

    ours = [Tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    our_values = run_program(program, ours, "tg")
    their_values = run_program(program, theirs, "torch")
    for mine, reference in zip(our_values, their_values):
        np.testing.assert_allclose(mine._data, reference.detach().numpy(), rtol=1e-10, atol=1e-12)

    _weighted_total(our_values, seed, Tensor).backward()
    _weighted_total(their_values, seed, torch.tensor).backward()
    for mine, reference in zip(ours, theirs):
        np.testing.assert_allclose(mine.grad._data, reference.grad.numpy(), rtol=1e-9,
                                   atol=1e-12)


@given(programs())
def test_random_programs_pass_gradcheck(case):
    n_leaves, program, seed = case
    leaves = [Tensor(a, requires_grad=True) for a in _leaf_values(n_leaves, seed)]

    def total(*tensors):
        return _weighted_total(run_program(program, tensors, "tg"), seed, Tensor)

    assert tg.gradcheck(total, leaves, fast=True, atol=1e-6, rtol=1e-5)


@given(programs())
def test_random_programs_second_order_matches_pytorch(case):
    """Hessian-vector products through the same random programs."""
    torch = pytest.importorskip("torch")
    n_leaves, program, seed = case
    arrays = _leaf_values(n_leaves, seed)
    rng = np.random.default_rng(seed + 7)
    vectors = [rng.standard_normal(a.shape) for a in arrays]

    ours = [Tensor(a, requires_grad=True) for a in arrays]
    grads = tg.grad(_weighted_total(run_program(program, ours, "tg"), seed, Tensor), ours,
                    create_graph=True, allow_unused=True)
    terms = [(g * Tensor(v)).sum() for g, v in zip(grads, vectors)
             if g is not None and g.requires_grad]

    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    their_grads = torch.autograd.grad(
        _weighted_total(run_program(program, theirs, "torch"), seed, torch.tensor), theirs,
        create_graph=True, allow_unused=True)
    their_terms = [(g * torch.tensor(v)).sum() for g, v in zip(their_grads, vectors)
                   if g is not None and g.requires_grad]
    if not terms or not their_terms:
        return  # the program is linear in every leaf: nothing to differentiate twice
    hvp = tg.grad(sum(terms[1:], terms[0]), ours, allow_unused=True)
    their_hvp = torch.autograd.grad(sum(their_terms[1:], their_terms[0]), theirs,
                                    allow_unused=True)
    for mine, reference in zip(hvp, their_hvp):
        expected = np.zeros((3, 3)) if reference is None else reference.numpy()
        got = np.zeros((3, 3)) if mine is None else mine._data
        np.testing.assert_allclose(got, expected, rtol=1e-8, atol=1e-10)
