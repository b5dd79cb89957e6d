"""A float64 conv model (model.double()) on float64 randn data, Adam with amsgrad."""
import torch
import torch.nn as nn

torch.manual_seed(141)
torch.set_num_threads(1)

model = nn.Sequential(nn.Conv1d(1, 3, 3), nn.ELU(), nn.Flatten(), nn.Linear(3 * 6, 1))
model = model.double()
print("conv", model[0].weight[:, 0])
opt = torch.optim.Adam(model.parameters(), lr=0.01, amsgrad=True)
sched = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=3)

for step in range(8):
    x = torch.randn(10, 1, 8, dtype=torch.float64)
    y = x.abs().mean(dim=(1, 2)).unsqueeze(1)
    noise = torch.randn(10, 1).double() * 0.01
    loss = nn.functional.l1_loss(model(x), y + noise)
    opt.zero_grad()
    loss.backward()
    opt.step()
    sched.step()
    print(f"step {step} loss {loss.item():.8f} {loss.item()!r}")
x32 = torch.randn(2, 1, 8)
print(model(x32.double()))
print(model.float()(x32).dtype == torch.float32)
