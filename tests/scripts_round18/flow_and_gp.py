"""A RealNVP normalizing flow on 2-D moons-like data (affine coupling layers with masks,
log-det-Jacobian bookkeeping, a MultivariateNormal base, sampling by inverting) and exact
Gaussian-process regression with an RBF kernel (torch.cdist, linalg.cholesky,
cholesky_solve, solve_triangular, the log marginal likelihood optimised over
log-lengthscale and log-noise)."""

import math

import numpy as np
import torch
import torch.nn as nn
from torch.distributions import MultivariateNormal

torch.manual_seed(0)
rng = np.random.default_rng(22)
theta = rng.uniform(0, np.pi, 256)
side = rng.integers(0, 2, 256)
pts = np.stack([np.cos(theta) + side, np.sin(theta) * (1 - 2 * side) + 0.5 * side], 1)
data = torch.from_numpy((pts + rng.normal(0, 0.05, pts.shape)).astype(np.float32))


class Coupling(nn.Module):
    def __init__(self, mask, hidden=16):
        super().__init__()
        self.register_buffer("mask", mask)
        self.s = nn.Sequential(nn.Linear(2, hidden), nn.Tanh(), nn.Linear(hidden, 2), nn.Tanh())
        self.t = nn.Sequential(nn.Linear(2, hidden), nn.ReLU(), nn.Linear(hidden, 2))

    def forward(self, x):
        x_masked = x * self.mask
        s = self.s(x_masked) * (1 - self.mask)
        t = self.t(x_masked) * (1 - self.mask)
        y = x_masked + (1 - self.mask) * (x * torch.exp(s) + t)
        return y, s.sum(dim=1)

    def inverse(self, y):
        y_masked = y * self.mask
        s = self.s(y_masked) * (1 - self.mask)
        t = self.t(y_masked) * (1 - self.mask)
        return y_masked + (1 - self.mask) * ((y - t) * torch.exp(-s))


class RealNVP(nn.Module):
    def __init__(self, n_layers=4):
        super().__init__()
        masks = [torch.tensor([1.0, 0.0]) if i % 2 == 0 else torch.tensor([0.0, 1.0]) for i in range(n_layers)]
        self.layers = nn.ModuleList([Coupling(m) for m in masks])
        self.base = MultivariateNormal(torch.zeros(2), torch.eye(2))

    def log_prob(self, x):
        log_det = torch.zeros(x.shape[0])
        for layer in self.layers:
            x, ld = layer(x)
            log_det = log_det + ld
        return self.base.log_prob(x) + log_det

    def sample(self, z):
        for layer in reversed(self.layers):
            z = layer.inverse(z)
        return z


flow = RealNVP()
with torch.no_grad():
    for name, p in flow.named_parameters():
        p.copy_(torch.from_numpy(rng.normal(0, 0.3, tuple(p.shape)).astype(np.float32)))
optimizer = torch.optim.Adam(flow.parameters(), lr=5e-3)
losses = []
for step in range(30):
    batch = data[(step % 4) * 64:(step % 4 + 1) * 64]
    loss = -flow.log_prob(batch).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    losses.append(loss.item())
with torch.no_grad():
    z = torch.from_numpy(rng.standard_normal((5, 2)).astype(np.float32))
    x_s = flow.sample(z)
    roundtrip = flow.layers[0].inverse(flow.layers[0](x_s)[0])
    assert torch.allclose(roundtrip, x_s, atol=1e-5)

X = torch.from_numpy(np.sort(rng.uniform(-3, 3, 20))).unsqueeze(1)
Y = torch.sin(X).squeeze(1) + 0.1 * torch.from_numpy(rng.standard_normal(20))
X_test = torch.linspace(-3, 3, 7, dtype=torch.float64).unsqueeze(1)
log_ls = torch.zeros((), dtype=torch.float64, requires_grad=True)
log_noise = torch.tensor(-1.0, dtype=torch.float64, requires_grad=True)


def rbf(a, b, log_lengthscale):
    return torch.exp(-0.5 * torch.cdist(a, b).pow(2) / torch.exp(2 * log_lengthscale))


def neg_log_marginal_likelihood():
    K = rbf(X, X, log_ls) + torch.exp(2 * log_noise) * torch.eye(len(X), dtype=torch.float64)
    L = torch.linalg.cholesky(K)
    alpha = torch.cholesky_solve(Y.unsqueeze(1), L)
    return 0.5 * (Y.unsqueeze(1) * alpha).sum() + torch.log(torch.diagonal(L)).sum() + 0.5 * len(X) * math.log(2 * math.pi)


gp_opt = torch.optim.Adam([log_ls, log_noise], lr=0.05)
for _ in range(25):
    gp_opt.zero_grad()
    nll = neg_log_marginal_likelihood()
    nll.backward()
    gp_opt.step()
    losses.append(nll.item())
with torch.no_grad():
    K = rbf(X, X, log_ls) + torch.exp(2 * log_noise) * torch.eye(len(X), dtype=torch.float64)
    L = torch.linalg.cholesky(K)
    K_s = rbf(X, X_test, log_ls)
    mean = K_s.T @ torch.cholesky_solve(Y.unsqueeze(1), L)
    v = torch.linalg.solve_triangular(L, K_s, upper=False)
    var = 1.0 - (v ** 2).sum(0)
result = mean.squeeze(1).tolist() + var.tolist() + [log_ls.item(), log_noise.item()] + x_s.flatten().tolist()
