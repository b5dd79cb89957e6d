"""Fit y = a + b T3(c + d x) to sin(x), with T3(z) = 4 z^3 - 3 z (the Chebyshev polynomial of
degree 3) as a custom autograd Function.

forward and backward use only operators, so the same class works whether they receive
tensors or arrays.
"""

import math

import numpy as np
import torch


class Chebyshev3(torch.autograd.Function):
    """T3(z) = 4 z^3 - 3 z;  dz = g (12 z^2 - 3)."""

    @staticmethod
    def forward(ctx, z):
        ctx.save_for_backward(z)
        return 4 * z ** 3 - 3 * z

    @staticmethod
    def backward(ctx, grad_output):
        (z,) = ctx.saved_tensors
        return grad_output * (12 * z ** 2 - 3)


dtype = torch.float64
x = torch.tensor(np.linspace(-math.pi, math.pi, 500), dtype=dtype)
y = torch.sin(x)

start = [0.0, -0.8, 0.0, 0.35]  # near a good fit, so plain gradient descent stays stable
a, b, c, d = (torch.full((), value, dtype=dtype, requires_grad=True) for value in start)

learning_rate = 1e-5
losses = []
for _step in range(200):
    T3 = Chebyshev3.apply
    y_pred = a + b * T3(c + d * x)
    loss = (y_pred - y).pow(2).sum()
    losses.append(loss.item())
    loss.backward()
    with torch.no_grad():
        for parameter in (a, b, c, d):
            parameter -= learning_rate * parameter.grad
            parameter.grad = None

result = [a.item(), b.item(), c.item(), d.item()]
