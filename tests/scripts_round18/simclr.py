"""A SimCLR-style contrastive model: two noisy views, an encoder and projection head,
F.normalize, the NT-Xent loss (similarity matrix, masked diagonal, cross_entropy with label
smoothing), cosine similarity checks and a linear probe on frozen features."""

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
rng = np.random.default_rng(10)
n_classes, dim = 4, 12
centers = rng.normal(0, 2, (n_classes, dim))
labels_np = rng.integers(0, n_classes, 64)
base = (centers[labels_np] + rng.normal(0, 0.5, (64, dim))).astype(np.float32)


def augment(x):
    scale = rng.uniform(0.8, 1.2, (x.shape[0], 1)).astype(np.float32)
    noise = rng.normal(0, 0.3, x.shape).astype(np.float32)
    return x * torch.from_numpy(scale) + torch.from_numpy(noise)


class SimCLR(nn.Module):
    def __init__(self, in_dim=dim, feat_dim=16, proj_dim=8):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(in_dim, 32), nn.BatchNorm1d(32), nn.ReLU(inplace=True),
                                     nn.Linear(32, feat_dim))
        self.projector = nn.Sequential(nn.Linear(feat_dim, feat_dim), nn.ReLU(), nn.Linear(feat_dim, proj_dim))

    def forward(self, x):
        h = self.encoder(x)
        return h, self.projector(h)


def nt_xent(z1, z2, temperature=0.5):
    z = F.normalize(torch.cat([z1, z2], dim=0), dim=1)
    n = z1.shape[0]
    sim = torch.mm(z, z.t()) / temperature
    sim = sim.masked_fill(torch.eye(2 * n, dtype=torch.bool, device=z.device), -9e15)
    targets = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)]).to(z.device)
    return F.cross_entropy(sim, targets, label_smoothing=0.1)


model = SimCLR()
model.load_state_dict({k: (torch.from_numpy(rng.normal(0, 0.3, v.shape).astype(np.float32))
                           if v.dtype == torch.float32 and "running" not in k else v)
                       for k, v in model.state_dict().items()})
optimizer = torch.optim.Adam(model.parameters(), lr=3e-3, weight_decay=1e-6)
x = torch.from_numpy(base)
losses = []
for epoch in range(10):
    model.train()
    for i in range(0, 64, 32):
        xb = x[i:i + 32]
        _, z1 = model(augment(xb))
        _, z2 = model(augment(xb))
        loss = nt_xent(z1, z2)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())

model.eval()
with torch.no_grad():
    h, z = model(x)
    z_a, z_b = model(augment(x))[1], model(augment(x))[1]
    pos_sim = F.cosine_similarity(z_a, z_b, dim=-1).mean().item()
    neg_sim = F.cosine_similarity(z_a, z_b.roll(1, dims=0), dim=-1).mean().item()
    pdist = torch.cdist(F.normalize(z, dim=1), F.normalize(z, dim=1)).mean().item()

for p in model.parameters():
    p.requires_grad = False
probe = nn.Linear(16, n_classes)
with torch.no_grad():
    probe.weight.zero_()
    probe.bias.zero_()
probe_opt = torch.optim.SGD(probe.parameters(), lr=0.5)
y = torch.from_numpy(labels_np)
for _ in range(30):
    probe_opt.zero_grad()
    out = probe(h.detach())
    probe_loss = F.cross_entropy(out, y)
    probe_loss.backward()
    probe_opt.step()
acc = (probe(h).argmax(dim=1) == y).float().mean().item()
assert probe.weight.grad is not None and not h.requires_grad
print(f"pos {pos_sim:.3f} neg {neg_sim:.3f} probe acc {acc:.2f}")
result = [pos_sim, neg_sim, pdist, probe_loss.item(), acc]
