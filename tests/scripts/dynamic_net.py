"""A custom nn.Module whose forward pass reuses one weight a random number of times."""

import math
import random

import numpy as np
import torch


class DynamicNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.a = torch.nn.Parameter(torch.randn(()))
        self.b = torch.nn.Parameter(torch.randn(()))
        self.c = torch.nn.Parameter(torch.randn(()))
        self.d = torch.nn.Parameter(torch.randn(()))
        self.e = torch.nn.Parameter(torch.randn(()))

    def forward(self, x):
        y = self.a + self.b * x + self.c * x ** 2 + self.d * x ** 3
        for exponent in range(4, random.randint(4, 6)):
            y = y + self.e * x ** exponent  # the same parameter, used again
        return y

    def string(self):
        return (f"y = {self.a.item()} + {self.b.item()} x + {self.c.item()} x^2 + "
                f"{self.d.item()} x^3 + {self.e.item()} x^4 ? + {self.e.item()} x^5 ?")


x = torch.tensor(np.linspace(-math.pi, math.pi, 1000), dtype=torch.float32)
y = torch.sin(x)

model = DynamicNet()
rng = np.random.default_rng(3)
with torch.no_grad():
    for parameter in model.parameters():
        parameter.copy_(torch.tensor(rng.normal() * 0.1))

criterion = torch.nn.MSELoss(reduction="sum")
optimizer = torch.optim.SGD(model.parameters(), lr=1e-8, momentum=0.9)
random.seed(0)
losses = []
for _step in range(300):
    y_pred = model(x)
    loss = criterion(y_pred, y)
    losses.append(loss.item())
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()

names = [name for name, _ in model.named_parameters()]
result = [parameter.item() for parameter in model.parameters()]
summary = model.string()
description = repr(model)
