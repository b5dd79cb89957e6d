"""gradcheck and numerical_grad: they must catch wrong gradients and say where."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_np as tg
from tinygrad_np import Function, Tensor
from tinygrad_np.gradcheck import GradcheckError


class BadSquare(Function):
    """y = x**2 with a deliberately wrong gradient at element 2."""

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        grad = 2 * x * grad_output
        grad[2] += 0.5
        return grad


def test_numerical_grad_matches_closed_forms():
    x = Tensor([0.5, -1.0, 2.0], requires_grad=True)
    (grad,) = tg.numerical_grad(lambda t: (t**3).sum(), [x])
    np.testing.assert_allclose(grad, 3 * x._data.astype(np.float64) ** 2, rtol=1e-7)
    (weighted,) = tg.numerical_grad(lambda t: t.sin(), [x], grad_output=np.array([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(weighted, np.cos(x._data.astype(np.float64)) * [1, 2, 3], rtol=1e-7)


def test_gradcheck_passes_correct_ops_on_float32_inputs():
    """Inputs are float32, the check runs in float64, so tight tolerances still pass."""
    rng = np.random.default_rng(0)
    x = Tensor(rng.normal(size=(3, 4)).astype(np.float32), requires_grad=True)
    w = Tensor(rng.normal(size=(4, 2)).astype(np.float32), requires_grad=True)
    assert tg.gradcheck(lambda a, b: (a @ b).tanh(), [x, w], atol=1e-7, rtol=1e-6)
    assert tg.gradcheck(lambda a, b: (a @ b).tanh(), [x, w], fast=True)


def test_gradcheck_reports_input_element_and_values():
    x = Tensor(np.array([1.0, 2.0, 3.0, 4.0]), requires_grad=True, name="weights")
    other = Tensor(np.ones(4), requires_grad=True)
    with pytest.raises(GradcheckError) as info:
        tg.gradcheck(lambda a, b: (BadSquare.apply(b) * a).sum(), [other, x])
    message = str(info.value)
    assert "input 1" in message and "'weights'" in message
    assert "element (2,)" in message
    assert "analytic 6.5" in message and "numerical 6" in message
    assert "absolute error 0.5" in message and "relative error" in message


def test_gradcheck_without_raising_returns_false():
    x = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    assert tg.gradcheck(lambda t: BadSquare.apply(t), [x], raise_exception=False) is False
    assert tg.gradcheck(lambda t: BadSquare.apply(t).sum(), [x], raise_exception=False,
                        fast=True) is False


def test_gradcheck_finds_an_error_in_one_output_element_of_a_jacobian():
    x = Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    with pytest.raises(GradcheckError, match="output element"):
        tg.gradcheck(lambda t: BadSquare.apply(t), [x])


def test_gradcheck_needs_an_input_requiring_grad():
    with pytest.raises(ValueError, match="requires_grad"):
        tg.gradcheck(lambda t: t * 2, [Tensor([1.0])])


def test_gradcheck_leaves_inputs_unchanged():
    x = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    before = x._data.copy()
    tg.gradcheck(lambda t: (t * t).sum(), [x])
    np.testing.assert_array_equal(x._data, before)
    assert x.grad is None


def test_gradcheck_of_a_first_derivative_checks_the_second():
    x = Tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True)
    assert tg.gradcheck(lambda t: tg.grad((t * t * t).sum(), t, create_graph=True)[0], [x])


def test_report_against_a_zero_numerical_gradient_says_so():
    """A rule that gives 1 where the true gradient is 0: the relative error is not 4e+299."""

    class Wrong(tg.Function):
        def forward(ctx, x):
            return np.zeros_like(x)

        def backward(ctx, grad_output):
            return grad_output

    x = tg.tensor([0.5], dtype=np.float64, requires_grad=True)
    with pytest.raises(AssertionError, match=r"relative error inf \(the numerical value is 0\)"):
        tg.gradcheck(lambda t: Wrong.apply(t).sum(), [x])
