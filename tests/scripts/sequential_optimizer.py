"""Fit a cubic to sin(x) with nn.Sequential, a loss module, an optimizer and a scheduler."""

import math

import numpy as np
import torch

x = torch.tensor(np.linspace(-math.pi, math.pi, 1000), dtype=torch.float32)
y = torch.sin(x)

p = torch.tensor([1, 2, 3])
xx = x.unsqueeze(-1).pow(p)  # (1000, 3): x, x^2, x^3

model = torch.nn.Sequential(
    torch.nn.Linear(3, 1),
    torch.nn.Flatten(0, 1),
)
device = torch.device("cpu")
model.to(device)

rng = np.random.default_rng(1)
with torch.no_grad():  # the same start in every library
    for parameter in model.parameters():
        parameter.copy_(torch.tensor(rng.normal(size=tuple(parameter.shape)) * 0.1))

loss_fn = torch.nn.MSELoss(reduction="sum")
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=50, gamma=0.5)

losses = []
for _step in range(200):
    y_pred = model(xx)
    loss = loss_fn(y_pred, y)
    losses.append(loss.item())
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    scheduler.step()

linear_layer = model[0]
result = [linear_layer.bias.item(), *linear_layer.weight[:, 0].tolist(),
          *linear_layer.weight[:, 1:].flatten().tolist()]
description = repr(model)
names = [name for name, _ in model.named_parameters()] + [str(scheduler.get_last_lr())]
