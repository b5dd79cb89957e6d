"""Count regression as in a statistics-with-PyTorch tutorial: Poisson and negative-binomial
GLMs fitted by maximising log_prob (torch.distributions.Poisson / NegativeBinomial), data
simulated with those same distributions' samplers, F.poisson_nll_loss as a check,
overdispersion estimated from Pearson residuals, and LBFGS for the final fit."""

import torch
import torch.nn.functional as F
from torch.distributions import Gamma, NegativeBinomial, Poisson

torch.manual_seed(24)
n, d = 300, 3
X = torch.cat([torch.ones(n, 1), torch.randn(n, d - 1) * 0.5], dim=1)
beta_true = torch.tensor([1.0, 0.6, -0.4])
mu = (X @ beta_true).exp()
y_pois = Poisson(mu).sample()
shape = 2.0
y_nb = Poisson(Gamma(torch.full((n,), shape), shape / mu).sample()).sample()  # gamma-Poisson
y_nb2 = NegativeBinomial(total_count=torch.tensor(shape), logits=(mu / shape).log()).sample()
print("means", round(y_pois.mean().item(), 3), round(y_nb.mean().item(), 3), round(y_nb2.mean().item(), 3))
print("variances", round(y_pois.var().item(), 3), round(y_nb.var().item(), 3))

beta = torch.zeros(d, requires_grad=True)
optimizer = torch.optim.Adam([beta], lr=0.05)
losses = []
for step in range(60):
    rate = (X @ beta).exp()
    nll = -Poisson(rate).log_prob(y_pois).mean()
    optimizer.zero_grad()
    nll.backward()
    optimizer.step()
    losses.append(nll.item())
    if step % 20 == 0:
        print(f"poisson step {step:2d} nll {nll.item():.4f}")
with torch.no_grad():
    check = F.poisson_nll_loss(X @ beta, y_pois, log_input=True, full=True)
    same = torch.allclose(check, -Poisson((X @ beta).exp()).log_prob(y_pois).mean(), atol=1e-5)
print("poisson_nll_loss(full=True) agrees:", same)

b_nb = torch.zeros(d, requires_grad=True)
log_r = torch.zeros((), requires_grad=True)
lbfgs = torch.optim.LBFGS([b_nb, log_r], lr=0.5, max_iter=20, line_search_fn="strong_wolfe")


def closure():
    lbfgs.zero_grad()
    r = log_r.exp()
    mean = (X @ b_nb).exp()
    loss = -NegativeBinomial(total_count=r, logits=(mean / r).log()).log_prob(y_nb).mean()
    loss.backward()
    return loss


for _ in range(3):
    losses.append(lbfgs.step(closure).item())
with torch.no_grad():
    fitted = (X @ beta).exp()
    pearson = ((y_nb - fitted) ** 2 / fitted).sum() / (n - d)
print("negative binomial r", round(log_r.exp().item(), 3), "dispersion", round(pearson.item(), 3))
result = [*beta.tolist(), *b_nb.tolist(), log_r.item(), pearson.item(), y_nb2.sum().item()]
