"""Knowledge distillation (Hinton et al.): a teacher MLP trained with label smoothing, then a
smaller student trained on soft targets with temperature (KLDivLoss(log_target=True) and
F.kl_div on probabilities) plus hard-label cross-entropy; cosine-annealed learning rate."""

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
rng = np.random.default_rng(11)
X = rng.normal(size=(96, 6)).astype(np.float32)
Y = (X[:, 0] * X[:, 1] > 0).astype(np.int64) + 2 * (X[:, 2] > 0.5).astype(np.int64)
loader = DataLoader(TensorDataset(torch.from_numpy(X), torch.from_numpy(Y)), batch_size=32,
                    shuffle=False)


def make(hidden):
    net = nn.Sequential(nn.Linear(6, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                        nn.Linear(hidden, 4))
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.from_numpy(rng.normal(0, 0.4, tuple(p.shape)).astype(np.float32)))
    return net


teacher, student = make(32), make(8)
losses = []
opt_t = torch.optim.Adam(teacher.parameters(), lr=1e-2)
ce_smooth = nn.CrossEntropyLoss(label_smoothing=0.1)
for epoch in range(3):
    teacher.train()
    for xb, yb in loader:
        loss = ce_smooth(teacher(xb), yb)
        opt_t.zero_grad()
        loss.backward()
        opt_t.step()
        losses.append(loss.item())

T, alpha = 4.0, 0.7
kd = nn.KLDivLoss(reduction="batchmean", log_target=True)
opt_s = torch.optim.SGD(student.parameters(), lr=0.1, momentum=0.9)
sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt_s, T_max=9, eta_min=1e-3)
teacher.eval()
for epoch in range(3):
    for xb, yb in loader:
        with torch.no_grad():
            t_logits = teacher(xb)
        s_logits = student(xb)
        soft = kd(F.log_softmax(s_logits / T, dim=-1), F.log_softmax(t_logits / T, dim=-1))
        hard = F.cross_entropy(s_logits, yb)
        loss = alpha * soft * T * T + (1 - alpha) * hard
        opt_s.zero_grad()
        loss.backward()
        opt_s.step()
        sched.step()
        losses.append(loss.item())

with torch.no_grad():
    xs, ys = torch.from_numpy(X), torch.from_numpy(Y)
    t_acc = (teacher(xs).argmax(1) == ys).float().mean().item()
    s_acc = (student(xs).argmax(1) == ys).float().mean().item()
    plain_kl = F.kl_div(F.log_softmax(student(xs), 1), F.softmax(teacher(xs), 1),
                        reduction="sum").item()
print(f"teacher {t_acc:.3f} student {s_acc:.3f} lr {sched.get_last_lr()[0]:.5f}")
result = [t_acc, s_acc, plain_kl, sched.get_last_lr()[0]]
