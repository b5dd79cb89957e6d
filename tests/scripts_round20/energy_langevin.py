"""An energy-based model trained with contrastive divergence and short-run Langevin dynamics
(Du & Mordatch; Nijkamp et al.): gradients with respect to the samples through
torch.autograd.grad, a replay buffer of past samples, noise from torch.randn_like, spectral
regularisation of energies, and score matching of the learned energy checked on a grid."""

import torch
import torch.nn as nn

torch.manual_seed(22)


class EnergyNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(2, 64), nn.SiLU(), nn.Linear(64, 64), nn.SiLU(), nn.Linear(64, 1))

    def forward(self, x):
        return self.net(x).squeeze(-1)


def langevin(model, x, steps=10, step_size=0.05, noise=0.01):
    x = x.clone().detach()
    for _ in range(steps):
        x.requires_grad_(True)
        energy = model(x).sum()
        grad_x = torch.autograd.grad(energy, x)[0]
        x = x.detach() - step_size * grad_x + noise * torch.randn_like(x)
        x = x.clamp(-3, 3)
    return x.detach()


centers = torch.tensor([[1.5, 0.0], [-1.5, 0.0], [0.0, 1.5]])
data = centers[torch.randint(0, 3, (384,))] + 0.2 * torch.randn(384, 2)
model = EnergyNet()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.0, 0.999))
buffer = torch.rand(256, 2) * 6 - 3
losses = []
for step in range(40):
    real = data[torch.randint(0, len(data), (64,))]
    idx = torch.randint(0, len(buffer), (64,))
    fresh = torch.rand(64, 1) < 0.05
    init = torch.where(fresh, torch.rand(64, 2) * 6 - 3, buffer[idx])
    fake = langevin(model, init)
    buffer[idx] = fake
    e_real, e_fake = model(real), model(fake)
    loss = e_real.mean() - e_fake.mean() + 0.1 * (e_real ** 2 + e_fake ** 2).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    losses.append(loss.item())
    if step % 10 == 0:
        print(f"step {step:2d} loss {loss.item():.4f} E(real) {e_real.mean().item():.3f} E(fake) {e_fake.mean().item():.3f}")

grid = torch.stack(torch.meshgrid(torch.linspace(-2, 2, 9), torch.linspace(-2, 2, 9), indexing="xy"), -1).reshape(-1, 2)
grid.requires_grad_(True)
energy = model(grid)
(score,) = torch.autograd.grad(-energy.sum(), grid, create_graph=True)
divergence = sum(torch.autograd.grad(score[:, i].sum(), grid, retain_graph=True)[0][:, i] for i in range(2))
sm_loss = (0.5 * (score ** 2).sum(1) + divergence).mean()
with torch.no_grad():
    e_centers = model(centers)
    e_far = model(torch.tensor([[2.8, 2.8], [-2.8, -2.8]]))
print("centers lower than corners:", bool(e_centers.max() < e_far.min()), tuple(score.shape))
result = [*e_centers.tolist(), *e_far.tolist(), sm_loss.item(), buffer.abs().mean().item()]
