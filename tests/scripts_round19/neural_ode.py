"""A neural ODE fitted to a spiral: an ODEFunc MLP integrated with a hand-written fixed-step
RK4 solver (torch.stack over time points), trained by backprop through the solver with
RMSprop, plus a RunningAverageMeter as in torchdiffeq's examples."""

import numpy as np
import torch
import torch.nn as nn

torch.manual_seed(0)
rng = np.random.default_rng(9)
data_size, batch_time, batch_size = 40, 6, 8
true_y0 = torch.tensor([[2.0, 0.0]])
t = torch.linspace(0.0, 2.0, data_size)
true_A = torch.tensor([[-0.1, 2.0], [-2.0, -0.1]])


def rk4(func, y0, t):
    ys = [y0]
    y = y0
    for t0, t1 in zip(t[:-1], t[1:]):
        dt = t1 - t0
        k1 = func(t0, y)
        k2 = func(t0 + dt / 2, y + dt * k1 / 2)
        k3 = func(t0 + dt / 2, y + dt * k2 / 2)
        k4 = func(t1, y + dt * k3)
        y = y + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        ys.append(y)
    return torch.stack(ys)


class Lambda(nn.Module):
    def forward(self, t, y):
        return torch.mm(y ** 3, true_A)


with torch.no_grad():
    true_y = rk4(Lambda(), true_y0, t)


def get_batch():
    s = torch.from_numpy(rng.choice(np.arange(data_size - batch_time, dtype=np.int64), batch_size, replace=False))
    batch_y0 = true_y[s]
    batch_t = t[:batch_time]
    batch_y = torch.stack([true_y[s + i] for i in range(batch_time)], dim=0)
    return batch_y0, batch_t, batch_y


class ODEFunc(nn.Module):
    def __init__(self):
        super(ODEFunc, self).__init__()
        self.net = nn.Sequential(nn.Linear(2, 32), nn.Tanh(), nn.Linear(32, 2))
        for m in self.net.modules():
            if isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, mean=0, std=0.1)
                nn.init.constant_(m.bias, val=0)
        self.nfe = 0

    def forward(self, t, y):
        self.nfe += 1
        return self.net(y ** 3)


class RunningAverageMeter(object):
    def __init__(self, momentum=0.99):
        self.momentum = momentum
        self.val, self.avg = None, 0

    def update(self, val):
        self.avg = val if self.val is None else self.avg * self.momentum + val * (1 - self.momentum)
        self.val = val


func = ODEFunc()
with torch.no_grad():
    for p in func.parameters():
        p.copy_(torch.from_numpy(rng.normal(0, 0.1, tuple(p.shape)).astype(np.float32)))
optimizer = torch.optim.RMSprop(func.parameters(), lr=1e-3)
loss_meter = RunningAverageMeter(0.97)
losses = []
for itr in range(1, 11):
    optimizer.zero_grad()
    batch_y0, batch_t, batch_y = get_batch()
    pred_y = rk4(func, batch_y0, batch_t)
    loss = torch.mean(torch.abs(pred_y - batch_y))
    loss.backward()
    optimizer.step()
    loss_meter.update(loss.item())
    losses.append(loss.item())
    if itr % 5 == 0:
        with torch.no_grad():
            pred_y = rk4(func, true_y0, t)
            print("Iter {:04d} | Total Loss {:.6f}".format(itr, torch.mean(torch.abs(pred_y - true_y)).item()))
result = [loss_meter.avg, func.nfe, pred_y.abs().max().item(), true_y[-1].norm().item()]
