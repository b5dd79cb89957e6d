"""use_deterministic_algorithms, OneCycleLR over SGD, BatchNorm1d + Dropout, tensors printed."""
import torch
import torch.nn as nn

torch.use_deterministic_algorithms(True)
torch.manual_seed(131)
torch.set_num_threads(1)

model = nn.Sequential(nn.Linear(6, 12), nn.BatchNorm1d(12), nn.ReLU(), nn.Dropout(0.3),
                      nn.Linear(12, 4))
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.3, total_steps=10)
centers = torch.randn(4, 6) * 2

for step in range(10):
    labels = torch.randint(0, 4, (24,))
    x = centers[labels] + torch.randn(24, 6)
    logits = model(x)
    loss = nn.functional.cross_entropy(logits, labels)
    opt.zero_grad()
    loss.backward()
    opt.step()
    sched.step()
    acc = (logits.argmax(1) == labels).float().mean()
    print(f"step {step} loss {loss:.6f} acc {acc:.4f} lr {sched.get_last_lr()[0]:.6f}")
model.eval()
print(model[1].running_mean[:4])
print(model[1].running_var[:4])
with torch.no_grad():
    print(model(centers))
print(torch.are_deterministic_algorithms_enabled())
