"""Round 18: the in-place and out= families against PyTorch 2.13 (the oracle)."""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pytest

import tinygrad_np as tg

torch = pytest.importorskip("torch")
torch.set_num_threads(1)

F32 = [[1.5, 0.25], [3.0, 4.0]]
G32 = [[2.0, 1.0], [1.0, 2.0]]
OUT_DTYPES = ["float64", "float16", "int64", "int32", "uint8", "bool", "float32"]


def _outcome(lib, shape, call, out_dtype):
    """('ok', values) when call(lib, out) writes into out (and returns it), else 'error'."""
    out = lib.zeros(shape, dtype=getattr(lib, out_dtype))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            returned = call(lib, out)
    except RuntimeError:
        return ("error",)
    assert returned is out
    return ("ok", np.asarray(out.double().tolist()).round(3).tolist())


OUT_CALLS = {
    "clamp_numbers": lambda L, o: L.clamp(L.tensor(F32), 0.5, 3.0, out=o),
    "clamp_min_number": lambda L, o: L.clamp(L.tensor(F32), min=0.5, out=o),
    "clip_number": lambda L, o: L.clip(L.tensor(F32), 0.5, 3.0, out=o),
    "clamp_tensor_bound": lambda L, o: L.clamp(L.tensor(F32), L.tensor(G32), out=o),
    "clamp_min_tensor": lambda L, o: L.clamp_min(L.tensor(F32), L.tensor(G32), out=o),
    "clamp_int_float_bound": lambda L, o: L.clamp(L.tensor([[1, 2], [3, 4]]), 0.5, out=o),
    "clamp_int_int_bounds": lambda L, o: L.clamp(L.tensor([[1, 2], [3, 4]]), 0, 3, out=o),
    "lerp_number_weight": lambda L, o: L.lerp(L.tensor(F32), L.tensor(G32), 0.5, out=o),
    "lerp_tensor_weight": lambda L, o: L.lerp(L.tensor(F32), L.tensor(G32), L.tensor(G32),
                                             out=o),
    "max_full": lambda L, o: L.max(L.tensor(F32), out=o),
    "max_int_full": lambda L, o: L.max(L.tensor([[1, 2], [3, 4]]), out=o),
    "max_elementwise": lambda L, o: L.max(L.tensor(F32), L.tensor(G32), out=o),
    "min_full": lambda L, o: L.min(L.tensor(F32), out=o),
    "bmm": lambda L, o: L.bmm(L.tensor([F32]), L.tensor([G32]), out=o),
    "mv": lambda L, o: L.mv(L.tensor(F32), L.tensor(G32[0]), out=o),
    "vdot": lambda L, o: L.vdot(L.tensor(F32[0]), L.tensor(G32[0]), out=o),
    "isin": lambda L, o: L.isin(L.tensor(F32), L.tensor(G32), out=o),
    "take_along_dim_int": lambda L, o: L.take_along_dim(
        L.tensor([[1, 2], [3, 4]]), L.tensor([[1, 0], [0, 1]]), 1, out=o),
    "addr": lambda L, o: L.addr(L.tensor(F32), L.tensor(G32[0]), L.tensor(F32[1]), out=o),
    "addmv": lambda L, o: L.addmv(L.tensor(G32[0]), L.tensor(F32), L.tensor(G32[1]),
                                  out=o),
    "baddbmm": lambda L, o: L.baddbmm(L.tensor([G32]), L.tensor([F32]), L.tensor([G32]),
                                      out=o),
    "addbmm": lambda L, o: L.addbmm(L.tensor(G32), L.tensor([F32]), L.tensor([G32]), out=o),
}


SHAPES = {"max_full": (), "max_int_full": (), "min_full": (), "vdot": (), "mv": (2,),
          "addmv": (2,), "bmm": (1, 2, 2), "baddbmm": (1, 2, 2)}


@pytest.mark.parametrize("out_dtype", OUT_DTYPES)
@pytest.mark.parametrize("name", sorted(OUT_CALLS))
def test_out_dtype_rule_matches_torch(name, out_dtype):
    """Which out= dtypes each op takes (cast) or refuses, as PyTorch's overloads do."""
    shape = SHAPES.get(name, (2, 2))
    expected = _outcome(torch, shape, OUT_CALLS[name], out_dtype)
    assert _outcome(tg, shape, OUT_CALLS[name], out_dtype) == expected


GRAD_CALLS = {
    "eq": lambda L, x, y, o: L.eq(x, y, out=o),
    "gt": lambda L, x, y, o: L.gt(x, y, out=o),
    "logical_and": lambda L, x, y, o: L.logical_and(x, y, out=o),
    "add": lambda L, x, y, o: L.add(x, y, out=o),
    "maximum": lambda L, x, y, o: L.maximum(x, y, out=o),
    "bitwise_and": lambda L, x, y, o: L.bitwise_and(x.long(), y.long(), out=o),
}


@pytest.mark.parametrize("where", ["input", "out"])
@pytest.mark.parametrize("name", sorted(GRAD_CALLS))
def test_out_with_requires_grad_as_torch(name, where):
    """out= refuses a graph ("don't support automatic differentiation") only where PyTorch
    does: a comparison's bool result may fill an out that requires grad."""
    outcomes = []
    for lib in (torch, tg):
        x = lib.tensor([1.5, 2.0], requires_grad=where == "input")
        y = lib.tensor([1.0, 2.0])
        out = lib.zeros(2, requires_grad=where == "out")
        try:
            returned = GRAD_CALLS[name](lib, x, y, out)
            outcomes.append(("ok", returned is out, out.tolist()))
        except RuntimeError as error:
            assert "automatic differentiation" in str(error)
            outcomes.append(("error",))
    assert outcomes[0] == outcomes[1]


def _old_style_adam(lib, steps=3):
    """A pre-1.5 Adam step as old repositories write it (scale-first overloads)."""
    gen = np.random.default_rng(0)
    w = lib.tensor(gen.normal(size=(3, 2)), dtype=lib.float64, requires_grad=True)
    x = lib.tensor(gen.normal(size=(4, 3)), dtype=lib.float64)
    exp_avg, exp_avg_sq = lib.zeros_like(w), lib.zeros_like(w)
    beta1, beta2, lr = 0.9, 0.999, 0.1
    for step in range(1, steps + 1):
        loss = (x @ w).tanh().pow(2).sum()
        loss.backward()
        with lib.no_grad():
            grad = w.grad
            exp_avg.mul_(beta1).add_(1 - beta1, grad)
            exp_avg_sq.mul_(beta2).addcmul_(1 - beta2, grad, grad)
            denom = exp_avg_sq.sqrt().add_(1e-8)
            step_size = lr * (1 - beta2 ** step) ** 0.5 / (1 - beta1 ** step)
            w.addcdiv_(-step_size, exp_avg, denom)
            w.sub_(0.01, w.clone())  # (decoupled weight decay, old style)
            w.grad.zero_()
    return w.detach().numpy()


def test_deprecated_scale_first_overloads_run_old_optimizer_code():
    """`add_(Number, Tensor)`, `sub_`, `addcmul_(Number, T, T)`, `addcdiv_`: still accepted
    (with PyTorch's deprecation warning), so pre-1.5 optimizer code ports unchanged."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = _old_style_adam(torch)
        got = _old_style_adam(tg)
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)


SCALE_FIRST = [
    "a.add(0.5, b)", "a.sub(0.5, b)", "L.add(a, 2, b)", "L.sub(a, 0.5, b)",
    "a.addcmul(0.5, b, b)", "a.addcdiv(0.5, b, b)", "L.addcmul(a, 0.5, b, b)",
    "L.addcdiv(a, -2, b, b)", "a.add_(0.5, b)", "a.sub_(2, b)", "a.addcmul_(0.5, b, b)",
    "a.addcdiv_(0.5, b, b)",
    # refused, as PyTorch: a positional scale after the tensors, two tensors, scale twice
    "a.add_(b, 2)", "a.add(b, 2)", "a.add_(b, b)", "a.addcmul_(b, b, 2)",
    "a.addcmul(b, b, 0.5)", "a.add_(0.5, b, alpha=2)",
]


@pytest.mark.parametrize("expression", SCALE_FIRST)
def test_scale_first_overload_matches_torch(expression, monkeypatch):
    outcomes = []
    for L in (torch, tg):  # noqa: N806 (the library, as in the expressions)
        a, b = L.tensor([1.0, 2.0]), L.tensor([3.0, 4.0])
        monkeypatch.setattr(sys.modules["tinygrad_np.tensor"], "_scale_first_warned", False)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                result = eval(expression, {}, {"a": a, "b": b, "L": L})  # noqa: S307
            except TypeError:
                outcomes.append("TypeError")
                continue
        assert any("deprecated" in str(w.message) for w in caught) or L is torch
        outcomes.append((result.tolist(), a.tolist(), result is a))
    assert outcomes[0] == outcomes[1]


@pytest.mark.parametrize("call", ["sum(a, out=o)", "prod(a, out=o)", "median(a, out=o)",
                                  "logsumexp(a, out=o)", "sum(a, 0, out=o)",
                                  "prod(a, dim=1, out=o)", "mean(a, out=o)",
                                  "logsumexp(a, 1, out=o)", "sum(a, dim=(0, 1), out=o)"])
def test_whole_tensor_reductions_take_no_out_as_torch(call):
    """`torch.sum(x, out=y)` is PyTorch's TypeError (its out= forms take a dim)."""
    outcomes = []
    for L in (torch, tg):  # noqa: N806
        a, o = L.tensor([[1.0, 2.0], [3.0, 4.0]]), L.empty(0)
        try:
            returned = eval("L." + call, {}, {"L": L, "a": a, "o": o})  # noqa: S307
            outcomes.append((returned is o, o.tolist()))
        except TypeError:
            outcomes.append("TypeError")
    assert outcomes[0] == outcomes[1]


def test_set_shares_source_memory_as_torch():
    for L in (torch, tg):  # noqa: N806
        x, y = L.tensor([1.0, 2.0]), L.tensor([3.0, 4.0, 5.0])
        assert x.set_(y) is x
        y[0] = 9.0  # one memory: the write shows in x
        assert x.tolist() == [9.0, 4.0, 5.0]
        assert tuple(x.set_().shape) == (0,)


def test_set_refusals_as_torch():
    for L in (torch, tg):  # noqa: N806
        leaf = L.tensor([1.0, 2.0], requires_grad=True)
        with pytest.raises(RuntimeError, match="leaf Variable"):
            leaf.set_(L.tensor([3.0]))
        with L.no_grad():
            leaf.set_(L.tensor([3.0, 4.0, 5.0]))
        (leaf * 2).sum().backward()
        assert leaf.grad.tolist() == [2.0, 2.0, 2.0]
        with pytest.raises(RuntimeError, match="(?i)set"):
            L.tensor([1, 2]).set_(L.tensor([1.0]))


@pytest.mark.parametrize("name", ["logical_and_", "logical_or_", "logical_xor_",
                                  "logical_not_"])
def test_logical_in_place_on_a_result_as_torch(name):
    """The values change, the graph keeps the old op (PyTorch's gradient), self returned."""
    outcomes = []
    for L in (torch, tg):  # noqa: N806
        x = L.tensor([[0.5, 0.0, 2.0]], dtype=L.float64, requires_grad=True)
        h = x * 1.5
        args = () if name == "logical_not_" else (L.tensor([[1.0, 1.0, 0.0]], dtype=L.float64),)
        assert getattr(h, name)(*args) is h
        (h * h).sum().backward()
        outcomes.append((h.tolist(), h.is_leaf, x.grad.tolist()))
    assert outcomes[0] == outcomes[1]


@pytest.mark.parametrize("name, args", [("sort", ()), ("topk", (2,)), ("kthvalue", (1,)),
                                        ("mode", (1,)), ("cummax", (1,)), ("max", (1,))])
def test_tuple_out_returns_named_tuple_of_the_outs(name, args):
    """`torch.sort(x, out=(v, i)).values is v`, as PyTorch's named (values, indices)."""
    for L in (torch, tg):  # noqa: N806
        x = L.tensor([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]])
        values, indices = L.empty(0), L.empty(0, dtype=L.int64)
        result = getattr(L, name)(x, *args, out=(values, indices))
        assert result.values is values and result.indices is indices
        expected = getattr(torch, name)(torch.tensor(x.tolist()), *args)
        assert values.tolist() == expected.values.tolist()
        assert indices.tolist() == expected.indices.tolist()
