"""Eleventh round of probes against PyTorch, autograd side: torch.func's transforms keep the
graph to tensors func reads from outside its arguments and turn grad mode on inside, and
autograd.Function's materialize_grads, saved tensors, once_differentiable, hooks and the
grad_fn API behave as PyTorch's."""

from __future__ import annotations

import contextlib

import numpy as np
import pytest

import tinygrad_np as tg

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is the reference")


def torch_func_warns(test):
    """torch.func's forward mode (jacfwd, jvp, hessian) and linearize warn from inside torch."""
    test = pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated")(test)
    return pytest.mark.filterwarnings("ignore:Attempted to insert a get_attr Node")(test)


def _values(tensor):
    return None if tensor is None else tensor.detach().numpy().copy()


# ---------------------------------------------------------------- torch.func and outside leaves

def _model_gradient_penalty(L):
    """The probe's case: grad through a model's parameters, differentiated again."""
    m = L.nn.Linear(3, 1).double()
    with L.no_grad():
        m.weight.copy_(L.tensor([[1.0, 2.0, 3.0]], dtype=L.float64))
        m.bias.zero_()
    x = L.tensor([[0.5, -1.0, 2.0]], dtype=L.float64)
    gx = L.func.grad(lambda z: (m(z) ** 2).sum())(x)
    (m(x).sum() + (gx ** 2).sum()).backward()
    return gx.requires_grad, _values(m.weight.grad), _values(m.bias.grad)


@needs_torch
def test_func_grad_keeps_the_graph_to_a_models_parameters():
    ours, theirs = _model_gradient_penalty(tg), _model_gradient_penalty(torch)
    assert ours[0] is theirs[0] is True
    np.testing.assert_allclose(ours[1], theirs[1])
    np.testing.assert_allclose(ours[2], theirs[2])


# Each: a function of (library, w, x, xr) returning the tensors a transform hands back; w is
# an outside leaf needing grad, x an argument that does not need grad, xr one that does.
TRANSFORMS = {
    "grad_mul": lambda L, w, x, xr: L.func.grad_and_value(lambda z: (z * w).sum())(x),
    "grad_add": lambda L, w, x, xr: L.func.grad_and_value(lambda z: (z + w).sum())(x),
    "grad_private": lambda L, w, x, xr: L.func.grad_and_value(lambda z: (z * z).sum())(x),
    "grad_caller": lambda L, w, x, xr: L.func.grad_and_value(lambda z: z.sum())(xr),
    "grad_argnums": lambda L, w, x, xr: L.func.grad(lambda a, b: (a * b * w).sum(),
                                                    argnums=(0, 1))(xr, x),
    "grad_aux": lambda L, w, x, xr: L.func.grad(lambda z: ((z * z).sum(), (z * 2, z * w)),
                                                has_aux=True)(x),
    "vjp": lambda L, w, x, xr: (lambda o, fn: (o, *fn(L.ones(2))))(
        *L.func.vjp(lambda z: z * w, x)),
    "vjp_private": lambda L, w, x, xr: (lambda o, fn: (o, *fn(L.ones(2))))(
        *L.func.vjp(lambda z: z * z, x)),
    "vjp_aux": lambda L, w, x, xr: L.func.vjp(lambda z: (z * z, (z * 2, z * w)), x,
                                              has_aux=True)[2],
    "jacrev": lambda L, w, x, xr: L.func.jacrev(lambda z: z * z * w)(x),
    "jacrev_aux": lambda L, w, x, xr: L.func.jacrev(lambda z: (z * z, (z * 2, z * w)),
                                                    has_aux=True)(x),
    "jacfwd": lambda L, w, x, xr: L.func.jacfwd(lambda z: z * z * w)(x),
    "hessian": lambda L, w, x, xr: L.func.hessian(lambda z: (z * z * z * w).sum())(x),
    "grad_of_grad": lambda L, w, x, xr: L.func.grad(
        lambda z: L.func.grad(lambda y: (y ** 3 * w).sum())(z).sum())(x),
    "jvp_aux": lambda L, w, x, xr: L.func.jvp(lambda z: (z * z, (z * 2, z * w)), (x,),
                                              (L.ones(2),), has_aux=True),
    "linearize": lambda L, w, x, xr: (lambda o, fn: (o, fn(L.ones(2))))(
        *L.func.linearize(lambda z: z * w, x)),
}


def _flat(tree):
    if isinstance(tree, (tuple, list)):
        return [leaf for item in tree for leaf in _flat(item)]
    return [tree]


def _transform(L, name, table=None, x=(3.0, 4.0), mode=contextlib.nullcontext):
    """Run table[name] on an outside leaf w, data x and x requiring grad (under `mode`):
    each result's requires_grad flag and values."""
    w = L.tensor([1.0, 2.0], requires_grad=True)
    x = L.tensor(list(x))
    xr = x.clone().requires_grad_()
    with mode():
        results = _flat((table or TRANSFORMS)[name](L, w, x, xr))
    return [(t.requires_grad, _values(t)) for t in results]


@needs_torch
@torch_func_warns
@pytest.mark.parametrize("name", sorted(TRANSFORMS))
def test_func_results_require_grad_as_pytorchs(name):
    _assert_same_results(_transform(tg, name), _transform(torch, name))


def _assert_same_results(ours, theirs, atol=0.0):
    """The same requires_grad flags and values, result by result."""
    assert [r for r, _ in ours] == [r for r, _ in theirs]
    for (_, mine), (_, reference) in zip(ours, theirs):
        np.testing.assert_allclose(mine, reference, atol=atol)


def _nested_into_outside_leaf(L):
    w = L.tensor([1.0, 2.0], requires_grad=True)
    x = L.tensor([3.0, 4.0])
    second = L.func.grad(lambda z: L.func.grad(lambda y: (y ** 3 * w).sum())(z).sum())(x)
    hess = L.func.hessian(lambda z: (z * z * z * w).sum())(x)
    (second.sum() + hess.sum()).backward()
    return _values(w.grad)


@needs_torch
@torch_func_warns
def test_func_nested_transforms_backpropagate_into_an_outside_leaf():
    np.testing.assert_allclose(_nested_into_outside_leaf(tg), _nested_into_outside_leaf(torch))


# Each: a transform called under no_grad() (PyTorch turns grad mode on inside).
UNDER_NO_GRAD = {
    "grad": lambda L, w, x, xr: L.func.grad(lambda z: z.sin().sum())(x),
    "grad_outside": lambda L, w, x, xr: L.func.grad(lambda z: (z.sin() * w).sum())(x),
    "grad_caller": lambda L, w, x, xr: L.func.grad_and_value(lambda z: z.sin().sum())(xr),
    "vjp": lambda L, w, x, xr: (lambda o, fn: (o, *fn(L.ones(2))))(
        *L.func.vjp(lambda z: z.sin() * w, xr)),
    "jacrev": lambda L, w, x, xr: L.func.jacrev(lambda z: z.sin())(x),
    "hessian": lambda L, w, x, xr: L.func.hessian(lambda z: z.sin().sum())(x),
    "jvp": lambda L, w, x, xr: L.func.jvp(lambda z: z.sin() * w, (x,), (L.ones(2),)),
    "grad_mode_inside": lambda L, w, x, xr: L.func.grad(
        lambda z: z.sum() * float(L.is_grad_enabled()))(x),
}


def _under_no_grad(L, name):
    return _transform(L, name, UNDER_NO_GRAD, (1.0, 2.0), L.no_grad)


@needs_torch
@torch_func_warns
@pytest.mark.parametrize("name", sorted(UNDER_NO_GRAD))
def test_func_transforms_work_under_no_grad(name):
    _assert_same_results(_under_no_grad(tg, name), _under_no_grad(torch, name), atol=1e-6)


# ---------------------------------------------------------------- autograd.Function

def _materialize_false(L):
    """backward's gradients (None or values) for outputs used in turn, with
    ctx.set_materialize_grads(False), and for an int and a non-differentiable output."""
    seen = []

    class Two(L.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.set_materialize_grads(False)
            return a * 2, a * 3

        @staticmethod
        def backward(ctx, g1, g2):
            seen.append((g1, g2))
            return (0 if g1 is None else g1 * 2) + (0 if g2 is None else g2 * 3)

    class WithConstants(L.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.set_materialize_grads(False)
            fixed = a * 4
            ctx.mark_non_differentiable(fixed)
            return a * 2, L.tensor([1, 2]), fixed

        @staticmethod
        def backward(ctx, g1, g2, g3):
            seen.append((g1, g2, g3))
            return g1 * 2

    a = L.tensor([1.0, 2.0], requires_grad=True)
    p, q = Two.apply(a)
    p.sum().backward()
    p, q = Two.apply(a)
    (q * 2).sum().backward(retain_graph=True)
    (p.sum() + q.sum()).backward()
    p, _, _ = WithConstants.apply(a)
    p.sum().backward()
    p, q = Two.apply(a)
    L.autograd.grad(p.sum(), a, create_graph=True)
    return [[_values(g) for g in call] for call in seen], _values(a.grad)


@needs_torch
def test_set_materialize_grads_false_gives_none_for_outputs_without_gradient():
    (ours, our_grad), (theirs, their_grad) = _materialize_false(tg), _materialize_false(torch)
    assert [[g is None for g in call] for call in ours] == [
        [g is None for g in call] for call in theirs]
    for mine, reference in zip(ours, theirs):
        for g, h in zip(mine, reference):
            if h is not None:
                np.testing.assert_allclose(g, h)
    np.testing.assert_allclose(our_grad, their_grad)


# ---------------------------------------------------------------- exception classes

@needs_torch
@pytest.mark.parametrize("leaf", [True, False], ids=["leaf", "intermediate"])
@pytest.mark.parametrize("returned", [lambda g: 3.0, lambda g: g.numpy()], ids=["float", "array"])
def test_a_hook_returning_a_non_tensor_raises_type_error(leaf, returned):
    for L in (tg, torch):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        hooked = x if leaf else x * 3
        hooked.register_hook(returned)
        with pytest.raises(TypeError, match="expected Variable, but hook returned"):
            (hooked * 2).sum().backward()


# ---------------------------------------------------------------- once_differentiable

def _once_differentiable(L):
    """requires_grad of create_graph gradients through a once_differentiable backward, and
    whether differentiating them again works (values) or raises (the class)."""
    class Square(L.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a * a

        @staticmethod
        @L.autograd.function.once_differentiable
        def backward(ctx, g):
            (a,) = ctx.saved_tensors
            return 2 * a * g

    report = []
    for build in (lambda x, w: Square.apply(x),  # the seed flows in: plain gradients
                  lambda x, w: Square.apply(x) * x,  # a gradient that requires grad flows in
                  lambda x, w: Square.apply(x * w)):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        w = L.tensor([1.0, 2.0], requires_grad=True)
        (g,) = L.autograd.grad(build(x, w).sum(), x, create_graph=True)
        report.append((g.requires_grad, _values(g)))
        if g.requires_grad:
            try:
                g.sum().backward()
                report.append((_values(x.grad), _values(w.grad)))
            except RuntimeError as error:
                report.append("once_differentiable" in str(error))
    return report


def _assert_same(mine, reference):
    """The same nesting of tuples, bools and None, and the same arrays."""
    if isinstance(reference, (tuple, list)):
        assert len(mine) == len(reference)
        for a, b in zip(mine, reference):
            _assert_same(a, b)
    elif reference is None or isinstance(reference, bool):
        assert mine is reference
    else:
        np.testing.assert_allclose(mine, reference)


@needs_torch
def test_once_differentiable_gradients_require_grad_only_when_incoming_ones_do():
    _assert_same(_once_differentiable(tg), _once_differentiable(torch))


# ---------------------------------------------------------------- grad_fn hooks and metadata

def _node_hooks(L):
    """The order and arguments of a tensor hook, grad_fn.register_prehook and register_hook
    (the latter two replacing gradients), then removed; metadata; a leaf's AccumulateGrad."""
    log = []
    x = L.tensor([1.0, 2.0], requires_grad=True)
    w = L.tensor([3.0, 4.0], requires_grad=True)
    y = x * w
    z = y.exp()
    y.grad_fn.metadata["note"] = 1

    def post(grad_inputs, grad_outputs):
        log.append(("post", [_values(g) for g in grad_inputs], [_values(g) for g in grad_outputs]))
        return grad_inputs[0] * 10, grad_inputs[1]

    def pre(grad_outputs):
        log.append(("pre", [_values(g) for g in grad_outputs]))
        return (grad_outputs[0] * 2,)

    first = y.grad_fn.register_hook(post)
    second = y.grad_fn.register_prehook(pre)
    y.register_hook(lambda g: log.append(("tensor", _values(g))))
    z.sum().backward(retain_graph=True)
    grads = [_values(x.grad), _values(w.grad)]
    first.remove()
    second.remove()
    x.grad = None
    z.sum().backward()
    grads.append(_values(x.grad))
    accumulator = y.grad_fn.next_functions[0][0]
    accumulator.register_prehook(lambda g: log.append(("accumulator pre", _values(g[0]))))
    accumulator.register_hook(lambda gi, go: log.append(("accumulator post", gi, _values(go[0]))))
    (x * 3).sum().backward()
    return log, grads, y.grad_fn.metadata, accumulator.metadata


@needs_torch
def test_grad_fn_prehook_hook_and_metadata_as_pytorch():
    ours, theirs = _node_hooks(tg), _node_hooks(torch)
    assert [entry[0] for entry in ours[0]] == [entry[0] for entry in theirs[0]]
    _assert_same([entry[1:] for entry in ours[0]], [entry[1:] for entry in theirs[0]])
    _assert_same(ours[1], theirs[1])
    assert ours[2:] == theirs[2:] == ({"note": 1}, {})


def _node_hook_errors(L):
    found = []
    for hook in (lambda gi, go: 3.0, lambda gi, go: (gi[0], gi[0])):
        b = L.tensor([1.0], requires_grad=True)
        m = b * 2
        m.grad_fn.register_hook(hook)
        try:
            m.sum().backward()
        except (TypeError, RuntimeError) as error:
            found.append((type(error), str(error)))
    return found


@needs_torch
def test_grad_fn_hook_errors_as_pytorch():
    assert _node_hook_errors(tg) == _node_hook_errors(torch)


def _node_hook_create_graph(L):
    class Square(L.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a * a

        @staticmethod
        def backward(ctx, g):
            (a,) = ctx.saved_tensors
            return 2 * a * g

    x = L.tensor([1.0, 2.0], requires_grad=True)
    y = Square.apply(x)
    y.grad_fn.register_hook(lambda gi, go: (gi[0] * 3,))
    (g,) = L.autograd.grad(y.sum(), x, create_graph=True)
    (h,) = L.autograd.grad(g.sum(), x)
    return y.grad_fn.name(), _values(g), _values(h)


@needs_torch
def test_grad_fn_hook_on_a_custom_function_under_create_graph():
    ours, theirs = _node_hook_create_graph(tg), _node_hook_create_graph(torch)
    assert ours[0] == theirs[0]
    _assert_same(ours[1:], theirs[1:])
