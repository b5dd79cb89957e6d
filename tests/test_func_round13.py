"""Round 13 of torch.func and torch.utils.checkpoint against PyTorch: pytrees (dicts, tuples,
lists) through jacrev/jacfwd/hessian/vjp/jvp/vmap/linearize, zero gradients of outputs that
do not depend on the inputs, vmap's randomness modes, and a checkpoint that recomputes.

Each test runs the same code on tinygrad_np and (when installed) on PyTorch and checks both
against values worked out by hand, so it fails on either side."""

from __future__ import annotations

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
