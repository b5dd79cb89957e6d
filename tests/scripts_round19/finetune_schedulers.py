"""Transfer-learning fine-tuning as the PyTorch tutorial does it: a "pretrained" backbone
frozen with requires_grad_(False), a new head, optimizer over filter(requires_grad), then
unfreezing with add_param_group and a lower backbone lr; warm-up via SequentialLR(LinearLR,
CosineAnnealingLR), and other schedulers' lr curves (CyclicLR, OneCycleLR three-phase,
PolynomialLR, MultiStepLR, ChainedScheduler); a checkpoint restored
into a rebuilt model."""

import io

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.optim import lr_scheduler

torch.manual_seed(47)
rng = np.random.default_rng(47)
X = torch.tensor(rng.normal(size=(64, 10)), dtype=torch.float32)
y = torch.from_numpy(rng.integers(0, 3, 64))


class Backbone(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer1 = nn.Sequential(nn.Linear(10, 16), nn.BatchNorm1d(16), nn.ReLU())
        self.layer2 = nn.Sequential(nn.Linear(16, 16), nn.ReLU())
        self.fc = nn.Linear(16, 5)

    def forward(self, x):
        return self.fc(self.layer2(self.layer1(x)))


model = Backbone()
with torch.no_grad():
    for p in model.parameters():
        p.copy_(torch.from_numpy(rng.normal(0, 0.4, tuple(p.shape)).astype(np.float32)))
for param in model.parameters():
    param.requires_grad = False
num_ftrs = model.fc.in_features
model.fc = nn.Linear(num_ftrs, 3)
with torch.no_grad():
    model.fc.weight.copy_(torch.from_numpy(rng.normal(0, 0.3, (3, num_ftrs)).astype(np.float32)))
    model.fc.bias.zero_()
trainable = [n for n, p in model.named_parameters() if p.requires_grad]
optimizer = torch.optim.SGD(filter(lambda p: p.requires_grad, model.parameters()), lr=0.1, momentum=0.9)
warmup = lr_scheduler.LinearLR(optimizer, start_factor=0.1, total_iters=3)
cosine = lr_scheduler.CosineAnnealingLR(optimizer, T_max=9)
scheduler = lr_scheduler.SequentialLR(optimizer, schedulers=[warmup, cosine], milestones=[3])
losses, lrs = [], []
for epoch in range(12):
    if epoch == 5:
        for p in model.layer2.parameters():
            p.requires_grad_(True)
        optimizer.add_param_group({"params": model.layer2.parameters(), "lr": 0.01})
    model.train()
    loss = F.cross_entropy(model(X), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    scheduler.step()
    losses.append(loss.item())
    lrs.append(optimizer.param_groups[0]["lr"])
assert model.layer1[0].weight.grad is None and model.layer2[0].weight.grad is not None

buffer = io.BytesIO()
torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()}, buffer)
buffer.seek(0)
restored = Backbone()
restored.fc = nn.Linear(num_ftrs, 3)
restored.load_state_dict(torch.load(buffer)["model"])
restored.eval()
model.eval()
with torch.no_grad():
    same = torch.equal(restored(X), model(X))


def curve(make, steps=8, **kw):
    opt = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)
    sched = make(opt)
    values = []
    for _ in range(steps):
        opt.step()
        sched.step()
        values.append(round(sched.get_last_lr()[0], 6))
    return values


curves = [
    curve(lambda o: lr_scheduler.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=3, mode="triangular2")),
    curve(lambda o: lr_scheduler.OneCycleLR(o, max_lr=0.5, total_steps=10, three_phase=True)),
    curve(lambda o: lr_scheduler.PolynomialLR(o, total_iters=6, power=2.0)),
    curve(lambda o: lr_scheduler.MultiStepLR(o, milestones=[2, 5], gamma=0.5)),
    curve(lambda o: lr_scheduler.ChainedScheduler([lr_scheduler.ConstantLR(o, factor=0.5, total_iters=3),
                                                   lr_scheduler.ExponentialLR(o, gamma=0.9)])),
    curve(lambda o: lr_scheduler.MultiplicativeLR(o, lr_lambda=lambda e: 0.95)),
]
for c in curves:
    print(c)
print(trainable, len(optimizer.param_groups))
result = [same, *lrs, optimizer.param_groups[1]["lr"], *[v for c in curves for v in c]]
