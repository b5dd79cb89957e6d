"""grad_fn.name() and grad_fn.next_functions, walked as PyTorch tutorials walk them."""

from __future__ import annotations

import gc

import numpy as np
import pytest

import tinygrad_np as tg
from tinygrad_np import node_api

EXPRESSIONS = ["(x * 2).sum()", "(x + x).exp().sum()", "(x - 1).pow(2).sum()",
               "(x / 3).neg().sum()", "x.relu().sum()", "x.sigmoid().sum()", "x.log().sum()",
               "x.abs().sum()", "(x * x).tanh().sum()"]


def _chain(tensor) -> list[str]:
    """Names along the first path from the output back to a leaf."""
    names, node = [], tensor.grad_fn
    while node is not None:
        names.append(node.name())
        following = [f for f, _ in node.next_functions if f is not None]
        node = following[0] if following else None
    return names


@pytest.mark.parametrize("expression", EXPRESSIONS)
def test_the_chain_of_names_is_pytorchs(expression):
    torch = pytest.importorskip("torch")
    expected = _chain(eval(expression, {"x": torch.ones(3, requires_grad=True)}))
    assert _chain(eval(expression, {"x": tg.ones(3, requires_grad=True)})) == expected


def test_names_and_next_functions_without_pytorch():
    x = tg.ones(2, requires_grad=True)
    c = tg.ones(2)
    y = (x * 2 + c).sum()
    assert y.grad_fn.name() == "SumBackward0"
    assert repr(y.grad_fn).startswith("<SumBackward0 object at 0x")
    ((add, index),) = y.grad_fn.next_functions  # sum's axis settings are not listed
    assert index == 0 and add.name() == "AddBackward0"
    (mul, _), (constant, _) = add.next_functions  # arithmetic's constant operand: None,
    assert mul.name() == "MulBackward0" and constant is None  # as PyTorch lists it
    (accumulate, _), (number, _) = mul.next_functions  # x * 2: the number too, as PyTorch
    assert number is None
    assert accumulate.name() == "torch::autograd::AccumulateGrad"
    assert accumulate.variable is x and accumulate.next_functions == ()
    z = c + x  # a constant before the graph input is listed as None
    assert [f.name() if f else None for f, _ in z.grad_fn.next_functions] == [
        None, "torch::autograd::AccumulateGrad"]


def test_one_accumulate_grad_per_leaf_and_no_leak():
    x = tg.ones(2, requires_grad=True)
    a = (x * 2).grad_fn.next_functions[0][0]
    b = (x + 1).grad_fn.next_functions[0][0]
    assert a is b  # as in PyTorch: one node per leaf while somebody holds it
    key = id(x)
    del a, b
    gc.collect()
    assert key not in node_api._ACCUMULATORS  # the leaf does not keep its node alive


def test_a_leaf_and_a_constant_have_no_grad_fn():
    assert tg.ones(2, requires_grad=True).grad_fn is None
    assert (tg.ones(2) * 2).grad_fn is None


def test_custom_functions_are_named_after_their_class():
    class Square(tg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return 2 * x * grad

    x = tg.Tensor(np.ones(2), requires_grad=True)
    y = Square.apply(x)
    assert y.grad_fn.name() == "SquareBackward"  # PyTorch names a custom function so
    assert y.grad_fn.next_functions[0][0].variable is x
