"""`torch.autograd.Function` as PyTorch's: custom functions written for PyTorch (the
"Defining new autograd functions" tutorial and its neighbours) run unchanged after
`import tinygrad_np as torch`. forward and backward get Tensors; the engine's checks
(version counters, saved inputs and outputs, create_graph) keep working behind them.

Every gradient is checked against float64 central differences; where PyTorch is installed,
the torch tests run the very same classes under real torch and compare.
"""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as torch_np
from tinygrad_np.autograd import Function, grad, gradcheck, gradgradcheck


# ----------------------------------------------------------------- the functions, for any torch
def define(torch):
    """The custom functions, defined against `torch` (tinygrad_np or PyTorch)."""

    class MyReLU(torch.autograd.Function):
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return input.clamp(min=0)

        @staticmethod
        def backward(ctx, grad_output):
            (input,) = ctx.saved_tensors
            grad_input = grad_output.clone()
            grad_input[input < 0] = 0
            return grad_input

    class LinearFunction(torch.autograd.Function):
        @staticmethod
        def forward(ctx, input, weight, bias=None):
            ctx.save_for_backward(input, weight, bias)
            output = input.mm(weight.t())
            if bias is not None:
                output += bias.unsqueeze(0).expand_as(output)
            return output

        @staticmethod
        def backward(ctx, grad_output):
            input, weight, bias = ctx.saved_tensors
            grad_input = grad_weight = grad_bias = None
            if ctx.needs_input_grad[0]:
                grad_input = grad_output.mm(weight)
            if ctx.needs_input_grad[1]:
                grad_weight = grad_output.t().mm(input)
            if bias is not None and ctx.needs_input_grad[2]:
                grad_bias = grad_output.sum(0)
            return grad_input, grad_weight, grad_bias

    class Exp(torch.autograd.Function):
        @staticmethod
        def forward(ctx, i):
            result = i.exp()
            ctx.save_for_backward(result)
            return result

        @staticmethod
        def backward(ctx, grad_output):
            (result,) = ctx.saved_tensors
            return grad_output * result

    class MulConstant(torch.autograd.Function):
        @staticmethod
        def forward(ctx, tensor, constant, mode):
            ctx.constant, ctx.mode = constant, mode
            return tensor.mul(constant) if mode == "mul" else tensor.div(constant)

        @staticmethod
        def backward(ctx, grad_output):
            scale = ctx.constant if ctx.mode == "mul" else 1.0 / ctx.constant
            return grad_output * scale, None, None

    class Cube(torch.autograd.Function):  # saves its input: twice differentiable
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.pow(3)

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return grad_output.mul(x.pow(2)).mul(3)

    class Round(torch.autograd.Function):  # a step function: its output has no gradient
        @staticmethod
        def forward(ctx, x):
            out = x.round()
            ctx.mark_non_differentiable(out)
            return out

        @staticmethod
        def backward(ctx, grad_output):
            raise AssertionError("backward of a non-differentiable output")

    class SimpleFunc(torch.autograd.Function):  # the tutorial's set_materialize_grads example
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            ctx.save_for_backward(x)
            return x.clone() * 2

        @staticmethod
        @torch.autograd.function.once_differentiable
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            grad_input = torch.zeros_like(x)
            if g is not None:
                grad_input += 2 * g
            return grad_input

    class LinearSetup(torch.autograd.Function):  # PyTorch 2: forward without ctx
        @staticmethod
        def forward(input, weight, bias):
            return input.mm(weight.t()) + bias

        @staticmethod
        def setup_context(ctx, inputs, output):
            input, weight, bias = inputs
            ctx.save_for_backward(input, weight)

        @staticmethod
        def backward(ctx, grad_output):
            input, weight = ctx.saved_tensors
            return grad_output.mm(weight), grad_output.t().mm(input), grad_output.sum(0)

    class DoubleInPlace(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.mul_(2)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, grad_output):
            return grad_output * 2

    return dict(MyReLU=MyReLU, LinearFunction=LinearFunction, Exp=Exp, MulConstant=MulConstant,
                Cube=Cube, Round=Round, SimpleFunc=SimpleFunc, LinearSetup=LinearSetup,
                DoubleInPlace=DoubleInPlace)


OURS = define(torch_np)
RNG = np.random.default_rng(7)
X = RNG.standard_normal((4, 3))
W = RNG.standard_normal((2, 3))
B = RNG.standard_normal(2)


def leaf(values: np.ndarray) -> torch_np.Tensor:
    return torch_np.tensor(values, dtype=torch_np.float64, requires_grad=True)


def central(f, *values: np.ndarray, eps: float = 1e-6) -> list[np.ndarray]:
    """d sum(f(*values)) / d values[k], by float64 central differences, for every k."""
    grads = []
    for k, value in enumerate(values):
        g = np.zeros_like(value)
        for index in np.ndindex(value.shape):
            shifted = [v.copy() for v in values]
            shifted[k][index] += eps
            up = np.sum(f(*shifted))
            shifted[k][index] -= 2 * eps
            g[index] = (up - np.sum(f(*shifted))) / (2 * eps)
        grads.append(g)
    return grads


def values_of(fn, *arrays):
    """fn on leaves of `arrays`: (output values, gradients of output.sum())."""
    leaves = [leaf(a) for a in arrays]
    out = fn(*leaves)
    out.sum().backward()
    return out.detach().numpy(), [t.grad.numpy() for t in leaves]


# ----------------------------------------------------------------- tutorial functions
def test_my_relu_from_the_tutorial():
    x = X.copy()
    x[0, 0] = 0.0  # the kink: PyTorch's rule gives 1 there (only input < 0 is zeroed)
    out, (gx,) = values_of(OURS["MyReLU"].apply, x)
    np.testing.assert_array_equal(out, np.maximum(x, 0))
    np.testing.assert_array_equal(gx, (x >= 0).astype(float))
    y = OURS["MyReLU"].apply(leaf(x))
    assert isinstance(y.grad_fn, OURS["MyReLU"]) and y.requires_grad


def test_linear_function_from_the_tutorial():
    out, grads = values_of(OURS["LinearFunction"].apply, X, W, B)
    np.testing.assert_allclose(out, X @ W.T + B, rtol=1e-12)
    expected = central(lambda x, w, b: x @ w.T + b, X, W, B)
    for got, want in zip(grads, expected):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)
    # needs_input_grad: an input that needs no gradient gets none (and bias may be left out)
    x, w = torch_np.tensor(X), leaf(W)
    OURS["LinearFunction"].apply(x, w).sum().backward()
    assert x.grad is None
    np.testing.assert_allclose(w.grad.numpy(), expected[1], rtol=1e-6)
    assert OURS["LinearFunction"].apply(x, w, bias=torch_np.tensor(B)).shape == (4, 2)


def test_forward_and_backward_get_tensors():
    seen = {}

    class Probe(Function):
        @staticmethod
        def forward(ctx, x, scale):
            seen["forward"] = (type(x), x.requires_grad, torch_np.is_grad_enabled(), scale)
            ctx.save_for_backward(x)
            return x * scale

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            seen["backward"] = (type(g), type(x))
            return g * ctx.needs_input_grad[1] + g * 2, None

    x = leaf(X)
    Probe.apply(x, 2).sum().backward()
    assert seen["forward"] == (torch_np.Tensor, True, False, 2)  # the caller's x, as PyTorch
    assert seen["backward"] == (torch_np.Tensor, torch_np.Tensor)
    np.testing.assert_array_equal(x.grad.numpy(), np.full_like(X, 2.0))


def test_exp_saving_its_output():
    Exp = OURS["Exp"]
    out, (gx,) = values_of(Exp.apply, X)
    np.testing.assert_allclose(out, np.exp(X), rtol=1e-12)
    np.testing.assert_allclose(gx, central(np.exp, X)[0], rtol=1e-6)
    x = leaf(X)
    y = Exp.apply(x)
    assert y.grad_fn.saved_slots == (-1,)  # the engine knows the saved Tensor is the output
    with torch_np.no_grad():
        y.add_(1.0)  # ... so an in-place change of it is caught
    with pytest.raises(RuntimeError, match="Exp(Backward)? saved for backward.*its output"):
        y.sum().backward()


def test_non_tensor_arguments():
    MulConstant = OURS["MulConstant"]
    for mode, factor in (("mul", 2.5), ("div", 1 / 2.5)):
        out, (gx,) = values_of(lambda t, mode=mode: MulConstant.apply(t, 2.5, mode), X)
        np.testing.assert_allclose(out, X * factor, rtol=1e-12)
        np.testing.assert_allclose(gx, np.full_like(X, factor), rtol=1e-12)
    assert gradcheck(lambda t: MulConstant.apply(t, 3, "mul"), (leaf(X),))


def test_mark_non_differentiable():
    x = leaf(X * 3)
    y = OURS["Round"].apply(x)
    assert not y.requires_grad and y.grad_fn is None
    np.testing.assert_array_equal(y.numpy(), np.round(X * 3))
    (x * y).sum().backward()  # the rounded values are constants: d/dx (x * round(x)) = round(x)
    np.testing.assert_array_equal(x.grad.numpy(), np.round(X * 3))


def test_set_materialize_grads_and_once_differentiable():
    out, (gx,) = values_of(OURS["SimpleFunc"].apply, X)
    np.testing.assert_array_equal(out, 2 * X)
    np.testing.assert_array_equal(gx, np.full_like(X, 2.0))
    x = leaf(X)
    seed = torch_np.ones(4, 3, dtype=torch_np.float64, requires_grad=True)
    (first,) = grad(OURS["SimpleFunc"].apply(x), x, seed, create_graph=True)
    np.testing.assert_array_equal(first.detach().numpy(), np.full_like(X, 2.0))
    with pytest.raises(RuntimeError, match="once_differentiable.*SimpleFunc"):
        first.sum().backward()


def test_gradcheck_names_a_wrong_custom_function():
    class BadReLU(Function):
        @staticmethod
        def forward(ctx, input):
            ctx.save_for_backward(input)
            return input.clamp(min=0)

        @staticmethod
        def backward(ctx, grad_output):
            (input,) = ctx.saved_tensors
            grad_input = grad_output.clone() * 1.5
            grad_input[input < 0] = 0
            return grad_input

    x = torch_np.tensor([0.5, -1.0, 2.0], dtype=torch_np.float64, requires_grad=True)
    with pytest.raises(torch_np.autograd.GradcheckError, match="the wrong rule is BadReLU"):
        gradcheck(lambda t: BadReLU.apply(t * 2).sin(), (x,))


def test_setup_context_style():
    out, grads = values_of(OURS["LinearSetup"].apply, X, W, B)
    np.testing.assert_allclose(out, X @ W.T + B, rtol=1e-12)
    for got, want in zip(grads, central(lambda x, w, b: x @ w.T + b, X, W, B)):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-8)
    assert gradcheck(OURS["LinearSetup"].apply, (leaf(X), leaf(W), leaf(B)))


def test_mark_dirty_returns_the_input_tensor():
    x = leaf(X)
    a = x * 1.0
    b = OURS["DoubleInPlace"].apply(a)
    assert b is a and isinstance(a.grad_fn, OURS["DoubleInPlace"])
    np.testing.assert_array_equal(a.detach().numpy(), 2 * X)
    (b * b).sum().backward()  # d/dx (2x)^2 = 8x
    np.testing.assert_allclose(x.grad.numpy(), 8 * X, rtol=1e-12)
    with pytest.raises(RuntimeError, match="DoubleInPlace.*leaf"):
        OURS["DoubleInPlace"].apply(leaf(X))


def test_gradcheck_through_custom_functions():
    x, w, b = leaf(X), leaf(W), leaf(B)
    assert gradcheck(OURS["MyReLU"].apply, (x,))
    assert gradcheck(OURS["LinearFunction"].apply, (x, w, b))
    assert gradcheck(OURS["Exp"].apply, (x,))
    assert gradgradcheck(OURS["LinearFunction"].apply, (x, w, b))
    assert gradgradcheck(OURS["Exp"].apply, (x,))
    assert gradgradcheck(OURS["Cube"].apply, (x,))


def test_double_backward_through_custom_functions():
    for name, f, df in (("Cube", lambda v: v ** 3, lambda v: 3 * v ** 2),
                        ("Exp", np.exp, np.exp)):
        x = leaf(X)
        (first,) = grad(OURS[name].apply(x).sum(), x, create_graph=True)
        assert first.requires_grad
        np.testing.assert_allclose(first.detach().numpy(), central(f, X)[0], rtol=1e-6,
                                   atol=1e-8)
        (second,) = grad(first.sum(), x)
        np.testing.assert_allclose(second.numpy(), central(df, X)[0], rtol=1e-6, atol=1e-8)
        y = leaf(X)
        OURS[name].apply(y).sum().backward(create_graph=True)
        y.grad.sum().backward()
        np.testing.assert_allclose(y.grad.detach().numpy(), df(X) + central(df, X)[0],
                                   rtol=1e-6, atol=1e-8)


def test_contract_errors_name_the_op():
    class TooMany(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g, g

    class WrongShape(Function):
        @staticmethod
        def forward(ctx, x):
            return x.sum()

        @staticmethod
        def backward(ctx, g):
            return g.expand(5, 5)

    class SavesANumber(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(3)
            return x * 2

    class SavesDerived(Function):
        @staticmethod
        def forward(ctx, x):
            s = x.sin()
            ctx.save_for_backward(s)
            return s * 2

        @staticmethod
        def backward(ctx, g):
            (s,) = ctx.saved_tensors
            return g * 2 * (1 - s * s) ** 0.5

    class TwoOutputs(Function):
        @staticmethod
        def forward(ctx, x):
            return x.sort()[0], x.argsort()

    values, order = TwoOutputs.apply(leaf(X))  # several outputs, as PyTorch (the indices:
    assert values.requires_grad and not order.requires_grad  # an int, no gradient)
    with pytest.raises(RuntimeError, match=r"function TooManyBackward returned an "
                                           r"incorrect number of gradients \(expected 1, got 2\)"):
        TooMany.apply(leaf(X)).sum().backward()
    with pytest.raises(ValueError, match=r"WrongShapeBackward.backward returned a gradient of"):
        WrongShape.apply(leaf(X)).backward()
    with pytest.raises(TypeError, match="can only save variables.*SavesANumber.save_for_backward"):
        SavesANumber.apply(leaf(X))
    x = leaf(X)
    SavesDerived.apply(x).sum().backward()  # fine without create_graph
    with pytest.raises(RuntimeError, match="create_graph through SavesDerived"):
        grad(SavesDerived.apply(x).sum(), x, create_graph=True)


def test_array_style_subclasses_keep_working():
    class Softplus(Function):  # NumPy functions and arrays, as written for the array engine
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return np.logaddexp(0.0, x)

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return grad_output * np.where(np.asarray(x) > 0, 1.0, 1.0) / (1 + np.exp(-x))

    out, (gx,) = values_of(Softplus.apply, X)
    np.testing.assert_allclose(out, np.logaddexp(0.0, X), rtol=1e-12)
    np.testing.assert_allclose(gx, central(lambda v: np.logaddexp(0.0, v), X)[0], rtol=1e-6)
    assert torch_np.Function is torch_np.function.Function  # the engine's class is unchanged
    assert Function is not torch_np.Function and issubclass(Function, torch_np.Function)
    assert torch_np.autograd.Function is Function


# ----------------------------------------------------------------- the same classes in torch
@pytest.mark.parametrize("name, shapes", [
    ("MyReLU", "x"), ("LinearFunction", "xwb"), ("Exp", "x"), ("Cube", "x"),
    ("SimpleFunc", "x"), ("LinearSetup", "xwb")])
def test_same_values_and_gradients_as_pytorch(name, shapes):
    torch = pytest.importorskip("torch")
    theirs_cls = define(torch)[name]
    arrays = [{"x": X, "w": W, "b": B}[s] for s in shapes]
    ours_out, ours_grads = values_of(OURS[name].apply, *arrays)
    leaves = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = theirs_cls.apply(*leaves)
    out.sum().backward()
    np.testing.assert_allclose(ours_out, out.detach().numpy(), rtol=1e-12)
    for ours, t in zip(ours_grads, leaves):
        np.testing.assert_allclose(ours, t.grad.numpy(), rtol=1e-12)
    # second derivatives too
    x_ours, x_theirs = leaf(X), torch.tensor(X, requires_grad=True)
    if shapes == "x" and name != "SimpleFunc":  # (once_differentiable: not twice)
        (g_ours,) = grad(OURS[name].apply(x_ours).pow(2).sum(), x_ours, create_graph=True)
        (g_theirs,) = torch.autograd.grad(theirs_cls.apply(x_theirs).pow(2).sum(), x_theirs,
                                          create_graph=True)
        (h_ours,) = grad(g_ours.sum(), x_ours)
        (h_theirs,) = torch.autograd.grad(g_theirs.sum(), x_theirs)
        np.testing.assert_allclose(h_ours.numpy(), h_theirs.numpy(), rtol=1e-10, atol=1e-12)


def test_special_cases_as_pytorch():
    torch = pytest.importorskip("torch")
    theirs = define(torch)
    xt = torch.tensor(X * 3, requires_grad=True)
    assert theirs["Round"].apply(xt).requires_grad is False
    assert OURS["Round"].apply(leaf(X * 3)).requires_grad is False
    a = torch.tensor(X, requires_grad=True) * 1.0
    assert theirs["DoubleInPlace"].apply(a) is a
    with pytest.raises(RuntimeError, match="leaf"):
        theirs["DoubleInPlace"].apply(torch.tensor(X, requires_grad=True))
    seed = torch.ones(4, 3, dtype=torch.float64, requires_grad=True)
    (first,) = torch.autograd.grad(theirs["SimpleFunc"].apply(xt), xt, seed, create_graph=True)
    with pytest.raises(RuntimeError, match="once_differentiable"):
        first.sum().backward()
    t_out = theirs["MulConstant"].apply(xt, 2.5, "div")
    t_out.sum().backward()
    out, (gx,) = values_of(lambda t: OURS["MulConstant"].apply(t, 2.5, "div"), X * 3)
    np.testing.assert_allclose(gx, xt.grad.numpy(), rtol=1e-12)
    with pytest.raises(TypeError, match="save_for_backward can only save"):
        class SavesANumber(torch.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(3)
                return x * 2

        SavesANumber.apply(xt)
