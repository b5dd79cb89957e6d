"""Quantile regression with the pinball loss for several quantiles at once (a forecasting
blog's recipe): a monotone head (cumsum of softplus increments) so quantiles never cross,
LambdaLR warm-up, clip_grad_value_, parameters_to_vector / vector_to_parameters for a
Polyak-averaged copy, and interval coverage on held-out data."""

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils import parameters_to_vector, vector_to_parameters

torch.manual_seed(12)
quantiles = torch.tensor([0.1, 0.5, 0.9])


def make_data(n):
    x = torch.rand(n, 1) * 4 - 2
    noise = torch.randn(n, 1) * (0.2 + 0.3 * x.abs())  # heteroscedastic
    return x, torch.sin(x * 1.5) + noise


class QuantileNet(nn.Module):
    def __init__(self, n_q):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(1, 32), nn.SiLU(), nn.Linear(32, 32), nn.SiLU())
        self.base = nn.Linear(32, 1)
        self.deltas = nn.Linear(32, n_q - 1)

    def forward(self, x):
        h = self.body(x)
        increments = F.softplus(self.deltas(h))
        return torch.cat([self.base(h), self.base(h) + torch.cumsum(increments, dim=-1)], dim=-1)


def pinball_loss(pred, target, q):
    errors = target - pred
    return torch.max((q - 1) * errors, q * errors).mean()


def pinball_loss_where(pred, target, q):
    errors = target - pred
    return torch.where(errors >= 0, q * errors, (q - 1) * errors).mean()


x_train, y_train = make_data(256)
x_test, y_test = make_data(128)
model = QuantileNet(len(quantiles))
avg_vector = parameters_to_vector(model.parameters()).detach().clone()
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: min(1.0, (step + 1) / 10))
losses = []
for step in range(60):
    idx = torch.randint(0, 256, (64,))
    pred = model(x_train[idx])
    loss = pinball_loss(pred, y_train[idx], quantiles)
    optimizer.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_value_(model.parameters(), clip_value=0.5)
    optimizer.step()
    scheduler.step()
    avg_vector.mul_(0.9).add_(parameters_to_vector(model.parameters()).detach(), alpha=0.1)
    losses.append(loss.item())
    if step % 20 == 0:
        print(f"step {step:2d} pinball {loss.item():.4f} lr {scheduler.get_last_lr()[0]:.4f}")

averaged = QuantileNet(len(quantiles))
vector_to_parameters(avg_vector, averaged.parameters())
with torch.no_grad():
    q_pred = model(x_test)
    q_avg = averaged(x_test)
    coverage = ((y_test >= q_pred[:, :1]) & (y_test <= q_pred[:, 2:])).float().mean().item()
    below = (y_test < q_pred).float().mean(0)
    crossing = (q_pred[:, 1:] < q_pred[:, :-1]).any().item()
    same = torch.allclose(pinball_loss(q_pred, y_test, quantiles), pinball_loss_where(q_pred, y_test, quantiles))
    width = (q_avg[:, 2] - q_avg[:, 0]).mean().item()
print(f"coverage 80%: {coverage:.3f}  crossing: {crossing}  same: {same}")
print("fraction below each quantile", [round(b, 3) for b in below.tolist()])
print("n params", avg_vector.numel())
result = [coverage, *below.tolist(), width, pinball_loss(q_avg, y_test, quantiles).item()]
