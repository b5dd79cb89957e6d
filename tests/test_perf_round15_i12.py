"""Round 15 performance fixes (implementer i12): the results (values, dtypes, gradients) the
faster paths give, against PyTorch where installed and fixed values otherwise. No timings are
asserted: these tests check that the fast paths compute the same thing as before.

Split/chunk/unbind/tensor_split/iteration with many pieces (cut through a tree of slices)."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch not installed")
VALUES = np.random.default_rng(0).standard_normal((37, 3))


def _np(value):
    return value.detach().numpy() if hasattr(value, "detach") else np.asarray(value)


def _weights(count: int, shape: tuple) -> list:
    """A different weight per piece, so a gradient landing in the wrong piece shows."""
    return [np.full(shape, i + 1.0) for i in range(count)]


# ------------------------------------------------- split, chunk, unbind: many pieces, backward
CUTS = {
    "split(2)": lambda L, x: x.split(2),
    "split(1, dim=1)": lambda L, x: x.split(1, dim=1),
    "split(sizes)": lambda L, x: x.split([1, 2, 3, 4, 5, 6, 7, 8, 1]),
    "chunk(20)": lambda L, x: x.chunk(20),
    "unbind(0)": lambda L, x: x.unbind(0),
    "unbind(-1)": lambda L, x: x.t().unbind(-1),
    "iteration": lambda L, x: tuple(x),
    "tensor_split(11)": lambda L, x: L.tensor_split(x, 11),
    "tensor_split(indices)": lambda L, x: L.tensor_split(x, [1, 2, 3, 5, 8, 13, 21, 30, 31, 36]),
    "tensor_split(unordered)": lambda L, x: L.tensor_split(x, [5, 2, 9, 40, 1, 3, 4, 6, 7, 8]),
    "hsplit(3)": lambda L, x: L.hsplit(x, 3),
}


def _cut_and_backward(L, name):
    x = L.tensor(VALUES, dtype=L.float64, requires_grad=True)
    pieces = CUTS[name](L, x)
    weights = _weights(len(pieces), ())
    total = sum((piece * float(w)).sum() for piece, w in zip(pieces, weights))
    total.backward()
    return [_np(piece) for piece in pieces], _np(x.grad)


@needs_torch
@pytest.mark.parametrize("name", CUTS)
def test_many_pieces_values_and_gradients_match_torch(name):
    mine, grad = _cut_and_backward(tg, name)
    theirs, their_grad = _cut_and_backward(torch, name)
    assert len(mine) == len(theirs)
    for a, b in zip(mine, theirs):
        assert a.shape == b.shape and a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(grad, their_grad, rtol=0, atol=1e-12)


def test_many_pieces_gradient_fixed_values():
    # split(2) of 37 rows: row r is in piece r // 2, which weighs r // 2 + 1
    _, grad = _cut_and_backward(tg, "split(2)")
    expected = np.repeat((np.arange(37) // 2 + 1.0)[:, None], 3, axis=1)
    np.testing.assert_array_equal(grad, expected)
    _, grad = _cut_and_backward(tg, "unbind(0)")
    np.testing.assert_array_equal(grad, np.repeat(np.arange(1.0, 38.0)[:, None], 3, axis=1))


def test_only_some_pieces_used_and_unused_rows_get_zero():
    x = tg.tensor(VALUES, requires_grad=True)
    pieces = x.split(1)
    (pieces[3].sum() * 2 + pieces[30].sum()).backward()
    expected = np.zeros((37, 3))
    expected[3], expected[30] = 2, 1
    np.testing.assert_array_equal(x.grad.numpy(), expected)
    (g,) = tg.autograd.grad(pieces[17].sum(), x)  # one piece alone, again (graph kept)
    np.testing.assert_array_equal(g.numpy(), np.eye(37)[17][:, None].repeat(3, 1))


def test_many_pieces_are_views_of_the_input():
    x = tg.tensor(VALUES.copy(), requires_grad=True)
    pieces = x.unbind(0)
    assert all(piece._data.base is x._data.base or piece._data.base is x._data
               for piece in pieces)
    with tg.no_grad():
        x[20] = 7.0
    np.testing.assert_array_equal(pieces[20].detach().numpy(), [7.0] * 3)
    assert pieces[20]._version == x._version


def test_many_pieces_refuse_in_place_writes_as_multi_output_views():
    x = tg.tensor(VALUES.copy(), requires_grad=True)
    y = x * 1
    for pieces in (y.split(1), y.unbind(0), y.chunk(30)):
        with pytest.raises(RuntimeError, match="multiple views"):
            pieces[15].add_(1)


@needs_torch
def test_many_pieces_second_derivative_matches_torch():
    def run(L):
        x = L.tensor(VALUES, dtype=L.float64, requires_grad=True)
        total = sum((piece ** 3).sum() * (i + 1) for i, piece in enumerate(x.split(3)))
        (g,) = L.autograd.grad(total, x, create_graph=True)
        (h,) = L.autograd.grad((g * g).sum(), x)
        return _np(g), _np(h)

    for a, b in zip(run(tg), run(torch)):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_many_pieces_under_no_grad_and_integer_tensors():
    x = tg.tensor(VALUES, requires_grad=True)
    with tg.no_grad():
        pieces = x.split(1)
    assert not any(piece.grad_fn for piece in pieces)
    ints = tg.arange(40).reshape(20, 2)
    rows = ints.unbind(0)
    assert [r.tolist() for r in rows] == [[2 * i, 2 * i + 1] for i in range(20)]


# ------------------------------------------- Sequential: indexing and len() follow every change
def _sequential_ops(L):
    """The same edits on a Sequential, with names and len() noted after each."""
    nn = L.nn
    m = nn.Sequential(*[nn.Linear(1, 1) for _ in range(12)])
    seen = []

    def note():
        seen.append((len(m), [type(layer).__name__ for layer in m],
                     [m[i] is layer for i, layer in enumerate(m)], list(dict(m.named_children()))))

    note()
    m.append(nn.ReLU())
    note()
    m.extend([nn.Tanh(), nn.Sigmoid()])
    note()
    m[3] = nn.Identity()
    note()
    m.insert(2, nn.GELU())
    note()
    del m[5]
    note()
    m.pop(0)
    note()
    m.extra = nn.ELU()  # a module attribute by name joins at the end
    note()
    m.extra = nn.SiLU()  # replaced in place
    note()
    m.flag = 3  # a plain attribute is no layer
    note()
    del m.extra
    note()
    m._modules["1"] = nn.Softplus()
    note()
    m.train(False)
    note()
    m += nn.Sequential(nn.Mish())
    note()
    return seen


@needs_torch
def test_sequential_edits_match_torch():
    assert _sequential_ops(tg) == _sequential_ops(torch)


def test_sequential_edits_fixed_values():
    seen = _sequential_ops(tg)
    assert [entry[0] for entry in seen] == [12, 13, 15, 15, 16, 15, 14, 15, 15, 15, 14, 14, 14, 15]
    assert seen[-1][1][:3] == ["Linear", "Softplus", "Linear"] and seen[-1][1][-1] == "Mish"
    assert all(all(same) for _, _, same, _ in seen)


def test_sequential_index_after_deepcopy_and_pickle():
    import copy
    import pickle

    m = tg.nn.Sequential(*[tg.nn.Linear(1, 1) for _ in range(10)])
    assert len(m) == 10  # (the table built before copying)
    for other in (copy.deepcopy(m), pickle.loads(pickle.dumps(m))):
        assert len(other) == 10 and other[3] is not m[3]
        assert [layer.weight.item() for layer in other] == [layer.weight.item() for layer in m]
        other.append(tg.nn.ReLU())
        assert len(other) == 11 and len(m) == 10 and isinstance(other[-1], tg.nn.ReLU)


def test_sequential_vars_written_directly_are_seen():
    m = tg.nn.Sequential(tg.nn.ReLU(), tg.nn.Tanh())
    assert len(m) == 2
    vars(m)["2"] = tg.nn.Sigmoid()  # behind setattr's back
    assert len(m) == 3 and isinstance(m[2], tg.nn.Sigmoid)


# ------------------------------------------------- register_hook: many hooks, order and removal
def _hook_order(L):
    calls = []

    def hook(label):
        def record(grad):
            calls.append(label)
            return grad * 2 if label.startswith("double") else None
        return record

    x = L.tensor([1.0, 2.0], dtype=L.float64, requires_grad=True)
    y = x * 3
    handles = [y.register_hook(hook(f"t{i}")) for i in range(40)]
    y.grad_fn.register_prehook(lambda grads: calls.append("pre") or None)
    handles.append(y.register_hook(hook("double-after-pre")))  # still before the prehook
    for handle in handles[5:35]:
        handle.remove()
    y.register_hook(hook("last"))
    leaf = [x.register_hook(hook(f"leaf{i}")) for i in range(30)]
    leaf[0].remove()
    x.register_hook(hook("double-leaf"))
    y.sum().backward()
    return calls, _np(x.grad)


@needs_torch
def test_hook_order_and_removal_match_torch():
    mine, theirs = _hook_order(tg), _hook_order(torch)
    assert mine[0] == theirs[0]
    np.testing.assert_array_equal(mine[1], theirs[1])


def test_hook_order_fixed_values():
    calls, grad = _hook_order(tg)
    expected = ([f"t{i}" for i in (0, 1, 2, 3, 4, 35, 36, 37, 38, 39)]
                + ["double-after-pre", "last", "pre"]
                + [f"leaf{i}" for i in range(1, 30)] + ["double-leaf"])
    assert calls == expected
    np.testing.assert_array_equal(grad, [12.0, 12.0])


def test_hook_added_by_a_hook_runs_from_the_next_pass():  # (as PyTorch 2.13)
    x = tg.tensor([1.0], requires_grad=True)
    calls = []

    def first(grad):
        calls.append("first")
        if len(calls) == 1:
            x.register_hook(lambda g: calls.append("added") or None)

    x.register_hook(first)
    (x * 2).sum().backward()
    assert calls == ["first"]
    (x * 2).sum().backward()
    assert calls == ["first", "first", "added"]


# -------------------------------------- get_submodule / get_parameter / get_buffer by the path
def _tree(L):
    nn = L.nn
    m = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    m.blocks = nn.ModuleList([nn.Linear(2, 2) for _ in range(12)])
    m.heads = nn.ModuleDict({"left": nn.Linear(2, 1), "right": nn.Linear(2, 1)})
    m.scales = nn.ParameterList([nn.Parameter(L.ones(2)) for _ in range(3)])
    return m


LOOKUPS = [("get_submodule", t) for t in ("0", "1", "blocks", "blocks.11", "heads.right",
                                          "foo", "0.weight", "0.foo", "blocks.12", "heads.up",
                                          "heads.left.bias", "scales")] + \
    [("get_parameter", t) for t in ("0.weight", "blocks.3.bias", "heads.left.weight",
                                    "scales.2", "1.running_mean", "0.foo", "blocks.40.weight",
                                    "weight")] + \
    [("get_buffer", t) for t in ("1.running_mean", "1.num_batches_tracked", "0.weight",
                                 "3.x", "1.foo")]


def _lookup(L, method, target):
    m = _tree(L)
    try:
        found = getattr(m, method)(target)
    except AttributeError as error:
        return "error", str(error)
    names = {id(v): k for k, v in [*m.named_modules(), *m.named_parameters(),
                                   *m.named_buffers()]}
    return "found", names.get(id(found))


@needs_torch
@pytest.mark.parametrize(("method", "target"), LOOKUPS)
def test_lookups_by_path_match_torch(method, target):
    assert _lookup(tg, method, target) == _lookup(torch, method, target)


def test_lookups_by_path_fixed_values():
    assert _lookup(tg, "get_parameter", "blocks.3.bias") == ("found", "blocks.3.bias")
    assert _lookup(tg, "get_submodule", "heads.right") == ("found", "heads.right")
    assert _lookup(tg, "get_submodule", "foo") == ("error", "Sequential has no attribute `foo`")
    assert _lookup(tg, "get_buffer", "0.weight") == ("error", "`weight` is not a buffer")
    # a module in a plain list attribute (this library's tree walk): found by its name
    m = tg.nn.Module()
    m.layers = [tg.nn.Linear(1, 1), tg.nn.Linear(1, 1)]
    assert m.get_submodule("layers.1") is m.layers[1]
    assert m.get_parameter("layers.1.weight") is m.layers[1].weight


@needs_torch
def test_functional_call_many_layers_matches_torch():
    def run(L):
        L.manual_seed(0)
        m = L.nn.Sequential(*[L.nn.Linear(3, 3, dtype=L.float64) for _ in range(30)])
        params = {k: L.tensor(np.full(v.shape, 0.1), dtype=L.float64, requires_grad=True)
                  for k, v in m.named_parameters()}
        out = L.func.functional_call(m, params, (L.ones(2, 3, dtype=L.float64),))
        out.sum().backward()
        return _np(out), _np(params["17.weight"].grad)

    for a, b in zip(run(tg), run(torch)):
        np.testing.assert_allclose(a, b, rtol=1e-12)
