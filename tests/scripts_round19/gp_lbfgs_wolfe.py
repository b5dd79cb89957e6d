"""Exact GP regression fitted by type-II maximum likelihood, as GPyTorch-free notebooks write
it: an RBF kernel from torch.cdist, softplus-constrained hyperparameters, the negative log
marginal likelihood through torch.linalg.cholesky / cholesky_solve / diagonal().log(),
optimised with LBFGS(line_search_fn="strong_wolfe"); then posterior mean and variance with
torch.linalg.solve_triangular, and kernel ridge regression with torch.linalg.solve."""

import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(71)
rng = np.random.default_rng(71)
torch.set_default_dtype(torch.float64)
X = torch.tensor(np.sort(rng.uniform(-3, 3, 30)))[:, None]
y = torch.sin(2 * X[:, 0]) + 0.1 * torch.tensor(rng.normal(size=30))
X_test = torch.linspace(-3, 3, 7)[:, None]


class ExactGP(nn.Module):
    def __init__(self):
        super().__init__()
        self.raw_lengthscale = nn.Parameter(torch.tensor(0.0))
        self.raw_outputscale = nn.Parameter(torch.tensor(0.0))
        self.raw_noise = nn.Parameter(torch.tensor(-2.0))

    def kernel(self, a, b):
        ls = F.softplus(self.raw_lengthscale)
        return F.softplus(self.raw_outputscale) * torch.exp(-0.5 * torch.cdist(a / ls, b / ls) ** 2)

    def nll(self, X, y):
        K = self.kernel(X, X) + (F.softplus(self.raw_noise) + 1e-6) * torch.eye(len(X))
        L = torch.linalg.cholesky(K)
        alpha = torch.cholesky_solve(y[:, None], L)
        return (0.5 * y @ alpha[:, 0] + L.diagonal().log().sum() + 0.5 * len(X) * math.log(2 * math.pi)) / len(X)

    def predict(self, X, y, Xs):
        K = self.kernel(X, X) + F.softplus(self.raw_noise) * torch.eye(len(X))
        L = torch.linalg.cholesky(K)
        Ks = self.kernel(X, Xs)
        v = torch.linalg.solve_triangular(L, Ks, upper=False)
        alpha = torch.cholesky_solve(y[:, None], L)
        mean = (Ks.T @ alpha)[:, 0]
        var = self.kernel(Xs, Xs).diagonal() - (v * v).sum(0)
        return mean, var


gp = ExactGP()
optimizer = torch.optim.LBFGS(gp.parameters(), lr=1.0, max_iter=20, line_search_fn="strong_wolfe",
                              tolerance_grad=1e-9, tolerance_change=1e-12, history_size=10)
losses = []


def closure():
    optimizer.zero_grad()
    loss = gp.nll(X, y)
    loss.backward()
    losses.append(loss.item())
    return loss


for _ in range(2):
    optimizer.step(closure)
with torch.no_grad():
    mean, var = gp.predict(X, y, X_test)
    K = gp.kernel(X, X)
    ridge = torch.linalg.solve(K + 0.1 * torch.eye(len(X)), y)
    ridge_pred = gp.kernel(X_test, X) @ ridge
state = optimizer.state[optimizer._params[0]]
print("hyperparameters:", [round(F.softplus(p).item(), 4) for p in gp.parameters()])
result = [*mean.tolist(), *var.tolist(), *ridge_pred.tolist(), state["n_iter"], state["func_evals"]]
