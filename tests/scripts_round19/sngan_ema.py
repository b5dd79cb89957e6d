"""An SN-GAN on 2-D data with an EMA generator: discriminator layers wrapped in
parametrizations.spectral_norm (its power-iteration buffers _u/_v in the state_dict), the
non-saturating (softplus) loss, a generator copy (copy.deepcopy, requires_grad_(False)) updated with lerp_ /
torch._foreach_mul_ / _foreach_add_, and ema buffers copied with copy_."""

import copy

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.parametrizations import spectral_norm

torch.manual_seed(61)
rng = np.random.default_rng(61)
real = torch.tensor(rng.normal(0, 0.3, (128, 2)) + np.array([2.0, -1.0]), dtype=torch.float32)

G = nn.Sequential(nn.Linear(4, 32, bias=False), nn.BatchNorm1d(32), nn.ReLU(), nn.Linear(32, 2))
D = nn.Sequential(spectral_norm(nn.Linear(2, 32)), nn.LeakyReLU(0.1),
                  spectral_norm(nn.Linear(32, 32)), nn.LeakyReLU(0.1), spectral_norm(nn.Linear(32, 1)))
for net in (G, D):
    state = net.state_dict()
    for k, v in state.items():
        if v.dtype == torch.float32 and "running" not in k:
            state[k] = torch.from_numpy(rng.normal(0, 0.5, tuple(v.shape)).astype(np.float32))
    net.load_state_dict(state)
names = sorted(D.state_dict().keys())
G_ema = copy.deepcopy(G).eval().requires_grad_(False)
opt_g = torch.optim.Adam(G.parameters(), lr=2e-3, betas=(0.0, 0.9))
opt_d = torch.optim.Adam(D.parameters(), lr=2e-3, betas=(0.0, 0.9))
losses = []


@torch.no_grad()
def update_ema(step, decay=0.9):
    ema_params, params = list(G_ema.parameters()), list(G.parameters())
    if step % 2 == 0:
        for e, p in zip(ema_params, params):
            e.lerp_(p, 1 - decay)
    else:
        torch._foreach_mul_(ema_params, decay)
        torch._foreach_add_(ema_params, params, alpha=1 - decay)
    for e, b in zip(G_ema.buffers(), G.buffers()):
        e.copy_(b)


for step in range(10):
    z = torch.from_numpy(rng.normal(size=(32, 4)).astype(np.float32))
    x = real[step * 9:step * 9 + 32]
    d_loss = F.softplus(-D(x)).mean() + F.softplus(D(G(z).detach())).mean()
    opt_d.zero_grad()
    d_loss.backward()
    opt_d.step()
    g_loss = F.softplus(-D(G(z))).mean()
    opt_g.zero_grad()
    g_loss.backward()
    opt_g.step()
    update_ema(step)
    losses += [d_loss.item(), g_loss.item()]

D.eval()
with torch.no_grad():
    W = D[0].weight
    sigma = torch.linalg.matrix_norm(W, ord=2).item()
    samples = G_ema(torch.zeros(4, 4))
result = [sigma, samples.mean().item(), D[2].parametrizations.weight[0]._u.norm().item(),
          G_ema[1].running_mean.abs().sum().item()]
