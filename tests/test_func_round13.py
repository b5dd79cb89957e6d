"""Round 13 of torch.func and torch.utils.checkpoint against PyTorch: pytrees (dicts, tuples,
lists) through jacrev/jacfwd/hessian/vjp/jvp/vmap/linearize, zero gradients of outputs that
do not depend on the inputs, vmap's randomness modes, and a checkpoint that recomputes.

Each test runs the same code on tinygrad_np and (when installed) on PyTorch and checks both
against values worked out by hand, so it fails on either side."""

from __future__ import annotations

import contextlib

import numpy as np
import pytest

import tinygrad_np as tg

try:
    import torch
except ImportError:
    torch = None

LIBS = [tg] if torch is None else [tg, torch]
# torch.func's forward mode (jacfwd, jvp, hessian, linearize) warns from inside torch
pytestmark = [pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated"),
              pytest.mark.filterwarnings("ignore:Attempted to insert a get_attr Node")]

A = np.array([0.5, -1.5], dtype=np.float32)
B = np.array([2.0, 0.25], dtype=np.float32)
X = np.array([0.3, -0.7, 1.1], dtype=np.float32)
W = np.array([[0.2, -0.4, 0.6], [1.0, 0.5, -0.3]], dtype=np.float32)
M = np.arange(6, dtype=np.float32).reshape(2, 3) - 2


def _np(value):
    return value.detach().numpy() if hasattr(value, "detach") else np.asarray(value)


def _close(got, want):
    np.testing.assert_allclose(_np(got), want, rtol=1e-5, atol=1e-6)


def _linear(lib):
    model = lib.nn.Linear(3, 2)
    with lib.no_grad():
        model.weight.copy_(lib.tensor(W))
        model.bias.copy_(lib.tensor(B))
    return model


# ----------------------------------------------------------------- pytrees
@pytest.mark.parametrize("lib", LIBS)
def test_jacrev_of_functional_call_gives_a_dict_of_jacobians(lib):
    model = _linear(lib)
    params = dict(model.named_parameters())

    def f(p, x):
        return lib.func.functional_call(model, p, (x,))

    jac = lib.func.jacrev(f)(params, lib.tensor(X))
    assert type(jac) is dict and list(jac) == ["weight", "bias"]
    # y_i = sum_k W_ik x_k + b_i: dy_i/dW_jk = delta_ij x_k, dy_i/db_j = delta_ij
    _close(jac["weight"], np.einsum("ij,k->ijk", np.eye(2), X))
    _close(jac["bias"], np.eye(2))
    # the NTK pattern: one Jacobian per sample under vmap
    batch = lib.tensor(np.stack([X, 2 * X]))
    per_sample = lib.func.vmap(lib.func.jacrev(f), in_dims=(None, 0))(params, batch)
    assert tuple(per_sample["weight"].shape) == (2, 2, 2, 3)
    _close(per_sample["weight"][1], np.einsum("ij,k->ijk", np.eye(2), 2 * X))
    _close(per_sample["bias"], np.broadcast_to(np.eye(2), (2, 2, 2)))


@pytest.mark.parametrize("lib", LIBS)
def test_hessian_of_a_dict_is_a_dict_of_dicts(lib):
    hess = lib.func.hessian(lambda d: (d["a"] ** 2 * d["b"]).sum())(
        {"a": lib.tensor(A), "b": lib.tensor(B)})
    assert list(hess) == ["a", "b"] and list(hess["a"]) == ["a", "b"]
    _close(hess["a"]["a"], np.diag(2 * B))
    _close(hess["a"]["b"], np.diag(2 * A))
    _close(hess["b"]["a"], np.diag(2 * A))
    _close(hess["b"]["b"], np.zeros((2, 2)))


@pytest.mark.parametrize("lib", LIBS)
def test_jacrev_and_jacfwd_of_dict_and_tuple_outputs(lib):
    x = lib.tensor(X)
    for transform in (lib.func.jacrev, lib.func.jacfwd):
        jac = transform(lambda t: {"o": t.sin(), "p": t.sum()})(x)
        assert list(jac) == ["o", "p"]
        _close(jac["o"], np.diag(np.cos(X)))
        _close(jac["p"], np.ones(3))
        # argnums a tuple: per output, a tuple over the arguments
        jac = transform(lambda s, t: (s * t, [t]), argnums=(0, 1))(x, 2 * x)
        assert type(jac) is tuple and type(jac[1]) is list and type(jac[1][0]) is tuple
        _close(jac[0][0], np.diag(2 * X))
        _close(jac[0][1], np.diag(X))
        _close(jac[1][0][0], np.zeros((3, 3)))
        _close(jac[1][0][1], np.eye(3))
        jac, aux = transform(lambda d: (d["a"] * d["b"], {"n": d["a"].sum()}),
                             has_aux=True)({"a": lib.tensor(A), "b": lib.tensor(B)})
        _close(jac["a"], np.diag(B))
        _close(aux["n"], A.sum())


@pytest.mark.parametrize("lib", LIBS)
def test_vjp_with_tuple_list_and_dict_outputs_and_inputs(lib):
    x, v = lib.tensor(X), lib.tensor(np.ones(3, dtype=np.float32))
    _, vjp_fn = lib.func.vjp(lambda t: (t * 2, t * 3), x)
    (found,) = vjp_fn((v, v))
    _close(found, np.full(3, 5.0))
    _, vjp_fn = lib.func.vjp(lambda t: [t * 2, {"q": t * t}], x)
    _close(vjp_fn([v, {"q": v}])[0], 2 + 2 * X)
    with pytest.raises(RuntimeError, match="pytree structure of cotangents"):
        vjp_fn((v, {"q": v}))  # a tuple where the output was a list
    a, b = lib.tensor(A), lib.tensor(B)
    out, vjp_fn = lib.func.vjp(lambda d: d["a"] * d["b"], {"a": a, "b": b})
    (found,) = vjp_fn(lib.tensor(np.ones(2, dtype=np.float32)))
    assert list(found) == ["a", "b"]
    _close(found["a"], B)
    _close(found["b"], A)
    with pytest.raises(RuntimeError, match="Mismatch in shape"):
        vjp_fn(lib.tensor(np.ones(3, dtype=np.float32)))


@pytest.mark.parametrize("lib", LIBS)
def test_jvp_and_linearize_with_dict_primals(lib):
    a, b = lib.tensor(A), lib.tensor(B)
    out, product = lib.func.jvp(lambda d: d["a"] * d["b"], ({"a": a, "b": b},),
                                ({"a": a, "b": b},))
    _close(out, A * B)
    _close(product, 2 * A * B)  # d(ab) = a' b + a b' with a' = a, b' = b
    out, product = lib.func.jvp(lambda s: {"y": s * s}, (a,), (b,))
    _close(product["y"], 2 * A * B)
    out, jvp_fn = lib.func.linearize(lambda d: d["a"] * d["b"], {"a": a, "b": b})
    _close(jvp_fn({"a": b, "b": a}), B * B + A * A)


@pytest.mark.parametrize("lib", LIBS)
def test_vmap_nested_in_dims_and_dict_inputs(lib):
    m, x = lib.tensor(M), lib.tensor(X)
    _close(lib.func.vmap(lambda p: p[0] * p[1], in_dims=((0, None),))((m, x)), M * X)
    _close(lib.func.vmap(lambda p: p[0] * p[1], in_dims=((None, 0),))((x, m)), M * X)
    _close(lib.func.vmap(lambda d: d["a"] * d["b"], in_dims=({"a": 0, "b": None},))(
        {"a": m, "b": x}), M * X)
    _close(lib.func.vmap(lambda d: d["a"] * d["b"])({"a": m, "b": m}), M * M)


@pytest.mark.parametrize("lib", LIBS)
def test_outputs_that_do_not_depend_on_the_inputs_have_zero_derivatives(lib):
    x = lib.tensor(X)
    _close(lib.func.grad(lambda t: lib.tensor(1.0))(x), np.zeros(3))
    _close(lib.func.jacrev(lambda t: lib.tensor([1.0, 2.0]))(x), np.zeros((2, 3)))
    _close(lib.func.vjp(lambda t: lib.ones(2), x)[1](lib.ones(2))[0], np.zeros(3))
    _close(lib.func.jvp(lambda t: lib.ones(2), (x,), (x,))[1], np.zeros(2))
    # (zeros, not -0.0: signs of x do not leak in)
    assert not np.signbit(_np(lib.func.grad(lambda t: lib.tensor(1.0))(-x))).any()


@pytest.mark.parametrize("lib", LIBS)
def test_jacrev_chunk_size_jacfwd_randomness_and_their_errors(lib):
    x = lib.tensor(X)
    _close(lib.func.jacrev(lambda t: t.sin(), chunk_size=1)(x), np.diag(np.cos(X)))
    _close(lib.func.jacfwd(lambda t: t.sin(), randomness="same")(x), np.diag(np.cos(X)))
    with pytest.raises(RuntimeError, match=r"^jvp\(f, primals, tangents\): expected f"):
        lib.func.jacfwd(lambda t: 3)(x)
    with pytest.raises(RuntimeError, match=r"^vjp\(f, \*primals\): expected f"):
        lib.func.jacrev(lambda t: 3)(x)
    with pytest.raises(ValueError, match="Expected primal to be floating point"):
        lib.func.jacfwd(lambda t: t)(lib.arange(3))
    with pytest.raises(RuntimeError, match="floating point dtype can require gradients"):
        lib.func.jacrev(lambda t: t)(lib.arange(3))
    with pytest.raises(RuntimeError, match="Got argnum=2, but only 1 positional inputs"):
        lib.func.jacfwd(lambda t: t, argnums=2)(x)
    with pytest.raises(RuntimeError, match="argnums elements must be unique"):
        lib.func.jacrev(lambda t: t, argnums=(0, 0))(x)
    with pytest.raises(RuntimeError, match=r"^jvp.*should be a tuple: \(output, aux\)"):
        lib.func.jacfwd(lambda t: t.sum(), has_aux=True)(x)


@pytest.mark.parametrize("lib", LIBS)
def test_replace_all_batch_norm_modules_and_functionalize(lib):
    model = lib.nn.Sequential(lib.nn.BatchNorm1d(3), lib.nn.Linear(3, 2),
                              lib.nn.Sequential(lib.nn.BatchNorm2d(2)))
    assert lib.func.replace_all_batch_norm_modules_(model) is model
    for norm in (model[0], model[2][0]):
        assert norm.track_running_stats is False
        assert norm.running_mean is None and norm.running_var is None
        assert norm.num_batches_tracked is None
    assert list(dict(model.named_buffers())) == []
    model.eval()  # batch statistics, also in eval
    _close(model[0](lib.tensor(M)).mean(0), np.zeros(3))

    def f(t):
        return t * 2

    _close(lib.func.functionalize(f)(lib.tensor(X)), 2 * X)


# ----------------------------------------------------------------- vmap's randomness
RANDOM_OPS = {
    "randn": lambda lib, t: t + lib.randn(3),
    "rand": lambda lib, t: t + lib.rand(3),
    "randint": lambda lib, t: t + lib.randint(0, 5, (3,)),
    "randn_like": lambda lib, t: lib.randn_like(t),
    "dropout": lambda lib, t: lib.nn.functional.dropout(t, 0.5, training=True),
    "Dropout": lambda lib, t: lib.nn.Dropout(0.5)(t),
    "bernoulli": lambda lib, t: lib.bernoulli(t.sigmoid()),
    "multinomial": lambda lib, t: lib.multinomial(t.exp(), 2),
    "normal": lambda lib, t: lib.normal(t, 1.0),
    "randperm": lambda lib, t: t + lib.randperm(3),
    "normal_": lambda lib, t: lib.empty(3).normal_(),
    "generator": lambda lib, t: t + lib.randn(3, generator=lib.Generator().manual_seed(1)),
}
ERROR = "vmap: called random operation while in randomness error mode"


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("op", sorted(RANDOM_OPS))
def test_vmap_randomness_error_is_the_default(lib, op):
    batch = lib.tensor(M)
    with pytest.raises(RuntimeError, match=ERROR):
        lib.func.vmap(lambda t: RANDOM_OPS[op](lib, t))(batch)
    with pytest.raises(RuntimeError, match=ERROR):
        lib.func.vmap(lambda t: RANDOM_OPS[op](lib, t), randomness="error")(batch)
    RANDOM_OPS[op](lib, batch[0])  # outside vmap: fine


@pytest.mark.parametrize("lib", LIBS)
def test_vmap_randomness_same_and_different(lib):
    batch = lib.tensor(np.zeros((4, 3), dtype=np.float32))
    lib.manual_seed(0)
    same = _np(lib.func.vmap(lambda t: t + lib.randn(3), randomness="same")(batch))
    assert all(np.array_equal(row, same[0]) for row in same)
    lib.manual_seed(0)
    assert np.array_equal(_np(lib.randn(3)), same[0])  # the generator moved on once
    different = _np(lib.func.vmap(lambda t: t + lib.randn(3), randomness="different")(batch))
    assert len({tuple(row) for row in different}) == 4
    masks = _np(lib.func.vmap(lambda t: lib.nn.functional.dropout(t + 1, 0.5),
                              randomness="same")(lib.tensor(np.zeros((3, 50), np.float32))))
    assert np.array_equal(masks[0], masks[1]) and np.array_equal(masks[0], masks[2])
    # nested: an inner 'error' raises under an outer 'different', an outer 'error' too
    grid = lib.tensor(np.zeros((2, 2, 3), dtype=np.float32))
    with pytest.raises(RuntimeError, match=ERROR):
        lib.func.vmap(lib.func.vmap(lambda t: t + lib.randn(3)), randomness="different")(grid)
    with pytest.raises(RuntimeError, match=ERROR):
        lib.func.vmap(lib.func.vmap(lambda t: t + lib.randn(3), randomness="different"))(grid)
    # dropout in eval mode draws nothing
    _close(lib.func.vmap(lambda t: lib.nn.functional.dropout(t, 0.5, training=False))(
        lib.tensor(M)), M)
    with pytest.raises(RuntimeError, match="randomness"):
        lib.func.vmap(lambda t: t, randomness="sometimes")(lib.tensor(M))


@pytest.mark.parametrize("lib", LIBS)
def test_jacfwd_randomness_error(lib):
    with pytest.raises(RuntimeError, match=ERROR):
        lib.func.jacfwd(lambda t: t * lib.randn(3))(lib.tensor(X))
    assert tuple(lib.func.jacfwd(lambda t: t * lib.randn(3), randomness="same")(
        lib.tensor(X)).shape) == (3, 3)


# ----------------------------------------------------------------- checkpoint recomputes
def _block(lib):
    lib.manual_seed(0)
    lin = lib.nn.Linear(3, 3).double()
    with lib.no_grad():
        lin.weight.copy_(lib.tensor(np.arange(9.0).reshape(3, 3) / 10 - 0.3))
        lin.bias.fill_(0.1)
    return lin, lib.nn.BatchNorm1d(3).double()


def _input(lib):
    return lib.tensor(np.linspace(-1, 1, 12).reshape(4, 3), requires_grad=True)


def _direct_gradients(lib):
    lin, norm = _block(lib)
    x = _input(lib)
    (((norm(lin(x * 1.5)).tanh() * 2) ** 2).sum()).backward()
    return _np(x.grad), _np(lin.weight.grad)


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("reentrant", [True, False])
def test_checkpoint_runs_the_function_again_in_backward(lib, reentrant):
    lin, norm = _block(lib)
    calls = []

    def f(h):
        calls.append(h.requires_grad)
        return norm(lin(h)).tanh() * 2

    x = _input(lib)
    y = lib.utils.checkpoint.checkpoint(f, x * 1.5, use_reentrant=reentrant)
    assert len(calls) == 1 and y.requires_grad
    (y ** 2).sum().backward()
    assert len(calls) == 2 and int(norm.num_batches_tracked) == 2  # as PyTorch: twice
    want_x, want_w = _direct_gradients(lib)
    _close(x.grad, want_x)
    _close(lin.weight.grad, want_w)


@pytest.mark.parametrize("lib", LIBS)
def test_checkpoint_keeps_only_the_inputs(lib):
    import gc
    import weakref

    inner = []

    def f(h):
        middle = h.exp()
        inner.append(weakref.ref(middle))
        return middle.sin()

    x = _input(lib)
    for reentrant in (True, False):
        y = lib.utils.checkpoint.checkpoint(f, x, use_reentrant=reentrant)
        gc.collect()
        assert inner[-1]() is None  # fn's intermediate value is gone after forward
        y.sum().backward()
    _close(x.grad, 2 * np.exp(_np(x)) * np.cos(np.exp(_np(x))))


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("reentrant", [True, False])
def test_checkpoint_replays_the_random_state_for_dropout(lib, reentrant):
    lib.manual_seed(3)
    x = lib.tensor(np.ones((4, 50)), requires_grad=True)
    y = lib.utils.checkpoint.checkpoint(lambda t: lib.nn.functional.dropout(t * 3, 0.5), x,
                                        use_reentrant=reentrant)
    lib.rand(7)  # the generator moves on between forward and backward
    state = _np(lib.get_rng_state())
    y.sum().backward()
    _close(x.grad, 6 * (_np(y) != 0))  # the recomputed mask is forward's
    assert np.array_equal(_np(lib.get_rng_state()), state)  # and the state is put back


@pytest.mark.parametrize("lib", LIBS)
def test_non_reentrant_checkpoint_grad_create_graph_and_double_backward(lib):
    lin, _ = _block(lib)
    x = _input(lib)

    def f(h, *, power):
        return (lin(h).tanh() ** power).sum()

    loss = lib.utils.checkpoint.checkpoint(f, x * 1.5, use_reentrant=False, power=3)
    gx, gw = lib.autograd.grad(loss, (x, lin.weight), create_graph=True)
    (gx.sum() + (gw ** 2).sum()).backward()
    lin2, _ = _block(lib)
    x2 = _input(lib)
    loss2 = (lin2(x2 * 1.5).tanh() ** 3).sum()
    gx2, gw2 = lib.autograd.grad(loss2, (x2, lin2.weight), create_graph=True)
    (gx2.sum() + (gw2 ** 2).sum()).backward()
    _close(gx, _np(gx2))
    _close(x.grad, _np(x2.grad))
    _close(lin.weight.grad, _np(lin2.weight.grad))
    _close(lin.bias.grad, _np(lin2.bias.grad))


@pytest.mark.parametrize("lib", LIBS)
def test_reentrant_checkpoint_refuses_grad_and_inputs_without_grad(lib):
    lin, _ = _block(lib)
    x = _input(lib)
    y = lib.utils.checkpoint.checkpoint(lambda h: lin(h).sum(), x, use_reentrant=True)
    with pytest.raises(RuntimeError, match="incompatible with .grad()"):
        lib.autograd.grad(y, x)
    plain = lib.tensor(np.ones((2, 3)))
    with pytest.warns(UserWarning, match="None of the inputs have requires_grad=True"):
        out = lib.utils.checkpoint.checkpoint(lin, plain, use_reentrant=True)
    assert out.requires_grad is False  # (PyTorch: although lin's weight requires grad)
    out = lib.utils.checkpoint.checkpoint(lin, plain, use_reentrant=False)
    assert out.requires_grad is True
    out.sum().backward()
    _close(lin.bias.grad, [2.0, 2.0, 2.0])
    with pytest.warns(UserWarning, match="use_reentrant parameter should be passed"):
        lib.utils.checkpoint.checkpoint(lin, x)
    with pytest.raises(ValueError, match="Unexpected keyword arguments: power"):
        lib.utils.checkpoint.checkpoint(lin, x, use_reentrant=True, power=2)


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("reentrant", [True, False])
def test_checkpoint_tuple_outputs_non_tensor_arguments_and_nesting(lib, reentrant):
    x = _input(lib)

    def f(h, scale, name):
        return h.sin() * scale, name, h.cos()

    a, name, b = lib.utils.checkpoint.checkpoint(f, x, 2.0, "n", use_reentrant=reentrant)
    assert name == "n"
    (a.sum() + (b * b).sum()).backward()
    v = _np(x)
    _close(x.grad, 2 * np.cos(v) - 2 * np.cos(v) * np.sin(v))
    x.grad = None

    def outer(h):
        return lib.utils.checkpoint.checkpoint(lambda t: t.exp(), h * h,
                                               use_reentrant=reentrant).sum()

    # (the inner reentrant one runs under the outer's no_grad: PyTorch's warning)
    with pytest.warns(UserWarning, match="None of the inputs") if reentrant else \
            contextlib.nullcontext():
        total = lib.utils.checkpoint.checkpoint(outer, x, use_reentrant=reentrant)
    total.backward()
    _close(x.grad, 2 * v * np.exp(v * v))


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("reentrant", [True, False])
def test_checkpoint_sequential_recomputes(lib, reentrant):
    calls = []

    class Count(lib.nn.Module):
        def forward(self, t):
            calls.append(1)
            return t * 2

    model = lib.nn.Sequential(Count(), lib.nn.Tanh(), Count(), Count())
    x = _input(lib)
    y = lib.utils.checkpoint.checkpoint_sequential(model, 2, x, use_reentrant=reentrant)
    assert len(calls) == 3
    y.sum().backward()
    assert len(calls) == 4  # the first segment (Count, Tanh) ran again; not the last
    _close(x.grad, 8 * (1 - np.tanh(2 * _np(x)) ** 2))


def test_checkpoint_names():
    from tinygrad_np.utils import checkpoint as ck

    assert issubclass(ck.CheckpointError, RuntimeError)
    assert [p.name for p in ck.CheckpointPolicy][:4] == [
        "MUST_SAVE", "PREFER_SAVE", "MUST_RECOMPUTE", "PREFER_RECOMPUTE"]
    with ck.set_checkpoint_debug_enabled(True):
        pass
    forward, recompute = ck.create_selective_checkpoint_contexts(
        lambda ctx, op, *args, **kwargs: ck.CheckpointPolicy.PREFER_RECOMPUTE)
    with forward, recompute:
        pass
    x = tg.ones(2, requires_grad=True)
    y = ck.checkpoint(lambda t: t * 3, x, use_reentrant=False,
                      context_fn=lambda: ck.create_selective_checkpoint_contexts([]))
    y.sum().backward()
    _close(x.grad, [3.0, 3.0])
    detached = ck.detach_variable((x, 2, tg.ones(1)))
    assert detached[0].requires_grad and detached[0].grad_fn is None and detached[1] == 2
    assert not detached[2].requires_grad
    with pytest.raises(RuntimeError, match="Only tuple of tensors is supported"):
        ck.detach_variable([x])
