"""Bayes by Backprop (Blundell et al.): Bayesian linear layers with the reparameterisation
trick, sigma = softplus(rho), a Normal prior and KL via torch.distributions.kl_divergence,
the ELBO with a Normal likelihood, and predictive mean/std from Monte-Carlo samples."""

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.distributions import Normal, kl_divergence

torch.manual_seed(10)


class BayesLinear(nn.Module):
    def __init__(self, in_features, out_features, prior_sigma=1.0):
        super().__init__()
        self.w_mu = nn.Parameter(torch.empty(out_features, in_features).uniform_(-0.2, 0.2))
        self.w_rho = nn.Parameter(torch.full((out_features, in_features), -5.0))
        self.b_mu = nn.Parameter(torch.zeros(out_features))
        self.b_rho = nn.Parameter(torch.full((out_features,), -5.0))
        self.prior = Normal(torch.tensor(0.0), torch.tensor(prior_sigma))

    def forward(self, x, sample=True):
        if not sample:
            return F.linear(x, self.w_mu, self.b_mu)
        w_sigma, b_sigma = F.softplus(self.w_rho), F.softplus(self.b_rho)
        w = self.w_mu + w_sigma * torch.randn_like(w_sigma)
        b = self.b_mu + b_sigma * torch.randn_like(b_sigma)
        return F.linear(x, w, b)

    def kl(self):
        q_w = Normal(self.w_mu, F.softplus(self.w_rho))
        q_b = Normal(self.b_mu, F.softplus(self.b_rho))
        return kl_divergence(q_w, self.prior).sum() + kl_divergence(q_b, self.prior).sum()


class BNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.l1 = BayesLinear(1, 32)
        self.l2 = BayesLinear(32, 1)
        self.log_noise = nn.Parameter(torch.tensor(-1.0))

    def forward(self, x, sample=True):
        return self.l2(torch.tanh(self.l1(x, sample)), sample)

    def kl(self):
        return sum(m.kl() for m in self.modules() if isinstance(m, BayesLinear))


x = torch.linspace(-2, 2, 64).unsqueeze(1)
y = torch.sin(2 * x) + 0.1 * torch.randn_like(x)
model = BNN()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
n_batches, losses = 1, []
for epoch in range(60):
    optimizer.zero_grad()
    nll = 0.0
    for _ in range(2):  # two Monte-Carlo samples of the weights
        pred = model(x)
        nll = nll - Normal(pred, model.log_noise.exp()).log_prob(y).sum() / 2
    kl = model.kl() / n_batches
    loss = nll + kl / len(x) * 0.1
    loss.backward()
    optimizer.step()
    losses.append(loss.item())
    if epoch % 20 == 0:
        print(f"epoch {epoch:2d} loss {loss.item():.3f} kl {kl.item():.2f} noise {model.log_noise.exp().item():.3f}")

model.eval()
with torch.no_grad():
    x_test = torch.linspace(-3, 3, 13).unsqueeze(1)
    samples = torch.stack([model(x_test) for _ in range(50)])
    mean, std = samples.mean(0).squeeze(), samples.std(0).squeeze()
    deterministic = model(x_test, sample=False).squeeze()
    sigma_w = F.softplus(model.l1.w_rho)
    analytic = (torch.log(1.0 / sigma_w) + (sigma_w ** 2 + model.l1.w_mu ** 2) / 2 - 0.5).sum()
    lib_kl = kl_divergence(Normal(model.l1.w_mu, sigma_w), Normal(0.0, 1.0)).sum()
print("kl matches closed form:", torch.allclose(analytic, lib_kl, rtol=1e-4))
result = [*mean.tolist(), std.mean().item(), deterministic.sum().item(), lib_kl.item(), model.log_noise.item()]
