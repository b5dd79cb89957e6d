"""Gradient accumulation (`loss / accum_steps`) with an exponential moving average of the
weights kept in a frozen deepcopy, updated through `.data` as in many training repos:
`ema_p.data.mul_(decay).add_(p.data, alpha=1 - decay)`. Blocks run under
torch.utils.checkpoint."""

import copy

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint

rng = np.random.default_rng(11)


class Block(nn.Module):
    def __init__(self, d):
        super().__init__()
        self.fc1, self.fc2, self.norm = nn.Linear(d, d), nn.Linear(d, d), nn.LayerNorm(d)

    def forward(self, x):
        return x + self.fc2(F.gelu(self.fc1(self.norm(x))))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.inp = nn.Linear(4, 16)
        self.blocks = nn.ModuleList([Block(16) for _ in range(2)])
        self.out = nn.Linear(16, 1)

    def forward(self, x):
        x = self.inp(x)
        for block in self.blocks:
            x = checkpoint(block, x, use_reentrant=False)
        return self.out(x)


class EMA:
    def __init__(self, model, decay=0.8):
        self.decay = decay
        self.shadow = copy.deepcopy(model)
        for p in self.shadow.parameters():
            p.requires_grad_(False)

    @torch.no_grad()
    def update(self, model):
        for ema_p, p in zip(self.shadow.parameters(), model.parameters()):
            ema_p.data.mul_(self.decay).add_(p.data, alpha=1 - self.decay)


model = Net()
model.load_state_dict({k: torch.tensor(rng.normal(0, 0.3, size=tuple(v.shape)),
                                       dtype=torch.float32)
                       for k, v in model.state_dict().items()})
ema = EMA(model)
X = torch.from_numpy(rng.normal(size=(64, 4)).astype(np.float32))
y = (X[:, :1] * 2 - X[:, 1:2]).tanh()
opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
accum_steps = 4
losses = []
for _epoch in range(6):
    opt.zero_grad(set_to_none=True)
    running = 0.0
    for i in range(8):
        xb, yb = X[i * 8:(i + 1) * 8], y[i * 8:(i + 1) * 8]
        loss = F.mse_loss(model(xb), yb) / accum_steps
        loss.backward()
        running += loss.item()
        if (i + 1) % accum_steps == 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            opt.zero_grad(set_to_none=True)
            ema.update(model)
    losses.append(running / 2)
with torch.no_grad():
    result = np.concatenate([ema.shadow(X[:4]).numpy().ravel(), model(X[:4]).numpy().ravel()])
