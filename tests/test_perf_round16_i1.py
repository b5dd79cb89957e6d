"""Round 16 (performance, i1): torch.stack (and the h/v/d/column stacks) as one node,
EmbeddingBag by segment reductions (memory linear in the ids), cdist/pdist by a matrix
product for p=2 and in row chunks otherwise. Results are checked against torch where
installed (values and gradients, float64 and float32), else against values written out;
never timings."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed")


def _array(value):
    if value is None:
        return None
    return value.detach().numpy() if hasattr(value, "detach") else np.asarray(value)


def _close(ours, theirs, rtol=1e-7, atol=1e-9):
    ours, theirs = _array(ours), _array(theirs)
    if theirs is None:
        assert ours is None
        return
    assert ours is not None
    assert ours.dtype == theirs.dtype, (ours.dtype, theirs.dtype)
    assert ours.shape == theirs.shape, (ours.shape, theirs.shape)
    np.testing.assert_allclose(ours.astype(np.float64), theirs.astype(np.float64),
                               rtol=rtol, atol=atol)


def _both(run, rtol=1e-7, atol=1e-9):
    """run(lib) -> a sequence of results, compared between tinygrad_np and torch."""
    ours, theirs = run(tg), run(torch)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        _close(a, b, rtol, atol)


# ----------------------------------------------------------------- stack
def _leaves(lib, shapes, dtypes=None, grads=None, seed=0):
    rng = np.random.default_rng(seed)
    dtypes = dtypes or ["float64"] * len(shapes)
    grads = grads or [True] * len(shapes)
    return [lib.tensor(rng.standard_normal(s).astype(d), requires_grad=g and d[0] == "f")
            for s, d, g in zip(shapes, dtypes, grads)]


@needs_torch
@pytest.mark.parametrize("dim", [0, 1, 2, -1, -2, -3])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_stack_values_and_gradients_match_torch(dim, dtype):
    def run(lib):
        xs = _leaves(lib, [(3, 4)] * 5, [dtype] * 5)
        y = lib.stack([x * (i + 1) for i, x in enumerate(xs)], dim)
        weights = lib.tensor(np.arange(y.numel()).reshape(tuple(y.shape)).astype(dtype))
        (y * weights).sum().backward()
        return [y] + [x.grad for x in xs]
    _both(run)


def test_stack_is_one_node_whatever_the_count():
    xs = [tg.tensor([float(i), 1.0], requires_grad=True) for i in range(1000)]
    y = tg.stack(xs, 1)
    assert y.shape == (2, 1000)
    nexts = y.grad_fn.next_functions
    assert len(nexts) == 1000
    assert all(type(node).__name__ == "AccumulateGrad" for node, _ in nexts)
    y.sum().backward()
    assert all(x.grad.tolist() == [1.0, 1.0] for x in xs)


@needs_torch
def test_stack_edge_cases_match_torch():
    def run(lib):
        one = _leaves(lib, [(2, 3)])
        single = lib.stack(one, -1)
        single.pow(2).sum().backward()
        scalars = _leaves(lib, [()] * 4, seed=1)
        row = lib.stack(scalars)
        (row * lib.arange(4.0, dtype=lib.float64)).sum().backward()
        empty = _leaves(lib, [(0, 2)] * 3, seed=2)
        hollow = lib.stack(empty, 1)
        return [single, one[0].grad, row] + [s.grad for s in scalars] + [hollow]
    _both(run)


@needs_torch
def test_stack_mixed_dtypes_and_partial_requires_grad_match_torch():
    def run(lib):
        xs = _leaves(lib, [(3,)] * 4, ["float32", "int64", "float64", "float16"],
                     [True, False, False, True])
        y = lib.stack(xs)
        (y * y).sum().backward()
        ints = lib.stack([lib.tensor([1, 2], dtype=lib.int32), lib.tensor([True, False])])
        halves = lib.stack([lib.tensor([1, 2]), lib.tensor([0.5, 2.0], dtype=lib.float16)])
        return [y, xs[0].grad, xs[1].grad, xs[2].grad, xs[3].grad, ints, halves]
    _both(run, rtol=1e-3, atol=1e-3)


@needs_torch
def test_stack_out_matches_torch():
    def run(lib):
        xs = _leaves(lib, [(2, 2)] * 3, grads=[False] * 3)
        out = lib.empty(0, dtype=lib.float64)
        returned = lib.stack(xs, 1, out=out)
        assert returned is out
        return [out]
    _both(run)


@needs_torch
def test_stack_double_backward_matches_torch():
    def run(lib):
        a, b = _leaves(lib, [(2, 3), (2, 3)])
        y = lib.stack([a * a, b * a], -2)
        (ga,) = lib.autograd.grad((y ** 3).sum(), [a], create_graph=True)
        (ga * ga).sum().backward()
        return [ga, a.grad, b.grad]
    _both(run)


def test_stack_shape_mismatch_names_the_shapes():
    with pytest.raises(RuntimeError, match=r"stack: .*\(2,\).*\(3,\)"):
        tg.stack([tg.zeros(2), tg.zeros(3)])


@needs_torch
@pytest.mark.parametrize("name", ["hstack", "vstack", "dstack", "column_stack", "row_stack"])
@pytest.mark.parametrize("shapes", [[()] * 3, [(4,)] * 3, [(0,)] * 2, [(2, 3)] * 3,
                                    [(2, 3, 2)] * 2, [(3,), ()], [(), (1,)], [(1, 2), (2,)],
                                    [(2, 3), (2, 1)]])
def test_h_v_d_column_stacks_match_torch(name, shapes):
    def run(lib):
        xs = _leaves(lib, shapes, seed=3)
        try:
            y = getattr(lib, name)([x * 2 for x in xs])
        except RuntimeError:
            return ["error"]
        weights = lib.tensor(np.arange(y.numel(), dtype=np.float64).reshape(tuple(y.shape)))
        (y * weights).sum().backward()
        return [y] + [x.grad for x in xs]
    ours, theirs = run(tg), run(torch)
    if "error" in (ours[0], theirs[0]):
        assert isinstance(ours[0], str) and isinstance(theirs[0], str)
        return
    for a, b in zip(ours, theirs):
        _close(a, b)


@needs_torch
@pytest.mark.parametrize("name", ["hstack", "vstack", "dstack", "column_stack"])
def test_h_v_d_column_stacks_mixed_dtypes_and_out_match_torch(name):
    def run(lib):
        xs = [lib.tensor([1, 2]), lib.tensor([0.5, 1.5], dtype=lib.float32)]
        out = lib.empty(0, dtype=lib.float32)
        getattr(lib, name)(xs, out=out)
        return [getattr(lib, name)(xs), out]
    _both(run)
