"""`torch.autograd`'s names on `tg.autograd`: gradcheck / gradgradcheck in PyTorch's
signatures, Variable, backward, the grad and anomaly modes, and `autograd.functional`
(jacobian, hessian, vjp, jvp, hvp, vhp). Values against hand-computed derivatives, and
values and structures against PyTorch where it is installed."""

from __future__ import annotations

import importlib
import threading

import numpy as np
import pytest

import tinygrad_np as tg
from tinygrad_np import function
from tinygrad_np.anomaly import forward_anomaly
from tinygrad_np.tensor import Tensor

AF = tg.autograd.functional


def f64(values, requires_grad=False):
    return tg.tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


def same(ours, theirs, atol=1e-10):
    """Same nesting of tuples, same shapes, same values (ours tg, theirs torch)."""
    if isinstance(theirs, tuple):
        assert isinstance(ours, tuple) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            same(a, b, atol)
        return
    assert isinstance(ours, Tensor), type(ours)
    assert tuple(ours.shape) == tuple(theirs.shape)
    np.testing.assert_allclose(ours._data, theirs.detach().numpy(), atol=atol)


# ----------------------------------------------------------------- the names
def test_names_reachable_every_way():
    from tinygrad_np.autograd.functional import hessian, jacobian

    import tinygrad_np.autograd as engine
    from tinygrad_np.autograd import Variable, backward, gradcheck, set_detect_anomaly

    assert engine is tg.autograd and engine.gradcheck is gradcheck
    assert Variable and backward and set_detect_anomaly
    assert jacobian is AF.jacobian and hessian is AF.hessian
    assert importlib.import_module("tinygrad_np.autograd.functional") is AF
    for name in ("gradgradcheck", "detect_anomaly", "no_grad", "enable_grad",
                 "set_grad_enabled", "inference_mode", "grad", "Function"):
        assert callable(getattr(tg.autograd, name)), name
    assert tg.autograd.grad_mode.no_grad is tg.no_grad
    assert tg.autograd.anomaly_mode.set_detect_anomaly is tg.autograd.set_detect_anomaly
    for name in ("jacobian", "hessian", "vjp", "jvp", "hvp", "vhp"):
        assert callable(getattr(AF, name)), name


def test_signatures_match_pytorch():
    torch = pytest.importorskip("torch")
    import inspect

    for name in ("gradcheck", "gradgradcheck", "backward"):
        ours = inspect.signature(getattr(tg.autograd, name)).parameters
        theirs = inspect.signature(getattr(torch.autograd, name)).parameters
        assert list(ours) == list(theirs), name
        assert [p.kind for p in ours.values()] == [p.kind for p in theirs.values()], name
    for name in ("jacobian", "hessian", "vjp", "jvp", "hvp", "vhp"):
        ours = inspect.signature(getattr(AF, name)).parameters
        theirs = inspect.signature(getattr(torch.autograd.functional, name)).parameters
        assert list(ours) == list(theirs), name
        assert [p.default for p in ours.values()] == [p.default for p in theirs.values()], name


# ----------------------------------------------------------------- gradcheck
class WrongSquare(tg.autograd.Function):
    """x * x with a backward off by a factor of 3/2."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return grad_output * 3 * x


class FrozenCube(tg.autograd.Function):
    """x ** 3 with a right backward that is not differentiable correctly: x is kept detached
    on ctx, a constant to create_graph, so the second derivative loses 6x (kept as it is,
    `ctx.x = x` would be the graph's x, as in PyTorch)."""

    @staticmethod
    def forward(ctx, x):
        ctx.x = x.detach()
        return x * x * x

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * 3 * ctx.x * ctx.x


def test_gradcheck_tensor_or_tuple_inputs_and_tuple_outputs():
    x = f64([0.3, -1.2, 2.0], requires_grad=True)
    w = f64([[1.0, 2.0], [0.5, -1.0], [3.0, 0.1]], requires_grad=True)
    assert tg.autograd.gradcheck(lambda t: t.sin() * t, x) is True
    assert tg.autograd.gradcheck(lambda a, b: (a @ b, a.exp(), b.sum()), (x, w)) is True
    assert tg.autograd.gradcheck(lambda a, b: a @ b, [x, w], eps=1e-6, atol=1e-5, rtol=1e-3,
                                 nondet_tol=0.0, check_undefined_grad=True,
                                 check_batched_grad=False, fast_mode=True) is True


def test_gradcheck_fails_on_a_wrong_function():
    x = f64([0.5, -1.5, 2.0], requires_grad=True)
    with pytest.raises(tg.autograd.GradcheckError, match="input 0 of shape") as info:
        tg.autograd.gradcheck(WrongSquare.apply, (x,))
    assert isinstance(info.value, RuntimeError)  # as PyTorch's GradcheckError
    assert "WrongSquare" in str(info.value) and info.value.kind == "wrong rule"
    assert tg.autograd.gradcheck(WrongSquare.apply, x, raise_exception=False) is False
    assert tg.autograd.gradcheck(WrongSquare.apply, x, raise_exception=False,
                                 fast_mode=True) is False
    with pytest.raises(RuntimeError, match="output 1 of 2"):  # the wrong output is named
        tg.autograd.gradcheck(lambda t: (t.exp(), WrongSquare.apply(t)), x)


def test_gradcheck_fails_on_a_wrong_function_in_pytorch_too():
    torch = pytest.importorskip("torch")

    class TorchWrongSquare(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return grad_output * 3 * x

    x = torch.tensor([0.5, -1.5, 2.0], dtype=torch.float64, requires_grad=True)
    theirs = torch.autograd.gradcheck(TorchWrongSquare.apply, (x,), raise_exception=False)
    ours = tg.autograd.gradcheck(WrongSquare.apply, (f64(x.detach(), True),),
                                 raise_exception=False)
    assert ours is theirs is False


def test_gradcheck_refuses_inputs_with_nothing_to_check():
    with pytest.raises(ValueError, match="requires_grad"):
        tg.autograd.gradcheck(lambda t: t * 2, f64([1.0]))
    with pytest.raises(TypeError, match="gradcheck: inputs must be a Tensor or a tuple"):
        tg.autograd.gradcheck(lambda t: t, 3.0)
    with pytest.raises(TypeError, match="output 1"):
        tg.autograd.gradcheck(lambda t: (t, 2.0), f64([1.0], True))


def test_gradgradcheck_passes_on_smooth_functions():
    x = f64([0.3, -1.2, 2.0], requires_grad=True)
    y = f64([1.5, 0.2, -0.7], requires_grad=True)
    assert tg.autograd.gradgradcheck(lambda a, b: (a * b).sin(), (x, y)) is True
    assert tg.autograd.gradgradcheck(lambda a: (a ** 3, a.exp().sum()), x) is True
    given = (f64([1.0, -2.0, 0.5], requires_grad=True),)
    assert tg.autograd.gradgradcheck(lambda a: a.tanh(), x, given, fast_mode=True) is True


def test_gradgradcheck_catches_a_backward_that_does_not_differentiate_correctly():
    x = f64([0.5, -1.5, 2.0], requires_grad=True)
    assert tg.autograd.gradcheck(FrozenCube.apply, x)  # the first derivative is right
    with pytest.raises(tg.autograd.GradcheckError, match="gradgradcheck: the first "
                       "derivatives"):
        tg.autograd.gradgradcheck(FrozenCube.apply, x)
    assert tg.autograd.gradgradcheck(FrozenCube.apply, x, raise_exception=False) is False


def test_gradgradcheck_catches_it_in_pytorch_too():
    torch = pytest.importorskip("torch")

    class TorchFrozenCube(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.x = x.detach()
            return x * x * x

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output * 3 * ctx.x * ctx.x

    x = torch.tensor([0.5, -1.5, 2.0], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(TorchFrozenCube.apply, (x,))
    assert torch.autograd.gradgradcheck(TorchFrozenCube.apply, (x,),
                                        raise_exception=False) is False


def test_gradgradcheck_checks_grad_outputs():
    x = f64([0.5, 1.0], requires_grad=True)
    with pytest.raises(ValueError, match="2 grad_outputs for 1 output"):
        tg.autograd.gradgradcheck(lambda a: a * a, x, (f64([1.0, 1.0]), f64([1.0, 1.0])))
    with pytest.raises(ValueError, match=r"shape \(2,\)\) has shape \(3,\)"):
        tg.autograd.gradgradcheck(lambda a: a * a, x, f64([1.0, 1.0, 1.0]))


# ----------------------------------------------------------------- Variable, backward
def test_variable_is_a_detached_tensor_as_in_pytorch_2():
    from tinygrad_np.autograd import Variable

    t = tg.ones(2)
    v = Variable(t)
    assert type(v) is Tensor and v is not t and not v.requires_grad and v.grad_fn is None
    assert np.shares_memory(v._data, t._data)
    w = Variable(t, requires_grad=True)
    assert w.requires_grad and w.is_leaf and not t.requires_grad
    t[0] = 5.0  # same memory, as PyTorch's
    assert w._data[0] == 5.0 and v._data[0] == 5.0
    made = tg.ones(2, requires_grad=True) * 2
    assert not Variable(made).requires_grad and Variable(made).grad_fn is None
    assert isinstance(t, Variable) and tuple(Variable().shape) == (0,)
    with pytest.raises(TypeError, match="Variable: data has to be a Tensor, got list"):
        Variable([1.0, 2.0])


def test_variable_matches_pytorch():
    torch = pytest.importorskip("torch")
    t = torch.ones(2)
    for kwargs in ({}, {"requires_grad": True}):
        theirs = torch.autograd.Variable(t, **kwargs)
        ours = tg.autograd.Variable(tg.ones(2), **kwargs)
        assert (type(theirs) is torch.Tensor) and (type(ours) is Tensor)
        assert ours.requires_grad == theirs.requires_grad and ours.is_leaf == theirs.is_leaf


def test_backward_several_tensors_in_one_pass():
    x = f64([1.0, 2.0, 3.0], requires_grad=True)
    y = f64([0.5, -1.0], requires_grad=True)
    a, b = (x * x).sum(), x[:2] * y
    tg.autograd.backward([a, b], [None, f64([1.0, 10.0])])
    np.testing.assert_allclose(x.grad._data, 2 * x._data + [0.5, -10.0, 0.0])
    np.testing.assert_allclose(y.grad._data, [1.0, 20.0])
    tg.autograd.backward((x * 3).sum())  # accumulates, one tensor alone
    np.testing.assert_allclose(x.grad._data, 2 * x._data + [3.5, -7.0, 3.0])


def test_backward_inputs_retain_grad_and_errors():
    x = f64([1.0, 2.0], requires_grad=True)
    y = f64([3.0, 4.0], requires_grad=True)
    h = x * y
    h.retain_grad()
    tg.autograd.backward(h.sum(), inputs=[x], retain_graph=True)
    np.testing.assert_allclose(x.grad._data, y._data)
    assert y.grad is None  # h asked retain_grad(): its .grad fills too, as PyTorch's
    np.testing.assert_allclose(h.grad._data, [1.0, 1.0])
    tg.autograd.backward(h.sum())
    np.testing.assert_allclose(h.grad._data, [2.0, 2.0])
    np.testing.assert_allclose(y.grad._data, x._data)
    with pytest.raises(ValueError, match="got 2 tensors and 1 gradients"):
        tg.autograd.backward([(x * 2).sum(), (x * 3).sum()], [f64(1.0)])
    with pytest.raises(RuntimeError, match="does not require grad"):
        tg.autograd.backward(f64([1.0]))


def test_backward_create_graph_keeps_the_gradient_differentiable():
    x = f64([1.0, 2.0], requires_grad=True)
    tg.autograd.backward((x ** 3).sum(), create_graph=True)
    assert x.grad.requires_grad
    (second,) = tg.grad(x.grad.sum(), x)
    np.testing.assert_allclose(second._data, 6 * x._data)


def test_backward_matches_pytorch():
    torch = pytest.importorskip("torch")
    values = np.array([[0.3, -1.0], [2.0, 0.5]])
    weights = np.array([1.0, -2.0])
    results = []
    for lib, make in ((tg, lambda v: f64(v, True)),
                      (torch, lambda v: torch.tensor(v, requires_grad=True))):
        x = make(values)
        seed = lib.tensor(weights)
        outputs = [(x * x).sum(), x.sin() @ lib.tensor(weights)]
        lib.autograd.backward(outputs, grad_tensors=[None, seed])
        results.append(np.asarray(x.grad.detach().numpy() if lib is torch else x.grad._data))
    np.testing.assert_allclose(*results)


# ----------------------------------------------------------------- anomaly mode
def test_set_detect_anomaly_sets_now_and_restores_as_a_context():
    observers = len(function.observers)
    assert not tg.is_anomaly_enabled()
    tg.autograd.set_detect_anomaly(True)
    try:
        assert tg.is_anomaly_enabled()
        with np.errstate(divide="ignore"):  # the forward pass does not raise (PyTorch)
            y = tg.tensor([0.0, 1.0], requires_grad=True).log()
        assert forward_anomaly(y).startswith("Log produced Inf")
        with tg.autograd.set_detect_anomaly(False):
            assert not tg.is_anomaly_enabled()
        assert tg.is_anomaly_enabled()
    finally:
        tg.autograd.set_detect_anomaly(False)
    assert not tg.is_anomaly_enabled() and len(function.observers) == observers
    with tg.autograd.set_detect_anomaly(True):
        assert tg.is_anomaly_enabled()
    assert not tg.is_anomaly_enabled() and len(function.observers) == observers
    with tg.autograd.set_detect_anomaly(True, check_nan=False):
        assert tg.is_anomaly_enabled() and not tg.is_anomaly_check_nan_enabled()  # PyTorch's
    with tg.autograd.detect_anomaly():
        assert tg.is_anomaly_enabled()


def test_set_detect_anomaly_in_a_thread_does_not_leak_to_another():
    observers = len(function.observers)
    seen, ready, checked = {}, threading.Event(), threading.Event()

    def switcher():
        tg.autograd.set_detect_anomaly(True)
        seen["switcher"] = tg.is_anomaly_enabled()
        ready.set()
        checked.wait(5)  # ends with the mode still on: its thread's state goes with it

    def other():
        ready.wait(5)
        seen["other"] = tg.is_anomaly_enabled()
        with np.errstate(divide="ignore"):
            seen["value"] = tg.tensor([0.0], requires_grad=True).log()._data[0]  # no raise
        checked.set()

    threads = [threading.Thread(target=switcher), threading.Thread(target=other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen["switcher"] is True and seen["other"] is False and seen["value"] == -np.inf
    assert not tg.is_anomaly_enabled()
    assert len(function.observers) == observers  # removed when the thread ended


def test_grad_modes_under_autograd():
    x = f64([1.0], requires_grad=True)
    with tg.autograd.no_grad():
        assert not (x * 2).requires_grad
        with tg.autograd.enable_grad():
            assert (x * 2).requires_grad
    with tg.autograd.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    with tg.autograd.inference_mode():
        assert not (x * 2).requires_grad
    with tg.autograd.grad_mode.no_grad():
        assert not (x * 2).requires_grad


# ----------------------------------------------------------------- functional: by hand
def test_jacobian_by_hand():
    x = f64([1.0, 2.0, -3.0])
    jac = AF.jacobian(lambda t: t * t, x)
    np.testing.assert_allclose(jac._data, np.diag(2 * x._data))
    assert not jac.requires_grad and not x.requires_grad
    a, b = f64([[1.0, 2.0], [3.0, 4.0]]), f64([0.5, -1.0])
    (ja, jb), (ka, kb) = AF.jacobian(lambda p, q: (p @ q, (p * p).sum()), (a, b))
    assert ja.shape == (2, 2, 2) and jb.shape == (2, 2) and ka.shape == (2, 2)
    assert kb.shape == (2,)
    np.testing.assert_allclose(jb._data, a._data)  # d(a @ b)/db = a
    np.testing.assert_allclose(ja._data[1], [[0.0, 0.0], [0.5, -1.0]])  # row 1 sees a[1] only
    np.testing.assert_allclose(ka._data, 2 * a._data)
    np.testing.assert_allclose(kb._data, [0.0, 0.0])  # independent: zeros (not strict)


def test_hessian_by_hand():
    x, y = f64([1.0, 2.0]), f64([3.0])
    hess = AF.hessian(lambda t: (t ** 3).sum(), x)
    np.testing.assert_allclose(hess._data, np.diag(6 * x._data))
    (hxx, hxy), (hyx, hyy) = AF.hessian(lambda a, b: (a * a).sum() * b.sum(), (x, y))
    assert hxx.shape == (2, 2) and hxy.shape == (2, 1) and hyx.shape == (1, 2)
    assert hyy.shape == (1, 1)
    np.testing.assert_allclose(hxx._data, 2 * 3.0 * np.eye(2))
    np.testing.assert_allclose(hxy._data, (2 * x._data)[:, None])
    np.testing.assert_allclose(hyx._data, (2 * x._data)[None, :])
    np.testing.assert_allclose(hyy._data, [[0.0]])


def test_products_by_hand():
    x = f64([1.0, 2.0])
    v = f64([1.0, -1.0])
    out, product = AF.vjp(lambda t: t ** 2, x, v)
    np.testing.assert_allclose(out._data, [1.0, 4.0])
    np.testing.assert_allclose(product._data, 2 * x._data * v._data)
    matrix = f64([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    out, product = AF.jvp(lambda t: matrix @ t, x, v)
    np.testing.assert_allclose(product._data, matrix._data @ v._data)
    assert out.shape == (3,) and product.shape == (3,)
    cubic = lambda t: (t[0] ** 2 * t[1]).sum()  # noqa: E731  H = [[2t1, 2t0], [2t0, 0]]
    hess = np.array([[2 * 2.0, 2 * 1.0], [2 * 1.0, 0.0]])
    for product_of in (AF.hvp, AF.vhp):
        out, product = product_of(cubic, x, v)
        np.testing.assert_allclose(out._data, 2.0)
        np.testing.assert_allclose(product._data, hess @ v._data)
    _, scalar = AF.jvp(lambda t: t.exp(), f64(0.0))  # v may be left out for one element
    np.testing.assert_allclose(scalar._data, 1.0)


def test_create_graph_results_are_differentiable():
    x = f64([1.0, 2.0], requires_grad=True)
    jac = AF.jacobian(lambda t: t ** 3, x, create_graph=True)
    assert jac.requires_grad
    (second,) = tg.grad(jac.sum(), x)
    np.testing.assert_allclose(second._data, 6 * x._data)
    _, product = AF.vjp(lambda t: t ** 3, x, f64([1.0, 1.0]), create_graph=True)
    (second,) = tg.grad(product.sum(), x)
    np.testing.assert_allclose(second._data, 6 * x._data)
    _, product = AF.jvp(lambda t: t ** 3, x, f64([1.0, 1.0]), create_graph=True)
    (second,) = tg.grad(product.sum(), x)
    np.testing.assert_allclose(second._data, 6 * x._data)
    hess = AF.hessian(lambda t: (t ** 3).sum(), x, create_graph=True)
    (third,) = tg.grad(hess.sum(), x)
    np.testing.assert_allclose(third._data, [6.0, 6.0])
    _, plain = AF.vjp(lambda t: t ** 3, x, f64([1.0, 1.0]))
    assert not plain.requires_grad


def test_strict_raises_for_an_independent_output():
    x, y = f64([1.0, 2.0]), f64([3.0])
    with pytest.raises(RuntimeError, match="Output 0 of the user-provided function is "
                       "independent of input 1"):
        AF.jacobian(lambda a, b: a * 2, (x, y), strict=True)
    with pytest.raises(RuntimeError, match="independent of input 1"):
        AF.vjp(lambda a, b: a.sum(), (x, y), strict=True)
    with pytest.raises(RuntimeError, match="does not require gradients"):
        AF.jacobian(lambda a: tg.ones(2), x, strict=True)
    with pytest.raises(RuntimeError, match="independent of the input"):
        AF.hessian(lambda a: (a * 2).sum(), x, strict=True)  # linear: constant jacobian
    zeros = AF.jacobian(lambda a, b: a * 2, (x, y))[1]
    np.testing.assert_allclose(zeros._data, np.zeros((2, 1)))


def test_functional_errors_name_the_function_argument_and_shapes():
    x = f64([1.0, 2.0])
    with pytest.raises(TypeError, match="jacobian: inputs must be a Tensor or a tuple"):
        AF.jacobian(lambda t: t, [x])
    with pytest.raises(RuntimeError, match=r"vjp: v has invalid size: should be \(2,\).* got "
                       r"\(3,\)"):
        AF.vjp(lambda t: t * 2, x, f64([1.0, 2.0, 3.0]))
    with pytest.raises(RuntimeError, match=r"vjp: v can only be None .* shapes \[\(2,\)\]"):
        AF.vjp(lambda t: t * 2, x)
    with pytest.raises(RuntimeError, match=r"hessian: the Tensor returned .* shape \(2,\)"):
        AF.hessian(lambda t: t * 2, x)
    with pytest.raises(RuntimeError, match="hvp: the function should return a single Tensor"):
        AF.hvp(lambda t: (t.sum(), t.sum()), x, x)
    with pytest.raises(TypeError, match="jacobian: input 0 has dtype int64"):
        AF.jacobian(lambda t: t, tg.tensor([1, 2]))
    with pytest.raises(ValueError, match="strategy"):
        AF.jacobian(lambda t: t, x, strategy="sideways")


# ----------------------------------------------------------------- functional: PyTorch
def _pair(torch, values):
    return f64(values), torch.tensor(np.asarray(values, dtype=np.float64))


def test_jacobian_and_hessian_structures_match_pytorch():
    torch = pytest.importorskip("torch")
    (a, ta), (b, tb) = _pair(torch, [[0.3, -1.0, 2.0], [1.5, 0.2, -0.4]]), _pair(torch, [0.7, 2.0])

    def single(p):
        return p.sin() * 2

    def two_outputs(p, q):
        return (p.sum(0) * q.sum(), (p ** 2).sum(1) * q)

    def scalar(p, q):
        return ((p ** 2).sum(1) * q.exp()).sum()

    same(AF.jacobian(single, a), torch.autograd.functional.jacobian(single, ta))
    same(AF.jacobian(two_outputs, (a, b)),
         torch.autograd.functional.jacobian(two_outputs, (ta, tb)))
    same(AF.jacobian(lambda p: (p.exp(), p.sum()), a),
         torch.autograd.functional.jacobian(lambda p: (p.exp(), p.sum()), ta))
    same(AF.jacobian(lambda p, q: p @ p.T @ q, (a, b)),
         torch.autograd.functional.jacobian(lambda p, q: p @ p.T @ q, (ta, tb)))
    same(AF.hessian(scalar, (a, b)), torch.autograd.functional.hessian(scalar, (ta, tb)))
    same(AF.hessian(lambda p: (p ** 3).sum(), a),
         torch.autograd.functional.hessian(lambda p: (p ** 3).sum(), ta))
    single_tuple = (AF.hessian(lambda p: (p ** 3).sum(), (a,)),
                    torch.autograd.functional.hessian(lambda p: (p ** 3).sum(), (ta,)))
    same(*single_tuple)


def test_vector_products_match_pytorch():
    torch = pytest.importorskip("torch")
    (a, ta), (b, tb) = _pair(torch, [[0.3, -1.0], [1.5, 0.2]]), _pair(torch, [0.7, 2.0])
    (va, tva), (vb, tvb) = _pair(torch, [[1.0, 2.0], [-1.0, 0.5]]), _pair(torch, [0.3, -2.0])

    def two_outputs(p, q):
        return (p @ q, (p * p).sum() + q.sin().sum())

    def scalar(p, q):
        return (p.sin() @ q ** 2).sum()

    TF = torch.autograd.functional
    (u, tu), (w, tw) = _pair(torch, [1.0, -1.0]), _pair(torch, 2.0)
    same(AF.vjp(two_outputs, (a, b), (u, w)), TF.vjp(two_outputs, (ta, tb), (tu, tw)))
    same(AF.jvp(two_outputs, (a, b), (va, vb)), TF.jvp(two_outputs, (ta, tb), (tva, tvb)))
    same(AF.jvp(lambda p: p.exp(), a, va), TF.jvp(lambda p: p.exp(), ta, tva))
    same(AF.vjp(lambda p: p.exp().sum(), a), TF.vjp(lambda p: p.exp().sum(), ta))
    for name in ("hvp", "vhp"):
        same(getattr(AF, name)(scalar, (a, b), (va, vb)),
             getattr(TF, name)(scalar, (ta, tb), (tva, tvb)))
        same(getattr(AF, name)(lambda p: (p ** 3).sum(), a, va),
             getattr(TF, name)(lambda p: (p ** 3).sum(), ta, tva))


def test_strict_and_independent_outputs_match_pytorch():
    torch = pytest.importorskip("torch")
    (x, tx), (y, ty) = _pair(torch, [1.0, 2.0]), _pair(torch, [3.0])
    TF = torch.autograd.functional
    same(AF.jacobian(lambda p, q: p * 2, (x, y)), TF.jacobian(lambda p, q: p * 2, (tx, ty)))
    same(AF.vjp(lambda p, q: p.sum(), (x, y)), TF.vjp(lambda p, q: p.sum(), (tx, ty)))
    for ours, theirs in (
        (lambda: AF.jacobian(lambda p, q: p * 2, (x, y), strict=True),
         lambda: TF.jacobian(lambda p, q: p * 2, (tx, ty), strict=True)),
        (lambda: AF.vjp(lambda p, q: p.sum(), (x, y), strict=True),
         lambda: TF.vjp(lambda p, q: p.sum(), (tx, ty), strict=True)),
        (lambda: AF.jvp(lambda p, q: p * 2, (x, y), (x, y), strict=True),
         lambda: TF.jvp(lambda p, q: p * 2, (tx, ty), (tx, ty), strict=True)),
        (lambda: AF.hessian(lambda p: p.sum() * 2, x, strict=True),
         lambda: TF.hessian(lambda p: p.sum() * 2, tx, strict=True)),
    ):
        with pytest.raises(RuntimeError) as theirs_error:
            theirs()
        with pytest.raises(RuntimeError) as ours_error:
            ours()
        assert str(ours_error.value).split(".")[0] == str(theirs_error.value).split(".")[0]


def test_gradcheck_skips_tuple_outputs_outside_the_graph_as_pytorch():
    x = tg.tensor([0.3, -1.2], dtype=tg.float64, requires_grad=True)
    assert tg.autograd.gradcheck(lambda x: (x.sin(), x.detach() * 2), (x,),
                                 raise_exception=False)
