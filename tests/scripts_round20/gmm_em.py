"""A Gaussian mixture fitted with EM in raw tensors (no autograd): k-means++-style seeding with
torch.multinomial, E-step responsibilities with MultivariateNormal.log_prob and logsumexp,
M-step with einsum-weighted covariances (plus a ridge), the log-likelihood trajectory, then
the same model as a MixtureSameFamily and a few gradient steps on its NLL."""

import math

import torch
from torch.distributions import Categorical, MixtureSameFamily, MultivariateNormal

torch.manual_seed(9)
K, D, N = 3, 2, 300
true_means = torch.tensor([[0.0, 0.0], [4.0, 4.0], [-3.0, 5.0]])
true_cov = torch.stack([torch.eye(2), torch.tensor([[1.0, 0.6], [0.6, 1.0]]), torch.diag(torch.tensor([0.5, 2.0]))])
z = torch.multinomial(torch.tensor([0.5, 0.3, 0.2]), N, replacement=True)
L = torch.linalg.cholesky(true_cov)
X = true_means[z] + (L[z] @ torch.randn(N, D, 1)).squeeze(-1)

# seeding: first centre uniformly, next ones proportional to squared distance
centres = [X[torch.randint(0, N, (1,)).item()]]
for _ in range(K - 1):
    d2 = torch.cdist(X, torch.stack(centres)).min(dim=1).values ** 2
    centres.append(X[torch.multinomial(d2 / d2.sum(), 1).item()])
mu = torch.stack(centres)
cov = torch.eye(D).repeat(K, 1, 1)
pi = torch.full((K,), 1.0 / K)
losses = []
for it in range(15):
    # E step
    log_probs = MultivariateNormal(mu, covariance_matrix=cov).log_prob(X.unsqueeze(1))  # N, K
    weighted = log_probs + pi.log()
    log_norm = torch.logsumexp(weighted, dim=1, keepdim=True)
    resp = (weighted - log_norm).exp()
    nll = -log_norm.mean().item()
    losses.append(nll)
    # M step
    Nk = resp.sum(0)
    pi = Nk / N
    mu = (resp.T @ X) / Nk.unsqueeze(1)
    diff = X.unsqueeze(1) - mu.unsqueeze(0)  # N, K, D
    cov = torch.einsum("nk,nki,nkj->kij", resp, diff, diff) / Nk.view(K, 1, 1) + 1e-6 * torch.eye(D)
    if it % 5 == 0:
        print(f"iter {it:2d} nll {nll:.4f} weights {[round(w, 3) for w in sorted(pi.tolist())]}")

order = torch.argsort(mu[:, 0])
mu, cov, pi = mu[order], cov[order], pi[order]
labels = resp[:, order].argmax(1)
gmm = MixtureSameFamily(Categorical(probs=pi), MultivariateNormal(mu, scale_tril=torch.linalg.cholesky(cov)))
print("mixture nll", round(-gmm.log_prob(X).mean().item(), 4), "last", round(losses[-1], 4))
sample = gmm.sample((5,))
print("sample shape", tuple(sample.shape), gmm.batch_shape, gmm.event_shape)

# a few gradient steps on the same objective, from the EM solution perturbed
logits = torch.log(pi).clone().requires_grad_(True)
means = (mu + 0.3).clone().requires_grad_(True)
raw_tril = torch.linalg.cholesky(cov).clone().requires_grad_(True)
opt = torch.optim.Adam([logits, means, raw_tril], lr=0.05)
for step in range(10):
    scale_tril = torch.tril(raw_tril, diagonal=-1) + torch.diag_embed(torch.diagonal(raw_tril, dim1=-2, dim2=-1).abs() + 1e-4)
    model = MixtureSameFamily(Categorical(logits=logits), MultivariateNormal(means, scale_tril=scale_tril))
    loss = -model.log_prob(X).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    losses.append(loss.item())
ent = Categorical(probs=pi).entropy().item()
mahal = ((X - mu[labels]).unsqueeze(1) @ torch.linalg.inv(cov[labels]) @ (X - mu[labels]).unsqueeze(2)).mean()
print(f"entropy {ent:.4f} ({math.log(K):.4f} max)")
result = [*mu.flatten().tolist(), *pi.tolist(), ent, mahal.item(), sample.shape[0], gmm.variance.sum().item()]
