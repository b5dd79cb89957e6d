"""Round 14 of autograd against PyTorch: higher derivatives that keep their graph (square,
fmod/remainder, a 2x2 det), double backward through flip/rot90, and the machinery around
the engine (vmap's out_dims, custom Functions, once_differentiable, checkpoint, gradcheck,
hooks, torch.autograd.graph, argument checks).

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
# torch.func's forward mode (jacfwd, hessian) warns from inside torch
pytestmark = [pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated"),
              pytest.mark.filterwarnings("ignore:Attempted to insert a get_attr Node")]


def _np(value):
    return value.detach().numpy() if hasattr(value, "detach") else np.asarray(value)


def _close(got, want):
    np.testing.assert_allclose(_np(got), want, rtol=1e-10, atol=1e-12)


def _x(lib, values=(1.0, 2.0, 3.0)):
    return lib.tensor(list(values), dtype=lib.float64, requires_grad=True)


# ----------------------------------------------------------------- A: graphs of n-th derivatives
@pytest.mark.parametrize("lib", LIBS)
def test_square_second_derivative_stays_on_the_graph(lib):
    x = _x(lib)
    g, = lib.autograd.grad(x.square().sum(), x, create_graph=True)
    h, = lib.autograd.grad(g.sum(), x, create_graph=True)
    assert h.requires_grad
    _close(h, [2.0, 2.0, 2.0])
    third, = lib.autograd.grad(h.sum(), x)
    _close(third, [0.0, 0.0, 0.0])


@pytest.mark.parametrize("lib", LIBS)
def test_square_keeps_integer_and_bool_dtypes(lib):
    assert lib.tensor([1, 2, 3]).square().tolist() == [1, 4, 9]
    assert lib.tensor([1, 2, 3]).square().dtype == lib.int64
    assert lib.tensor([True, False]).square().dtype == lib.int64


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("op", ["fmod", "remainder"])
def test_divisor_gradient_of_fmod_stays_on_the_graph(lib, op):
    a, b = _x(lib, (5.0, -5.0, 7.5)), _x(lib, (2.0, 2.0, -2.0))
    _, gb = lib.autograd.grad(getattr(lib, op)(a, b).sum(), (a, b), create_graph=True)
    quotient = np.trunc([2.5, -2.5, -3.75]) if op == "fmod" else np.floor([2.5, -2.5, -3.75])
    _close(gb, -quotient)
    assert gb.requires_grad
    second, = lib.autograd.grad(gb.sum(), b)
    _close(second, [0.0, 0.0, 0.0])


@pytest.mark.parametrize("lib", LIBS)
def test_threshold_gradient_stays_on_the_graph(lib):
    w = _x(lib, (0.2, -0.4, 0.9))
    g, = lib.autograd.grad(lib.nn.functional.threshold(w, 0.1, 2.0).sum(), w,
                           create_graph=True)
    _close(g, [1.0, 0.0, 1.0])
    assert g.requires_grad  # as relu's: a mask of w, so the next derivative is 0
    second, = lib.autograd.grad(g.sum(), w)
    _close(second, [0.0, 0.0, 0.0])


@pytest.mark.parametrize("lib", LIBS)
def test_third_derivative_of_det_of_a_rank_one_matrix_is_zero(lib):
    # det(outer(x, w)) is 0 for every x, w: so are all its derivatives (2x2 minors of a
    # rank-one matrix have determinants of about 1e-17, not exactly 0)
    x, w = _x(lib, (0.3, 0.5, 0.7)), _x(lib, (0.2, -0.4, 0.9))
    c = lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64)
    out = x.outer(w).det()
    for _ in range(3):
        grads = lib.autograd.grad(out, (x, w), create_graph=True)
        for g in grads:
            _close(g, [0.0, 0.0, 0.0])
        out = sum((g * c).sum() for g in grads)


# ----------------------------------------------------------------- B: flip under double backward
@pytest.mark.parametrize("lib", LIBS)
def test_double_backward_through_flip(lib):
    x = _x(lib)
    g, = lib.autograd.grad((x.flip(0) * x).sum(), x, create_graph=True)
    _close(g, [6.0, 4.0, 2.0])  # 2 x_{2-i}
    h, = lib.autograd.grad((g * g).sum(), x, create_graph=True)  # sum 4 x_{2-i}^2: d/dx_i = 8 x_i
    _close(h, [8.0, 16.0, 24.0])


@pytest.mark.parametrize("lib", LIBS)
def test_hessian_through_flip(lib):
    hessian = lib.func.hessian(lambda v: (v.flip(0) * v).pow(2).sum())
    # f = 2 (v0 v2)^2 + v1^4 at (1, 2, 3)
    want = [[36.0, 0.0, 24.0], [0.0, 48.0, 0.0], [24.0, 0.0, 4.0]]
    _close(hessian(lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64)), want)
    jac = lib.func.jacfwd(lib.func.jacrev(lambda v: (v.flip(0) * v).pow(2).sum()))
    _close(jac(lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64)), want)


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("name,turn", [
    ("rot90", lambda m: np.rot90(m)), ("rot90_2", lambda m: np.rot90(m, 2)),
    ("rot90_-1", lambda m: np.rot90(m, -1)), ("fliplr", np.fliplr), ("flipud", np.flipud)])
def test_double_backward_through_rot90_and_flips(lib, name, turn):
    ops = {"rot90": lambda m: m.rot90(), "rot90_2": lambda m: m.rot90(2),
           "rot90_-1": lambda m: lib.rot90(m, -1), "fliplr": lambda m: m.fliplr(),
           "flipud": lambda m: m.flipud()}
    values = np.arange(1.0, 7.0).reshape(2, 3)
    weights = np.arange(1.0, 7.0).reshape(turn(values).shape) ** 2
    m = lib.tensor(values, requires_grad=True)
    g, = lib.autograd.grad((ops[name](m) ** 3 * lib.tensor(weights)).sum(), m, create_graph=True)
    h, = lib.autograd.grad(g.sum(), m, create_graph=True)
    # g = 3 m^2 W' (W turned back onto m's places), so dg.sum()/dm = 6 m W'
    back = {"rot90": lambda w: np.rot90(w, -1), "rot90_2": lambda w: np.rot90(w, 2),
            "rot90_-1": lambda w: np.rot90(w, 1), "fliplr": np.fliplr, "flipud": np.flipud}
    _close(h, 6 * values * back[name](weights))


@pytest.mark.parametrize("lib", LIBS)
def test_double_backward_through_cumprod(lib):
    x = _x(lib)
    g, = lib.autograd.grad(lib.cumprod(x, 0).sum(), x, create_graph=True)
    _close(g, [9.0, 4.0, 2.0])  # 1 + x1 + x1 x2,  x0 + x0 x2,  x0 x1
    h, = lib.autograd.grad(g.sum(), x, create_graph=True)
    _close(h, [6.0, 5.0, 3.0])


# ----------------------------------------------------------------- C: vmap, func.grad, grad
@pytest.mark.parametrize("lib", LIBS)
def test_vmap_out_dims_none_returns_an_unbatched_output(lib):
    a, b = lib.ones(2, 3), lib.tensor([1.0, 2.0, 3.0])
    out = lib.vmap(lambda a, b: b * 2, in_dims=(0, None), out_dims=None)(a, b)
    assert tuple(out.shape) == (3,)
    _close(out, [2.0, 4.0, 6.0])
    first, second = lib.vmap(lambda a, b: (a * 2, b), in_dims=(0, None), out_dims=(0, None))(a, b)
    assert tuple(first.shape) == (2, 3) and tuple(second.shape) == (3,)
    _close(second, [1.0, 2.0, 3.0])
    assert lib.vmap(lambda a: 3, out_dims=None)(a) == 3


@pytest.mark.parametrize("lib", LIBS)
def test_vmap_out_dims_none_refuses_an_output_that_differs_per_slice(lib):
    with pytest.raises(ValueError, match="can not return a BatchedTensor when out_dim is None"):
        lib.vmap(lambda a: a * 2, out_dims=None)(lib.tensor([[1.0, 2.0], [3.0, 4.0]]))


@pytest.mark.parametrize("lib", LIBS)
def test_vmap_over_an_empty_batch(lib):
    assert tuple(lib.vmap(lambda a: a * 2)(lib.zeros(0, 3)).shape) == (0, 3)
    assert tuple(lib.vmap(lambda a: a * 2, out_dims=1)(lib.zeros(0, 3)).shape) == (3, 0)
    grads = lib.vmap(lib.func.grad(lambda a: (a ** 2).sum()))(lib.zeros(0, 3))
    assert tuple(grads.shape) == (0, 3)
    sums = lib.vmap(lambda a: a.sum())(lib.zeros(0, 3))
    assert tuple(sums.shape) == (0,)


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("out_dims,result", [((0,), "pair"), ((0, 1, 2), "pair"),
                                             ((0, 1), "single")])
def test_vmap_out_dims_must_match_the_outputs(lib, out_dims, result):
    func = (lambda a: (a, a)) if result == "pair" else (lambda a: a)
    with pytest.raises(ValueError, match="out_dims is not compatible"):
        lib.vmap(func, out_dims=out_dims)(lib.zeros(2, 3))


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("returned", ["tensor", "list", "triple"])
def test_func_grad_with_has_aux_needs_a_pair(lib, returned):
    def f(a):
        loss = (a ** 2).sum()
        return {"tensor": loss, "list": [loss, 1], "triple": (loss, 1, 2)}[returned]

    with pytest.raises(RuntimeError, match=r"should be a tuple: \(output, aux\)"):
        lib.func.grad(f, has_aux=True)(lib.ones(3))
    with pytest.raises(RuntimeError, match=r"should be a tuple: \(output, aux\)"):
        lib.func.grad_and_value(f, has_aux=True)(lib.ones(3))


@pytest.mark.parametrize("lib", LIBS)
def test_batched_grad_with_an_empty_batch_raises(lib):
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(IndexError, match="index 0 is out of bounds for dimension 0 with size 0"):
        lib.autograd.grad(x * 2, x, lib.zeros(0, 3), is_grads_batched=True)
    rows, = lib.autograd.grad(x * 2, x, lib.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 1.0]]),
                              is_grads_batched=True)
    _close(rows, [[2.0, 0.0, 0.0], [0.0, 2.0, 2.0]])


# ----------------------------------------------------------------- D: calling forward/backward
def _setup_style(lib):
    class Scale(lib.autograd.Function):
        @staticmethod
        def forward(x, k):
            return x * k

        @staticmethod
        def setup_context(ctx, inputs, output):
            pass

        @staticmethod
        def backward(ctx, g):
            return g * 2, None

    return Scale


def _old_style(lib):
    class Triple(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 3

        @staticmethod
        def backward(ctx, g):
            return g * 3

    return Triple


@pytest.mark.parametrize("lib", LIBS)
def test_forward_and_backward_called_directly_are_the_users_functions(lib):
    _close(_setup_style(lib).forward(lib.tensor([1.0, 2.0]), 3), [3.0, 6.0])
    grads = _setup_style(lib).backward(None, lib.tensor([1.0, 2.0]))
    _close(grads[0], [2.0, 4.0])
    assert grads[1] is None
    _close(_old_style(lib).forward(None, lib.tensor([1.0, 2.0])), [3.0, 6.0])
    _close(_old_style(lib).backward(None, lib.tensor([1.0, 2.0])), [3.0, 6.0])
    x = lib.tensor([1.0, 2.0], requires_grad=True)  # apply still records the node
    _setup_style(lib).apply(x, 3).sum().backward()
    _close(x.grad, [2.0, 2.0])


# ----------------------------------------------------------------- E: retain_grad and grad()
@pytest.mark.parametrize("lib", LIBS)
def test_autograd_grad_fills_retained_gradients_only(lib):
    x = _x(lib)
    y = x * 2
    y.retain_grad()
    g, = lib.autograd.grad((y * y).sum(), x)
    _close(g, [8.0, 16.0, 24.0])
    _close(y.grad, [4.0, 8.0, 12.0])  # 2 y
    assert x.grad is None  # a leaf's .grad is left alone


@pytest.mark.parametrize("lib", LIBS)
def test_autograd_grad_retained_gradients_accumulate_and_include_inputs(lib):
    x = _x(lib)
    y = x * 2
    y.retain_grad()
    z = y * 3
    z.retain_grad()
    lib.autograd.grad((z * z).sum(), y, retain_graph=True)
    _close(z.grad, [12.0, 24.0, 36.0])  # 2 z
    _close(y.grad, [36.0, 72.0, 108.0])  # 6 z = 36 x
    lib.autograd.grad((z * z).sum(), y)
    _close(y.grad, [72.0, 144.0, 216.0])
    assert x.grad is None


@pytest.mark.parametrize("lib", LIBS)
def test_autograd_grad_retained_gradient_under_create_graph(lib):
    x = _x(lib)
    y = x * 2
    y.retain_grad()
    g, = lib.autograd.grad((y * y).sum(), x, create_graph=True)
    _close(y.grad, [4.0, 8.0, 12.0])
    assert y.grad.requires_grad
    g.sum().backward()
    _close(x.grad, [8.0, 8.0, 8.0])


@pytest.mark.parametrize("lib", LIBS)
def test_autograd_backward_fills_retained_gradients_with_inputs(lib):
    x, w = _x(lib, (1.0, 2.0)), _x(lib, (3.0, 4.0))
    h = x * w
    h.retain_grad()
    lib.autograd.backward(h.sum(), inputs=[x])
    _close(x.grad, [3.0, 4.0])
    _close(h.grad, [1.0, 1.0])
    assert w.grad is None


# ----------------------------------------------------------------- K: views and grad modes
@pytest.mark.parametrize("lib", LIBS)
def test_base_and_is_view(lib):
    x = lib.tensor([1.0, 2.0, 3.0])
    assert x[:2]._base is x and x[:2]._is_view()
    assert x[:2][:1]._base is x  # the root, not the intermediate view
    assert x.view(3, 1)._base is x
    assert x._base is None and not x._is_view()
    assert (x * 2)._base is None and not (x * 2)._is_view()
    assert x.detach()._base is None


@pytest.mark.parametrize("lib", LIBS)
def test_grad_mode_clone_and_decorator_base(lib):
    for mode, inside in ((lib.no_grad(), False), (lib.enable_grad(), True)):
        copy = mode.clone()
        assert type(copy) is type(mode) and copy is not mode
        with lib.no_grad() if inside else lib.enable_grad():
            with copy:
                assert lib.is_grad_enabled() is inside
    assert isinstance(lib.no_grad(), lib.autograd.grad_mode._DecoratorContextManager)


# ----------------------------------------------------------------- L: argument checks
@pytest.mark.parametrize("lib", LIBS)
def test_inputs_must_be_tensors(lib):
    x = lib.tensor([1.0, 2.0], requires_grad=True)
    message = "all inputs have to be Tensors or GradientEdges, but got int"
    with pytest.raises(RuntimeError, match=message):
        (x * 2).sum().backward(inputs=[3])
    with pytest.raises(RuntimeError, match=message):
        (x * 2).sum().backward(inputs=[x, 3])
    with pytest.raises(RuntimeError, match=message):
        lib.autograd.backward((x * 2).sum(), inputs=[3])
    with pytest.raises(RuntimeError, match=message):
        lib.autograd.grad((x * 2).sum(), [x, 3])


@pytest.mark.parametrize("lib", LIBS)
@pytest.mark.parametrize("value", [1, 0, "yes", None, np.True_])
def test_grad_flags_must_be_bools(lib, value):
    with pytest.raises(TypeError, match="must be bool"):
        lib.set_grad_enabled(value)
    assert lib.is_grad_enabled()
    with pytest.raises(TypeError, match="must be bool"):
        lib.ones(2).requires_grad_(value)
    with pytest.raises(RuntimeError, match="requires_grad must be a bool"):
        lib.ones(2).requires_grad = value


@pytest.mark.parametrize("lib", LIBS)
def test_custom_backward_returning_a_list_is_refused(lib):
    class Pair(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * b

        @staticmethod
        def backward(ctx, g):
            return [g * 2, g * 3]

    a, b = lib.ones(2, requires_grad=True), lib.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError):
        Pair.apply(a, b).sum().backward()


@pytest.mark.parametrize("lib", LIBS)
def test_custom_forward_may_return_none(lib):
    class Nothing(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            return None

        @staticmethod
        def backward(ctx, g):
            return g

    assert Nothing.apply(lib.ones(2, requires_grad=True)) is None
    assert Nothing.apply(lib.ones(2)) is None


# ----------------------------------------------------------------- G, H: checkpoint, gradcheck
@pytest.mark.parametrize("lib", LIBS)
def test_reentrant_checkpoint_without_inputs_needing_grad(lib):
    layer = lib.nn.Linear(3, 2)
    with pytest.warns(UserWarning, match="None of the inputs have requires_grad=True"):
        out = lib.utils.checkpoint.checkpoint(layer, lib.ones(4, 3), use_reentrant=True)
    assert not out.requires_grad
    assert layer(lib.ones(4, 3)).requires_grad  # (without checkpoint it would)


@pytest.mark.parametrize("lib", LIBS)
def test_torch_gradcheck_of_float32_inputs_warns_and_fails_on_rounding(lib):
    x = lib.tensor([0.3, 0.7, 1.1], dtype=lib.float32, requires_grad=True)
    with pytest.warns(UserWarning, match="Input #0 requires gradient and is not a double"):
        assert lib.autograd.gradcheck(lambda v: v * 2, (x,), raise_exception=False) is False
    with pytest.warns(UserWarning, match="Input #0 requires gradient and is not a double"):
        with pytest.raises(RuntimeError, match="Jacobian mismatch"):
            lib.autograd.gradcheck(lambda v: v.sin(), (x,))
    with pytest.warns(UserWarning, match="is not a double precision") as record:
        assert lib.autograd.gradgradcheck(lambda v: v.sin(), (x,), raise_exception=False) \
            is False
    assert {str(w.message)[:8] for w in record} == {"Input #0", "Input #1"}  # x, grad_output
    x64 = x.detach().double().requires_grad_()
    assert lib.autograd.gradcheck(lambda v: v.sin(), (x64,))
    assert lib.autograd.gradgradcheck(lambda v: v.sin(), (x64,))


def test_tg_gradcheck_keeps_float64_for_float32_inputs():
    x = tg.tensor([0.3, 0.7, 1.1], dtype=tg.float32, requires_grad=True)
    assert tg.gradcheck(lambda v: v.sin(), [x])
    assert not tg.gradcheck(lambda v: v.sin(), [x], in_float64=False, raise_exception=False)
    assert x.dtype == tg.float32


# ----------------------------------------------------------------- I: full backward hooks
def _hooked(lib, forward):
    class Module(lib.nn.Module):
        def forward(self, a, b):
            return forward(a, b)

    module, seen = Module(), []
    module.register_full_backward_hook(lambda mod, grad_input, grad_output: seen.append(
        grad_input))
    return module, seen


@pytest.mark.parametrize("lib", LIBS)
def test_full_backward_hook_gives_zeros_for_an_input_needing_no_grad(lib):
    module, seen = _hooked(lib, lambda a, b: a * b * 2)
    module(lib.tensor([1.0, 2.0], requires_grad=True), lib.tensor([3.0, 4.0])).sum().backward()
    (first, second), = seen
    _close(first, [6.0, 8.0])
    _close(second, [0.0, 0.0])
    seen.clear()
    b = lib.tensor([3, 4])  # an integer tensor: zeros of its dtype
    module(lib.tensor([1.0, 2.0], requires_grad=True), b).sum().backward()
    assert seen[0][1].dtype == b.dtype and seen[0][1].tolist() == [0, 0]


@pytest.mark.parametrize("lib", LIBS)
def test_full_backward_hook_none_for_numbers_and_when_no_input_needs_grad(lib):
    module, seen = _hooked(lib, lambda a, k: a * k)
    module(lib.tensor([1.0, 2.0], requires_grad=True), 3.0).sum().backward()
    assert seen[0][1] is None
    _close(seen[0][0], [3.0, 3.0])
    weight = lib.nn.Parameter(lib.ones(2))
    module, seen = _hooked(lib, lambda a, b: a * b * weight)
    with pytest.warns(UserWarning, match="no inputs require gradients"):
        module(lib.ones(2), lib.ones(2)).sum().backward()
    assert seen == [(None, None)]


@pytest.mark.parametrize("lib", LIBS)
def test_full_backward_hook_replacement_ignores_the_zeros_entry(lib):
    module, seen = _hooked(lib, lambda a, b: a * b * 2)
    module.register_full_backward_hook(lambda mod, gi, go: (gi[0] * 10, gi[1] + 1))
    x = lib.ones(2, requires_grad=True)
    module(x, lib.ones(2)).sum().backward()
    _close(x.grad, [20.0, 20.0])


# ----------------------------------------------------------------- J: torch.autograd.graph
def _listed(grads):
    return [None if g is None else g.tolist() for g in grads]


@pytest.mark.parametrize("lib", LIBS)
def test_multi_grad_hook_all(lib):
    a, b = lib.tensor([1.0, 2.0], requires_grad=True), lib.tensor([3.0, 4.0], requires_grad=True)
    c, d = a * b, a * b
    calls = []
    handle = lib.autograd.graph.register_multi_grad_hook(
        (a, b, c, d), lambda grads: calls.append(_listed(grads)))
    c.sum().backward(retain_graph=True)
    assert calls == [[[3.0, 4.0], [1.0, 2.0], [1.0, 1.0], None]]  # d: not in this pass
    calls.clear()
    (c.sum() + d.sum()).backward(retain_graph=True)
    assert calls == [[[6.0, 8.0], [2.0, 4.0], [1.0, 1.0], [1.0, 1.0]]]
    calls.clear()
    handle.remove()
    c.sum().backward()
    assert calls == []


@pytest.mark.parametrize("lib", LIBS)
def test_multi_grad_hook_any_once_per_pass(lib):
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    c = a * 2
    calls = []
    lib.autograd.graph.register_multi_grad_hook((a, c), lambda g: calls.append(g.tolist()),
                                               mode="any")
    (c * 3).sum().backward(retain_graph=True)
    (c * 3).sum().backward()
    assert calls == [[3.0, 3.0], [3.0, 3.0]]  # c's, the first computed, once each pass
    with pytest.raises(ValueError, match="Expects mode to be one of"):
        lib.autograd.graph.register_multi_grad_hook((a,), print, mode="some")


@pytest.mark.parametrize("lib", LIBS)
def test_graph_node_and_increment_version(lib):
    a = lib.tensor([1.0, 2.0], requires_grad=True)
    c = a * 2
    assert isinstance(c.grad_fn, lib.autograd.graph.Node)
    assert isinstance(c.grad_fn.next_functions[0][0], lib.autograd.graph.Node)  # AccumulateGrad
    assert not isinstance(a, lib.autograd.graph.Node)
    y = a * 1
    z = y * y
    before = y._version
    lib.autograd.graph.increment_version(y)
    assert y._version == before + 1
    with pytest.raises(RuntimeError, match="modified by an in"):
        z.sum().backward()


# ----------------------------------------------------------------- F: once_differentiable
def _once(lib):
    class Square(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 2

        @staticmethod
        @lib.autograd.function.once_differentiable
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return g * 2 * x

    return Square


@pytest.mark.parametrize("lib", LIBS)
def test_once_differentiable_gradient_is_a_constant_or_raises(lib):
    x = _x(lib)
    g, = lib.autograd.grad(_once(lib).apply(x).sum(), x, create_graph=True)
    _close(g, [2.0, 4.0, 6.0])
    assert not g.requires_grad  # the seed needs no grad: nothing to differentiate
    g, = lib.autograd.grad((_once(lib).apply(x) * x).sum(), x, create_graph=True)
    assert g.requires_grad  # x ** 2 (the product's other path) is differentiable ...
    with pytest.raises(RuntimeError, match="trying to differentiate twice a function that "
                                           "was marked with @once_differentiable"):
        g.sum().backward()  # ... but the path through Square.backward raises
