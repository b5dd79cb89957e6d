"""MAML on sine-wave regression (Finn et al.): a functional model run with
torch.func.functional_call, an inner SGD step with autograd.grad(create_graph=True), and a
second-order meta-gradient through it into an Adam meta-optimizer."""

from collections import OrderedDict

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.func import functional_call

torch.manual_seed(0)
rng = np.random.default_rng(0)


class SineNet(nn.Module):
    def __init__(self, hidden=20):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(1, hidden), nn.ReLU(), nn.Linear(hidden, hidden),
                                 nn.ReLU(), nn.Linear(hidden, 1))

    def forward(self, x):
        return self.net(x)


def sample_task(n_support=10, n_query=10):
    amp, phase = rng.uniform(0.1, 5.0), rng.uniform(0, np.pi)
    xs = rng.uniform(-5, 5, (n_support + n_query, 1)).astype(np.float32)
    ys = (amp * np.sin(xs - phase)).astype(np.float32)
    x, y = torch.from_numpy(xs), torch.from_numpy(ys)
    return x[:n_support], y[:n_support], x[n_support:], y[n_support:]


model = SineNet()
with torch.no_grad():
    for name, p in model.named_parameters():
        p.copy_(torch.tensor(rng.normal(0, 0.4, p.shape), dtype=torch.float32))
meta_opt = torch.optim.Adam(model.parameters(), lr=1e-3)
inner_lr, inner_steps, meta_batch = 0.01, 2, 3


def adapt(params, x, y, create_graph=True):
    for _ in range(inner_steps):
        loss = F.mse_loss(functional_call(model, params, (x,)), y)
        grads = torch.autograd.grad(loss, params.values(), create_graph=create_graph)
        params = OrderedDict((name, p - inner_lr * g) for (name, p), g in zip(params.items(), grads))
    return params


losses = []
for it in range(8):
    meta_opt.zero_grad()
    meta_loss = 0.0
    for _ in range(meta_batch):
        xs, ys, xq, yq = sample_task()
        fast = adapt(OrderedDict(model.named_parameters()), xs, ys)
        meta_loss = meta_loss + F.mse_loss(functional_call(model, fast, (xq,)), yq)
    meta_loss = meta_loss / meta_batch
    meta_loss.backward()
    meta_opt.step()
    losses.append(meta_loss.item())

# first-order check: without create_graph the meta-gradient differs
xs, ys, xq, yq = sample_task()
params = OrderedDict(model.named_parameters())
second = torch.autograd.grad(F.mse_loss(functional_call(model, adapt(params, xs, ys), (xq,)), yq),
                             list(params.values()))
first_fast = adapt(params, xs, ys, create_graph=False)
first = torch.autograd.grad(F.mse_loss(functional_call(model, first_fast, (xq,)), yq),
                            list(params.values()), allow_unused=True)
gap = sum((a - b).abs().sum() for a, b in zip(second, first) if b is not None).item()
with torch.no_grad():
    before = F.mse_loss(model(xq), yq).item()
after = F.mse_loss(functional_call(model, adapt(params, xs, ys, False), (xq,)), yq).item()
n_first = sum(g is not None for g in first)
result = [gap, before, after, n_first, sum(g.norm().item() for g in second)]
