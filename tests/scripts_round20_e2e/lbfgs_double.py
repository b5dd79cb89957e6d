"""A float64 model (model.double()) fitted with LBFGS, losses printed with their full repr."""
import torch
import torch.nn as nn

torch.manual_seed(121)
torch.set_num_threads(1)

model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1)).double()
x = torch.rand(40, 2, dtype=torch.float64) * 4 - 2
y = (x[:, :1] * x[:, 1:]).sin()
opt = torch.optim.LBFGS(model.parameters(), lr=0.5, max_iter=5, history_size=4)


def closure():
    opt.zero_grad()
    loss = nn.functional.mse_loss(model(x), y)
    loss.backward()
    return loss


for step in range(6):
    loss = opt.step(closure)
    print(f"step {step} loss {loss.item():.10f}")
print(repr(closure().item()))
print(model[0].weight[:2])
print(model(x[:3]))
