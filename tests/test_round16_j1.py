"""Round 16 (j1): autograd and module differences from PyTorch 2.13 found by a probe: rules
that switched on a zero gradient (jvp), functional_call with tied weights, hooks, grad_fn
details, state_dict's positional arguments."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg

try:
    import torch
except ImportError:  # pragma: no cover
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="torch not installed")
quiet_torch_func = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torch.func's own

_RNG = np.random.default_rng(16)
_SYM = (lambda a: a + a.T)(_RNG.standard_normal((3, 3)))
_SYM_T = (lambda a: a + a.T)(_RNG.standard_normal((3, 3)))
_TALL, _TALL_T = _RNG.standard_normal((4, 3)), _RNG.standard_normal((4, 3))
_VEC, _VEC_T = _RNG.standard_normal(5), _RNG.standard_normal(5)
_POS = np.abs(_RNG.standard_normal(5)) + 0.2


def _jvp(lib, f, primal: np.ndarray, tangent: np.ndarray) -> np.ndarray:
    found = lib.func.jvp(lambda x: f(lib, x), (lib.tensor(primal),), (lib.tensor(tangent),))[1]
    return np.asarray(found.detach().numpy())


# -- 1. rules that switched on a zero gradient: jvp (the double-backward trick) ------------

_JVP_CASES = {
    "xlogy_first": (lambda t, a: t.xlogy(a, t.tensor(_POS)), _VEC, _VEC_T),
    "xlogy_second": (lambda t, b: t.xlogy(t.tensor(_VEC), b), _POS, _VEC_T),
    "xlog1py_first": (lambda t, a: t.special.xlog1py(a, t.tensor(_POS)), _VEC, _VEC_T),
    "xlogy_zero_first": (lambda t, a: t.xlogy(a * 0, t.tensor(_POS)), _VEC, _VEC_T),
    "logcumsumexp": (lambda t, x: t.logcumsumexp(x, 0), _VEC, _VEC_T),
    "eigh_vectors": (lambda t, a: t.linalg.eigh(a)[1].abs(), _SYM, _SYM_T),
    "eigh_values": (lambda t, a: t.linalg.eigh(a)[0], _SYM, _SYM_T),
    "eigvalsh_repeated": (lambda t, a: t.linalg.eigvalsh(a), np.eye(3), _SYM_T),
    "svd_u": (lambda t, a: t.linalg.svd(a, full_matrices=False)[0].abs(), _TALL, _TALL_T),
    "svd_vh": (lambda t, a: t.linalg.svd(a, full_matrices=False)[2].abs(), _TALL, _TALL_T),
    "svd_u_wide": (lambda t, a: t.linalg.svd(a, full_matrices=False)[0].abs(),
                   _TALL.T.copy(), _TALL_T.T.copy()),
    "svd_vh_wide": (lambda t, a: t.linalg.svd(a, full_matrices=False)[2].abs(),
                    _TALL.T.copy(), _TALL_T.T.copy()),
    "svdvals_zero_matrix": (lambda t, a: t.linalg.svdvals(a), np.zeros((4, 3)), _TALL_T),
}


@needs_torch
@quiet_torch_func
@pytest.mark.parametrize("name", sorted(_JVP_CASES))
def test_jvp_matches_torch(name: str) -> None:
    f, primal, tangent = _JVP_CASES[name]
    expected = _jvp(torch, f, primal, tangent)
    assert np.abs(expected).max() > 0 or name == "svdvals_zero_matrix" or "zero" in name
    np.testing.assert_allclose(_jvp(tg, f, primal, tangent), expected, rtol=1e-7, atol=1e-9)


def test_jvp_fixed_values() -> None:
    """Without torch: d/dt xlogy(a + t v, b) = v log b; logcumsumexp's tangent at 0 of a
    constant vector: cumulative means of v."""
    b = np.array([1.5, 2.0, 3.0])
    found = _jvp(tg, lambda t, a: t.xlogy(a, t.tensor(b)), np.array([0.5, 1.0, 2.0]),
                 np.ones(3))
    np.testing.assert_allclose(found, np.log(b))
    v = np.array([1.0, 2.0, 6.0])
    found = _jvp(tg, lambda t, x: t.logcumsumexp(x, 0), np.zeros(3), v)
    np.testing.assert_allclose(found, [1.0, 1.5, 3.0])


def test_logcumsumexp_jvp_wide_range() -> None:
    """Values 300 apart (PyTorch 2.13's own jvp underflows to 1e-79 here): the tangent is
    sum_{j<=i} softmax_j v_j, from the formula directly."""
    x, v = _VEC * 300, _VEC_T * 300
    y = np.logaddexp.accumulate(x)
    expected = [sum(np.exp(x[j] - y[i]) * v[j] for j in range(i + 1)) for i in range(5)]
    found = _jvp(tg, lambda t, a: t.logcumsumexp(a, 0), x, v)
    np.testing.assert_allclose(found, expected, rtol=1e-12)


@needs_torch
@quiet_torch_func
def test_double_backward_in_the_gradient_at_zero() -> None:
    """autograd.grad(autograd.grad(y, x, u, create_graph=True)[0], u, w) with u = 0 is
    J w: torch.func.jvp's value (PyTorch's own double backward of logcumsumexp is NaN at
    u = 0, through log|u|; here it is finite)."""
    def run(lib, f, x, w):
        x = lib.tensor(x, requires_grad=True)
        y = f(lib, x)
        u = lib.zeros(y.shape, dtype=lib.float64, requires_grad=True)
        (g,) = lib.autograd.grad(y, x, u, create_graph=True)
        return lib.autograd.grad(g, u, lib.tensor(w))[0].detach().numpy()

    for f, x, w in [(lambda t, a: t.xlogy(a, t.tensor(_POS)), _VEC, _VEC_T),
                    (lambda t, a: t.logcumsumexp(a, 0), _VEC, _VEC_T),
                    (lambda t, a: t.linalg.eigh(a)[1] ** 2, _SYM, _SYM_T)]:
        np.testing.assert_allclose(run(tg, f, x, w), _jvp(torch, f, x, w), atol=1e-10)


@needs_torch
def test_first_order_gradients_unchanged() -> None:
    """backward() (arrays) and create_graph with a constant gradient: PyTorch's values,
    including xlogy's 0 at a = 0, b = 0 and logcumsumexp's mixed-sign gradient."""
    def grads(lib, create_graph):
        a = lib.tensor([0.0, 1.0, 2.0, 0.0], dtype=lib.float64, requires_grad=True)
        b = lib.tensor([0.0, 2.0, 0.5, 3.0], dtype=lib.float64, requires_grad=True)
        x = lib.tensor(_VEC * 400, requires_grad=True)
        s = lib.tensor(_SYM, requires_grad=True)
        y = (lib.xlogy(a, b) * lib.tensor([1.0, 0.0, 2.0, -1.0], dtype=lib.float64)).sum() \
            + (lib.logcumsumexp(x, 0) * lib.tensor(_VEC_T)).sum() \
            + (lib.linalg.eigh(s)[1] ** 2 * lib.tensor(_SYM_T)).sum()
        found = lib.autograd.grad(y, (a, b, x, s), create_graph=create_graph)
        return [g.detach().numpy() for g in found]

    for create_graph in (False, True):
        for ours, theirs in zip(grads(tg, create_graph), grads(torch, create_graph)):
            np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)


def test_eigvalsh_traced_gradient_value_stays_finite() -> None:
    """A gradient being differentiated that never reaches the eigenvectors (eigvalsh of a
    matrix with repeated eigenvalues): the value is V diag(g) V^T, not 0/0."""
    a = tg.tensor(np.eye(3), requires_grad=True)
    u = tg.tensor([1.0, 2.0, 3.0], dtype=tg.float64, requires_grad=True)
    (g,) = tg.autograd.grad(tg.linalg.eigvalsh(a), a, u, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), np.diag([1.0, 2.0, 3.0]), atol=1e-12)


# -- 2, 3. func.functional_call: tied weights, extra names, non-tensor values --------------

def _tied(lib):
    class Tied(lib.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a = lib.nn.Linear(3, 3, bias=False, dtype=lib.float64)
            self.b = lib.nn.Linear(3, 3, bias=False, dtype=lib.float64)
            self.b.weight = self.a.weight

        def forward(self, x):
            return self.b(self.a(x))

    model = Tied()
    with lib.no_grad():
        model.a.weight.copy_(lib.arange(9.0, dtype=lib.float64).reshape(3, 3) / 9)
    return model


_X = np.array([[0.5, 1.0, 2.0], [1.0, -1.0, 0.0]])


def _call(lib, values, **options):
    model = _tied(lib)
    out = lib.func.functional_call(model, values(lib), (lib.tensor(_X),), **options)
    return out.detach().numpy(), model


def _outcome(lib, values, **options):
    try:
        return _call(lib, values, **options)[0]
    except Exception as error:  # noqa: BLE001 (the error is the outcome compared)
        return type(error).__name__, str(error)


def test_functional_call_replaces_a_tied_weight_under_every_name() -> None:
    def w(lib):
        return lib.eye(3, dtype=lib.float64) * 2

    for key in ("a.weight", "b.weight"):
        out, model = _call(tg, lambda lib, key=key: {key: w(lib)})
        np.testing.assert_allclose(out, _X * 4)  # (2 I)(2 I) x
        assert model.b.weight is model.a.weight  # restored, still tied
        np.testing.assert_allclose(model.a.weight.detach().numpy(),
                                   np.arange(9.0).reshape(3, 3) / 9)
    out, _ = _call(tg, lambda lib: {"a.weight": w(lib)}, tie_weights=False)
    np.testing.assert_allclose(out, _X @ (2 * np.eye(3)).T @ (np.arange(9.0).reshape(3, 3) / 9).T)
    shared = tg.eye(3, dtype=tg.float64) * 2  # one value under both names: fine
    out, _ = _call(tg, lambda lib: {"a.weight": shared, "b.weight": shared}, strict=True)
    np.testing.assert_allclose(out, _X * 4)


_FC_CASES = {
    "tied_two_values": (lambda t: {"a.weight": t.eye(3, dtype=t.float64),
                                   "b.weight": t.eye(3, dtype=t.float64)}, {}),
    "tied_two_values_strict": (lambda t: {"a.weight": t.eye(3, dtype=t.float64),
                                          "b.weight": t.eye(3, dtype=t.float64)},
                               {"strict": True}),
    "strict_one_tied_name": (lambda t: {"a.weight": t.eye(3, dtype=t.float64)},
                             {"strict": True}),
    "strict_untied_missing": (lambda t: {"a.weight": t.eye(3, dtype=t.float64)},
                              {"strict": True, "tie_weights": False}),
    "strict_unexpected": (lambda t: {"a.weight": t.eye(3, dtype=t.float64),
                                     "c": t.zeros(1)}, {"strict": True}),
    "extra_name_ignored": (lambda t: {"a.weight": t.eye(3, dtype=t.float64),
                                      "foo": t.zeros(1)}, {}),
    "extra_name_no_module": (lambda t: {"foo.bar": t.zeros(1)}, {}),
    "non_tensor_value": (lambda t: {"a.weight": 5.0}, {}),
    "same_name_in_two_dicts": (lambda t: ({"a.weight": t.eye(3, dtype=t.float64)},
                                          {"a.weight": t.eye(3, dtype=t.float64)}), {}),
}


@needs_torch
@pytest.mark.parametrize("name", sorted(_FC_CASES))
def test_functional_call_matches_torch(name: str) -> None:
    values, options = _FC_CASES[name]
    ours, theirs = _outcome(tg, values, **options), _outcome(torch, values, **options)
    if isinstance(theirs, tuple):
        assert ours[0] == theirs[0]
        if name != "extra_name_no_module":  # (the module path in the message differs)
            assert ours[1] == theirs[1]
    else:
        np.testing.assert_allclose(ours, theirs)


def test_functional_call_fixed_errors() -> None:
    with pytest.raises(ValueError, match=r"multiple values for keys \['a.weight', 'b.weight'\]"):
        _call(tg, lambda lib: {"a.weight": lib.eye(3), "b.weight": lib.eye(3)})
    with pytest.raises(RuntimeError, match="Missing key\\(s\\): 'b.weight'"):
        _call(tg, lambda lib: {"a.weight": lib.eye(3)}, strict=True, tie_weights=False)
    with pytest.raises(TypeError, match="5.0 is not an instance of torch.Tensor"):
        _call(tg, lambda lib: {"a.weight": 5.0})
    with pytest.raises(ValueError, match="appeared in multiple dictionaries"):
        _call(tg, lambda lib: ({"a.weight": lib.eye(3)}, {"a.weight": lib.eye(3)}))
    out, model = _call(tg, lambda lib: {"foo": lib.zeros(1)})
    assert not hasattr(model, "foo")  # set for the call only


# -- 4, 9, 10. module hooks -------------------------------------------------------------

def _linear(lib):
    layer = lib.nn.Linear(3, 2, dtype=lib.float64)
    with lib.no_grad():
        layer.weight.copy_(lib.arange(6.0, dtype=lib.float64).reshape(2, 3) / 7)
        layer.bias.fill_(0.1)
    return layer


def _hooked_grads(lib, hook):
    layer = _linear(lib)
    layer.register_full_backward_hook(hook)
    x = lib.tensor(_X, requires_grad=True)
    layer(x).pow(2).sum().backward()
    return x.grad, layer.weight.grad


def test_full_backward_hook_returning_none_drops_the_input_gradient() -> None:
    x_grad, weight_grad = _hooked_grads(tg, lambda module, gi, go: (None,))
    assert x_grad is None
    assert weight_grad is not None  # (the parameters' gradients are not grad_input)
    x_grad, _ = _hooked_grads(tg, lambda module, gi, go: (gi[0] * 10,))
    y = _X @ (np.arange(6.0).reshape(2, 3) / 7).T + 0.1
    np.testing.assert_allclose(x_grad.numpy(), 10 * (2 * y) @ (np.arange(6.0).reshape(2, 3) / 7))
    with pytest.raises(RuntimeError, match="shape \\(3,\\) for input 0 of shape \\(2, 3\\)"):
        _hooked_grads(tg, lambda module, gi, go: (tg.zeros(3, dtype=tg.float64),))


@needs_torch
def test_full_backward_hooks_match_torch() -> None:
    for hook in (lambda module, gi, go: (None,), lambda module, gi, go: (gi[0] * 3,),
                 lambda module, gi, go: None):
        ours, theirs = _hooked_grads(tg, hook), _hooked_grads(torch, hook)
        for a, b in zip(ours, theirs):
            assert (a is None) == (b is None)
            if a is not None:
                np.testing.assert_allclose(a.numpy(), b.numpy())


def _pre_hook_outcome(lib, result):
    layer = _linear(lib)
    layer.register_forward_pre_hook(lambda module, args, kwargs: result(args, kwargs),
                                    with_kwargs=True)
    try:
        return layer(lib.tensor(_X)).detach().numpy()
    except RuntimeError as error:
        return str(error).split(", but got")[0]


def test_forward_pre_hook_with_kwargs_must_return_a_pair() -> None:
    message = "forward pre-hook must return None or a tuple of (new_args, new_kwargs)"
    for result in (lambda a, k: a, lambda a, k: [a, k], lambda a, k: (a, k, None)):
        assert _pre_hook_outcome(tg, result) == message
    layer = _linear(tg)
    layer.register_forward_pre_hook(lambda module, args, kwargs: 5, with_kwargs=True)
    with pytest.raises(RuntimeError, match=r"\(new_args, new_kwargs\), but got 5\.$"):
        layer(tg.tensor(_X))
    doubled = _pre_hook_outcome(tg, lambda a, k: ((a[0] * 2,), k))
    np.testing.assert_allclose(doubled, 2 * _X @ (np.arange(6.0).reshape(2, 3) / 7).T + 0.1)


@needs_torch
def test_forward_pre_hook_with_kwargs_matches_torch() -> None:
    for result in (lambda a, k: a, lambda a, k: [a, k], lambda a, k: ((a[0] * 2,), k)):
        ours, theirs = _pre_hook_outcome(tg, result), _pre_hook_outcome(torch, result)
        if isinstance(theirs, str):
            assert ours == theirs
        else:
            np.testing.assert_allclose(ours, theirs)


def _legacy_log(lib, layer, x):
    log = []
    layer.register_backward_hook(lambda module, gi, go: log.append(
        ([None if g is None else tuple(g.shape) for g in gi], [tuple(g.shape) for g in go])))
    layer(x).sum().backward()
    return log


@pytest.mark.filterwarnings("ignore::FutureWarning")  # (PyTorch's, on some modules)
def test_legacy_backward_hook_sees_the_last_op() -> None:
    x = tg.ones(4, 3, dtype=tg.float64, requires_grad=True)
    assert _legacy_log(tg, _linear(tg), x) == [([(4, 3), (2, 3), (2,)], [(4, 2)])]
    relu = _legacy_log(tg, tg.nn.ReLU(), x)
    assert relu == [([(4, 3)], [(4, 3)])]
    layer = _linear(tg)
    layer.register_backward_hook(lambda *a: None)
    with pytest.raises(RuntimeError, match="Cannot use both regular backward hooks and full"):
        layer.register_full_backward_hook(lambda *a: None)


@needs_torch
@pytest.mark.filterwarnings("ignore::FutureWarning")
def test_legacy_backward_hook_matches_torch() -> None:
    def conv(lib):
        lib.manual_seed(0)
        return lib.nn.Conv2d(2, 3, 2, dtype=lib.float64)

    def images(lib):
        return lib.ones(1, 2, 4, 4, dtype=lib.float64, requires_grad=True)

    assert _legacy_log(tg, conv(tg), images(tg)) == _legacy_log(torch, conv(torch), images(torch))
    lengths = [len(_legacy_log(lib, _linear(lib), lib.ones(4, 3, dtype=lib.float64,
                                                              requires_grad=True))[0][0])
               for lib in (tg, torch)]
    assert lengths == [3, 3]
    for lib in (tg, torch):
        layer = _linear(lib)
        layer.register_full_backward_hook(lambda *a: None)
        with pytest.raises(RuntimeError, match="Cannot use both"):
            layer.register_backward_hook(lambda *a: None)


# -- 8. Module.state_dict(destination, prefix, keep_vars) positionally ----------------------

def _positional_state(lib, *args):
    model = lib.nn.Sequential(lib.nn.Linear(2, 2))
    with pytest.warns(FutureWarning, match="Positional args are being deprecated, use kwargs"):
        found = model.state_dict(*args)
    return found, [(name, type(value).__name__) for name, value in found.items()]


def test_state_dict_positional_arguments() -> None:
    destination: dict = {}
    found, names = _positional_state(tg, destination)
    assert found is destination and [n for n, _ in names] == ["0.weight", "0.bias"]
    _, names = _positional_state(tg, None, "p.", True)
    assert names == [("p.0.weight", "Parameter"), ("p.0.bias", "Parameter")]
    _, names = _positional_state(tg, None, "p.")
    assert names == [("p.0.weight", "Tensor"), ("p.0.bias", "Tensor")]
    with pytest.raises(TypeError, match="at most 3 positional"):
        tg.nn.Linear(2, 2).state_dict({}, "", False, None)


@needs_torch
def test_state_dict_positional_arguments_match_torch() -> None:
    for args in [({},), (None, "p."), (None, "p.", True), ({}, "", True)]:
        assert _positional_state(tg, *args)[1] == _positional_state(torch, *args)[1]


# -- 6. autograd.grad(materialize_grads=True): PyTorch's zeros ---------------------------

def _materialized(lib, create_graph: bool, batched: bool):
    x = lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64, requires_grad=True)
    unused = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
    if batched:
        found = lib.autograd.grad(x * x, [x, unused], lib.ones(4, 3, dtype=lib.float64),
                                  create_graph=create_graph, materialize_grads=True,
                                  is_grads_batched=True)
    else:
        found = lib.autograd.grad((x * x).sum(), [x, unused], create_graph=create_graph,
                                  materialize_grads=True)
    return [(g.requires_grad, tuple(g.shape), g.detach().numpy().tolist()) for g in found]


@pytest.mark.filterwarnings("ignore::UserWarning")  # (PyTorch's vmap performance warning)
def test_materialized_zeros_require_grad_under_create_graph() -> None:
    assert _materialized(tg, True, False)[1] == (True, (2,), [0.0, 0.0])
    assert _materialized(tg, False, False)[1] == (False, (2,), [0.0, 0.0])
    assert _materialized(tg, True, True)[1] == (True, (2,), [0.0, 0.0])  # no batch dim
    assert _materialized(tg, False, True)[0] == (False, (4, 3), [[2.0, 4.0, 6.0]] * 4)
    x = tg.tensor([1.0, 2.0], dtype=tg.float64, requires_grad=True)
    unused = tg.tensor(3.0, dtype=tg.float64, requires_grad=True)
    _, zero = tg.autograd.grad((x * x).sum(), [x, unused], create_graph=True,
                               materialize_grads=True)
    assert tg.autograd.grad(zero * 2, unused, allow_unused=True) == (None,)


@needs_torch
@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("create_graph", [False, True])
@pytest.mark.parametrize("batched", [False, True])
def test_materialized_zeros_match_torch(create_graph: bool, batched: bool) -> None:
    assert _materialized(tg, create_graph, batched) == _materialized(torch, create_graph, batched)


# -- 7. grad_fn: callable, saved values, input metadata ---------------------------------

def _node_facts(lib):
    x = lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64, requires_grad=True)
    column = lib.tensor([[1.0], [2.0]], dtype=lib.float64, requires_grad=True)
    ones = lib.ones(3, dtype=lib.float64)

    def arrays(found):
        return [None if g is None else g.detach().numpy().tolist() for g in found]

    metadata = (x * 2).grad_fn._input_metadata
    return {
        "call_constant": arrays((x * 3).grad_fn(ones)),
        "call_single": x.sum().grad_fn(lib.tensor(2.0, dtype=lib.float64)).numpy().tolist(),
        "call_broadcast": arrays((x * column).grad_fn(lib.ones(2, 3, dtype=lib.float64))),
        "saved_other_int": (lambda s: (s.item(), str(s.dtype).split(".")[-1]))(
            (x * 2).grad_fn._saved_other),
        "saved_other_float": (x * 2.5).grad_fn._saved_other.item(),
        "saved_is_leaf": ((x * x).grad_fn._saved_self is x, (x * x).grad_fn._saved_other is x),
        "raw_saved": type((x * x).grad_fn._raw_saved_self).__name__,
        "metadata": (len(metadata), list(metadata[0].shape), str(metadata[0].dtype)[-7:],
                     str(metadata[0].device)),
    }


def test_grad_fn_call_and_saved_values() -> None:
    facts = _node_facts(tg)
    assert facts["call_constant"] == [[3.0, 3.0, 3.0], None]
    assert facts["call_single"] == [2.0, 2.0, 2.0]
    assert facts["call_broadcast"] == [[[1.0] * 3, [2.0] * 3], [[1.0, 2.0, 3.0]] * 2]
    assert facts["saved_other_int"] == (2, "int64")
    assert facts["saved_is_leaf"] == (True, True)
    assert facts["raw_saved"] == "SavedTensor"
    assert facts["metadata"] == (1, [3], "float64", "cpu")
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match="expected 1 arguments, got 2"):
        (x * 2).grad_fn(tg.ones(2), tg.ones(2))
    with pytest.raises(RuntimeError, match=r"shape \(3,\), the op's output \(2,\)"):
        (x * 2).grad_fn(tg.ones(3))


@needs_torch
def test_grad_fn_call_and_saved_values_match_torch() -> None:
    assert _node_facts(tg) == _node_facts(torch)


# -- 11, 12. vmap's in_dims must be an int or a tuple; hook handles have an id -------------

def _vmap_outcome(lib, in_dims):
    try:
        return lib.vmap(lambda x: x.sum(), in_dims=in_dims)(lib.ones(2, 3)).tolist()
    except ValueError as error:
        return str(error)


def test_vmap_refuses_in_dims_that_are_not_an_int_or_a_tuple() -> None:
    for in_dims in ([0], None, 0.5):
        assert _vmap_outcome(tg, in_dims) == (
            f"vmap(<lambda>, in_dims={in_dims}, ...)(<inputs>): expected `in_dims` to be int or "
            f"a (potentially nested) tuple matching the structure of inputs, got: "
            f"{type(in_dims)}.")
    assert _vmap_outcome(tg, (0,)) == _vmap_outcome(tg, 0) == [3.0, 3.0]
    pairs = tg.vmap(lambda p: p[0] * p[1], in_dims=([0, None],))([tg.ones(2), tg.tensor(3.0)])
    assert pairs.tolist() == [3.0, 3.0]  # (a list inside the tuple: one input's structure)


@needs_torch
def test_vmap_in_dims_match_torch() -> None:
    for in_dims in ([0], None, 0.5, (0,), 1, {"a": 0}):
        assert _vmap_outcome(tg, in_dims) == _vmap_outcome(torch, in_dims)


def test_hook_handles_have_distinct_ids() -> None:
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    handles = [x.register_hook(lambda g: g), (x * 2).grad_fn.register_hook(lambda a, b: None),
               x.register_hook(lambda g: g)]
    ids = [h.id for h in handles]
    assert all(isinstance(i, int) for i in ids) and len(set(ids)) == 3


# -- 5. func.jvp uses a custom autograd.Function's jvp (PyTorch's forward mode) --------------

def _custom_functions(lib):
    class Scaled(lib.autograd.Function):  # jvp deliberately not backward's transpose
        @staticmethod
        def forward(x):
            return x.sin()

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(inputs[0])

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * x.cos()

        @staticmethod
        def jvp(ctx, tangent):
            return tangent * 100

    class Product(lib.autograd.Function):  # two inputs, two outputs, save_for_forward
        @staticmethod
        def forward(a, b):
            return a * b, a + b

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_forward(*inputs)

        @staticmethod
        def backward(ctx, g1, g2):
            raise AssertionError("not used by jvp")

        @staticmethod
        def jvp(ctx, ta, tb):
            a, b = ctx.saved_tensors
            return ta * b + a * tb, ta + tb

    class NoJvp(lib.autograd.Function):
        @staticmethod
        def forward(x):
            return x * 2

        @staticmethod
        def setup_context(ctx, inputs, output):
            pass

        @staticmethod
        def backward(ctx, g):
            return g * 2

    return Scaled, Product, NoJvp


def _values(found):
    """Tensors, in (nested) tuples, as nested lists of numbers."""
    if isinstance(found, tuple):
        return [_values(item) for item in found]
    return found.detach().numpy().tolist()


def _custom_jvps(lib):
    scaled, product, no_jvp = _custom_functions(lib)
    a = lib.tensor([[0.0, 0.5, 1.0], [1.5, 2.0, 2.5]], dtype=lib.float64)
    b = lib.tensor([[1.0, -1.0, 2.0], [0.5, 0.25, 3.0]], dtype=lib.float64)
    ones = lib.ones(2, 3, dtype=lib.float64)
    found = {
        "scaled": lib.func.jvp(scaled.apply, (a,), (ones,)),
        "product": lib.func.jvp(product.apply, (a, b), (ones, ones * 2)),
        "composed": lib.func.jvp(lambda x: scaled.apply(x * 3).exp(), (a,), (ones,)),
    }
    found = {key: _values(value) for key, value in found.items()}
    try:
        lib.func.jvp(no_jvp.apply, (a,), (ones,))
    except NotImplementedError as error:
        found["no_jvp"] = str(error)
    found["no_jvp_autograd_functional"] = lib.autograd.functional.jvp(
        no_jvp.apply, a, ones)[1].numpy().tolist()  # (double backward, also in PyTorch)
    return found


def test_func_jvp_uses_a_custom_functions_jvp() -> None:
    found = _custom_jvps(tg)
    assert found["scaled"][1] == [[100.0] * 3] * 2
    a = np.array([[0.0, 0.5, 1.0], [1.5, 2.0, 2.5]])
    b = np.array([[1.0, -1.0, 2.0], [0.5, 0.25, 3.0]])
    np.testing.assert_allclose(found["product"][1][0], b + a * 2)
    np.testing.assert_allclose(found["product"][1][1], np.full((2, 3), 3.0))
    np.testing.assert_allclose(np.array(found["composed"][1]), np.exp(np.sin(3 * a)) * 300)
    assert found["no_jvp"] == ("You must implement the jvp function for custom "
                               "autograd.Function to use it with forward mode AD.")
    assert found["no_jvp_autograd_functional"] == [[2.0] * 3] * 2


@needs_torch
@quiet_torch_func
def test_func_jvp_custom_functions_match_torch() -> None:
    ours, theirs = _custom_jvps(tg), _custom_jvps(torch)
    assert ours.keys() == theirs.keys()
    for key in ours:
        if isinstance(ours[key], str):
            assert ours[key] == theirs[key]
        else:
            np.testing.assert_allclose(np.array(ours[key]), np.array(theirs[key]), rtol=1e-12)
