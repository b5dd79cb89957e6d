"""A 1-D conv net on noisy sequences: Conv1d, GroupNorm, PReLU, AdamW with cosine annealing."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(11)
torch.set_num_threads(1)

model = nn.Sequential(
    nn.Conv1d(2, 8, 5, padding=2), nn.GroupNorm(2, 8), nn.PReLU(8),
    nn.Conv1d(8, 8, 3, stride=2), nn.ReLU(), nn.AdaptiveAvgPool1d(1), nn.Flatten(),
    nn.Linear(8, 3),
)
opt = torch.optim.AdamW(model.parameters(), lr=5e-3, weight_decay=0.05)
sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=10)
base = torch.randn(3, 2, 24)

for step in range(10):
    labels = torch.randint(0, 3, (16,))
    x = base[labels] + 0.5 * torch.randn(16, 2, 24)
    loss = F.cross_entropy(model(x), labels)
    opt.zero_grad()
    loss.backward()
    norm = nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    sched.step()
    lr = sched.get_last_lr()[0]
    print(f"step {step} loss {loss.item():.6f} norm {norm.item():.5f} lr {lr:.6f}")
print("prelu", model[2].weight.data[:4])
print("gn", [round(v, 5) for v in model[1].bias.tolist()[:4]])
