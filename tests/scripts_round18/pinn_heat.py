"""A physics-informed network for the 1-D heat equation u_t = k u_xx on [0, 1] x [0, 0.5]:
derivatives with torch.autograd.grad(create_graph=True), a PDE residual plus initial and
boundary losses, Adam then a few L-BFGS steps with a closure."""

import math

import numpy as np
import torch
import torch.nn as nn

torch.manual_seed(123)
torch.set_default_dtype(torch.float64)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
rng = np.random.default_rng(9)
kappa = 0.1


class PINN(nn.Module):
    def __init__(self, layers=(2, 16, 16, 1)):
        super().__init__()
        self.net = nn.ModuleList([nn.Linear(a, b) for a, b in zip(layers[:-1], layers[1:])])
        for layer in self.net:
            nn.init.xavier_normal_(layer.weight)
            nn.init.zeros_(layer.bias)

    def forward(self, x, t):
        h = torch.cat([x, t], dim=1)
        for layer in self.net[:-1]:
            h = torch.tanh(layer(h))
        return self.net[-1](h)


def pde_residual(model, x, t):
    u = model(x, t)
    u_t = torch.autograd.grad(u, t, grad_outputs=torch.ones_like(u), create_graph=True)[0]
    u_x = torch.autograd.grad(u, x, grad_outputs=torch.ones_like(u), create_graph=True)[0]
    u_xx = torch.autograd.grad(u_x, x, grad_outputs=torch.ones_like(u_x), create_graph=True)[0]
    return u_t - kappa * u_xx


model = PINN().to(device)
with torch.no_grad():
    for p in model.parameters():
        p.copy_(torch.from_numpy(rng.normal(0, 0.5, tuple(p.shape))))
x_col = torch.from_numpy(rng.random((64, 1))).requires_grad_(True)
t_col = torch.from_numpy(rng.random((64, 1)) * 0.5).requires_grad_(True)
x_ic = torch.linspace(0, 1, 21).unsqueeze(1)
t_ic = torch.zeros_like(x_ic)
u_ic = torch.sin(math.pi * x_ic)
t_bc = torch.linspace(0, 0.5, 11).view(-1, 1)
x_bc = torch.cat([torch.zeros_like(t_bc), torch.ones_like(t_bc)])
t_bc = torch.cat([t_bc, t_bc])
mse = nn.MSELoss()


def total_loss():
    loss_pde = pde_residual(model, x_col, t_col).pow(2).mean()
    loss_ic = mse(model(x_ic, t_ic), u_ic)
    loss_bc = model(x_bc, t_bc).square().mean()
    return loss_pde + loss_ic + loss_bc


optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)
losses = []
for it in range(30):
    optimizer.zero_grad()
    loss = total_loss()
    loss.backward()
    optimizer.step()
    losses.append(loss.item())
    if it % 10 == 0:
        print(f"iter {it:4d} loss {loss.item():.3e}")

lbfgs = torch.optim.LBFGS(model.parameters(), lr=0.5, max_iter=5, history_size=10,
                          line_search_fn="strong_wolfe")


def closure():
    lbfgs.zero_grad()
    loss = total_loss()
    loss.backward()
    return loss


for _ in range(3):
    losses.append(lbfgs.step(closure).item())

xg, tg = torch.meshgrid(torch.linspace(0, 1, 11), torch.tensor([0.25]), indexing="ij")
with torch.no_grad():
    u_pred = model(xg.reshape(-1, 1), tg.reshape(-1, 1)).squeeze()
u_true = torch.exp(torch.tensor(-kappa * math.pi ** 2 * 0.25)) * torch.sin(math.pi * xg.reshape(-1))
rel_l2 = (torch.linalg.norm(u_pred - u_true) / torch.linalg.norm(u_true)).item()
torch.set_default_dtype(torch.float32)
result = [rel_l2, u_pred.dtype == torch.float64, float(torch.tensor(1.0).dtype == torch.float32)]
