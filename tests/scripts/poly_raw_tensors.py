"""Fit a cubic to sin(x) with raw tensors and hand-written gradient-descent updates.

A PyTorch script: tests/test_pytorch_scripts.py runs it under PyTorch and, with `torch`
bound to another library, unchanged; the losses must agree.
"""

import math

import numpy as np
import torch

dtype = torch.float
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

x = torch.tensor(np.linspace(-math.pi, math.pi, 2000), dtype=dtype, device=device)
y = torch.sin(x)

rng = np.random.default_rng(0)
a, b, c, d = (torch.tensor(rng.normal(), dtype=dtype, device=device, requires_grad=True)
              for _ in range(4))

learning_rate = 1e-6
losses = []
for _step in range(300):
    y_pred = a + b * x + c * x ** 2 + d * x ** 3
    loss = (y_pred - y).pow(2).sum()
    losses.append(loss.item())
    loss.backward()
    with torch.no_grad():
        a -= learning_rate * a.grad
        b -= learning_rate * b.grad
        c -= learning_rate * c.grad
        d -= learning_rate * d.grad
        a.grad = None
        b.grad = None
        c.grad = None
        d.grad = None

result = [a.item(), b.item(), c.item(), d.item()]
print(f"y = {result[0]:.4f} + {result[1]:.4f} x + {result[2]:.4f} x^2 + {result[3]:.4f} x^3")
