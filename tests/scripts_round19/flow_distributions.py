"""A planar/affine normalizing flow written with torch.distributions: a MultivariateNormal
base, log_prob through a stack of learnable affine-coupling layers with the change of
variables, TransformedDistribution with AffineTransform/SigmoidTransform, Independent(Normal),
kl_divergence and a reparameterised ELBO."""

import math

import numpy as np
import torch
import torch.nn as nn
from torch import distributions as D

torch.manual_seed(17)
rng = np.random.default_rng(17)
ang = rng.uniform(0, 2 * np.pi, 128)
data = torch.tensor(np.stack([np.cos(ang), 0.5 * np.sin(ang)], 1) + rng.normal(0, 0.05, (128, 2)),
                    dtype=torch.float32)


class Coupling(nn.Module):
    def __init__(self, mask):
        super().__init__()
        self.register_buffer("mask", mask)
        self.net = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 4))

    def forward(self, x):
        s, t = self.net(x * self.mask).chunk(2, dim=-1)
        s = torch.tanh(s) * (1 - self.mask)
        t = t * (1 - self.mask)
        return x * torch.exp(s) + t, s.sum(-1)


class Flow(nn.Module):
    def __init__(self):
        super().__init__()
        masks = [torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0])] * 2
        self.layers = nn.ModuleList([Coupling(m) for m in masks])
        self.base = D.MultivariateNormal(torch.zeros(2), torch.eye(2))

    def log_prob(self, x):
        log_det = torch.zeros(x.shape[0])
        for layer in self.layers:
            x, ld = layer(x)
            log_det = log_det + ld
        return self.base.log_prob(x) + log_det


flow = Flow()
with torch.no_grad():
    for p in flow.parameters():
        p.copy_(torch.from_numpy(rng.normal(0, 0.2, tuple(p.shape)).astype(np.float32)))
opt = torch.optim.Adam(flow.parameters(), lr=5e-3)
losses = []
for step in range(10):
    loss = -flow.log_prob(data).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    losses.append(loss.item())

loc = nn.Parameter(torch.zeros(2))
log_scale = nn.Parameter(torch.zeros(2))
opt_q = torch.optim.Adam([loc, log_scale], lr=0.05)
prior = D.Independent(D.Normal(torch.zeros(2), torch.ones(2)), 1)
eps = torch.tensor(rng.normal(size=(64, 2)), dtype=torch.float32)
for step in range(8):
    q = D.Independent(D.Normal(loc, log_scale.exp()), 1)
    z = loc + log_scale.exp() * eps
    log_lik = D.Normal(z.sum(-1, keepdim=True), 1.0).log_prob(torch.full((64, 1), 1.5)).sum(-1)
    elbo = (log_lik - (q.log_prob(z) - prior.log_prob(z))).mean()
    kl = D.kl_divergence(q, prior)
    loss = -elbo
    opt_q.zero_grad()
    loss.backward()
    opt_q.step()
    losses.append(loss.item())

logit_normal = D.TransformedDistribution(D.Normal(torch.tensor(0.3), torch.tensor(0.7)),
                                         [D.transforms.AffineTransform(0.0, 2.0), D.transforms.SigmoidTransform()])
pts = torch.tensor([0.1, 0.5, 0.9])
mvn = D.MultivariateNormal(torch.tensor([0.5, -0.5]), scale_tril=torch.tensor([[1.0, 0.0], [0.3, 0.8]]))
result = [kl.item(), *logit_normal.log_prob(pts).tolist(), mvn.entropy().item(),
          mvn.log_prob(data[:4]).sum().item(), mvn.covariance_matrix[1, 1].item(),
          flow.log_prob(data).mean().item() + math.log(2 * math.pi)]
