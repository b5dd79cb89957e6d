"""Variational Bayesian logistic regression: a mean-field Normal posterior, reparameterised
with fixed noise, the Bernoulli likelihood and kl_divergence to the prior; then the KLs
between other conjugate families (Beta, Gamma, Dirichlet) that Bayesian code reports."""

import numpy as np
import torch
import torch.nn.functional as F
from torch.distributions import Bernoulli, Beta, Dirichlet, Gamma, Normal, kl_divergence

rng = np.random.default_rng(12)
X = torch.from_numpy(rng.normal(size=(100, 3)).astype(np.float32))
y = (torch.sigmoid(X @ torch.tensor([1.5, -2.0, 0.5])) > 0.5).float()
mu = torch.zeros(3, requires_grad=True)
rho = torch.full((3,), -2.0, requires_grad=True)
opt = torch.optim.Adam([mu, rho], lr=0.05)
prior = Normal(torch.zeros(3), torch.ones(3))
noise = torch.from_numpy(rng.normal(size=(40, 8, 3)).astype(np.float32))
losses = []
for step in range(40):
    opt.zero_grad()
    sigma = F.softplus(rho)
    w = mu + sigma * noise[step]
    likelihood = Bernoulli(logits=(X @ w.T).T).log_prob(y.expand(8, 100)).sum(-1).mean()
    loss = kl_divergence(Normal(mu, sigma), prior).sum() - likelihood
    loss.backward()
    opt.step()
    losses.append(loss.item())
t = torch.tensor
result = mu.tolist() + [
    kl_divergence(Beta(t(2.0), t(3.0)), Beta(t(1.0), t(1.0))).item(),
    kl_divergence(Gamma(t(2.0), t(1.0)), Gamma(t(3.0), t(2.0))).item(),
    kl_divergence(Dirichlet(t([1.0, 2.0])), Dirichlet(t([2.0, 2.0]))).item(),
]
