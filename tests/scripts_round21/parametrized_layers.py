"""Reparametrised layers as tutorials and papers' code use them: the old torch.nn.utils
weight_norm (weight_g / weight_v) and its remove_weight_norm, the parametrizations API's
weight_norm and spectral_norm (original0 / original1, power iteration in training mode,
parametrize.cached()), a custom parametrization (Symmetric and a matrix exponential-free
skew-symmetric Cayley map) registered with parametrize.register_parametrization, and
remove_parametrizations(leave_parametrized=True) after training."""

import torch
import torch.nn as nn
import torch.nn.utils.parametrize as parametrize
from torch.nn.utils import parametrizations, remove_weight_norm, weight_norm

torch.manual_seed(9)


class Symmetric(nn.Module):
    def forward(self, X):
        return X.triu() + X.triu(1).transpose(-1, -2)


class Cayley(nn.Module):
    def forward(self, X):
        A = X.triu(1)
        A = A - A.T
        Id = torch.eye(X.size(0), dtype=X.dtype)
        return torch.linalg.solve(Id + A, Id - A)


old = weight_norm(nn.Linear(6, 8), name="weight", dim=0)
print(sorted(n for n, _ in old.named_parameters()), old.weight_g.shape, old.weight_v.shape)
net = nn.Sequential(
    old, nn.Tanh(),
    parametrizations.weight_norm(nn.Linear(8, 8)), nn.Tanh(),
    parametrizations.spectral_norm(nn.Linear(8, 8)), nn.Tanh(),
    nn.Linear(8, 8), nn.Tanh(),
    nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 1))
parametrize.register_parametrization(net[6], "weight", Symmetric())
parametrize.register_parametrization(net[8], "weight", Cayley())
print(parametrize.is_parametrized(net[4]), parametrize.is_parametrized(net[6], "bias"), net[2].parametrizations.weight.original0.shape)
print(net[6])
X = torch.randn(128, 6)
y = torch.sin(X[:, :1] * 2) + X[:, 1:2] * X[:, 2:3]
optimizer = torch.optim.Adam(net.parameters(), lr=0.01)
losses = []
for step in range(60):
    loss = nn.functional.mse_loss(net(X), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    losses.append(loss.item())
    if step % 20 == 0:
        sigma = torch.linalg.matrix_norm(net[4].weight, ord=2).item()
        print(f"step {step} loss {loss.item():.4f} sigma {sigma:.4f}")
with parametrize.cached():
    cached_out = net(X[:4])
net.eval()
with torch.no_grad():
    W6, W8 = net[6].weight, net[8].weight
    sym_err = (W6 - W6.T).abs().max().item()
    orth_err = (W8 @ W8.T - torch.eye(8)).abs().max().item()
    g_norm = net[2].weight.norm(dim=1) - net[2].parametrizations.weight.original0.squeeze(1)
print(f"symmetric {sym_err:.2e} orthogonal {orth_err < 1e-5} g matches {g_norm.abs().max().item() < 1e-5}")
remove_weight_norm(net[0])
parametrize.remove_parametrizations(net[6], "weight", leave_parametrized=True)
print(sorted(n for n, _ in net[0].named_parameters()), type(net[6].weight).__name__, parametrize.is_parametrized(net[6]))
final = nn.functional.mse_loss(net(X), y).item()
print(f"final {final:.4f} {torch.allclose(cached_out, net(X[:4]), atol=1e-5)}")
result = [final, net[4].parametrizations.weight.original.abs().sum().item(), sym_err, net[8].weight.sum().item()]
