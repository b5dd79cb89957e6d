"""Printing what a training loop has: the model, grads, softmax outputs, int and bool
tensors, scalars with grad_fn, set_printoptions, and a short SGD run."""
import torch
import torch.nn as nn

torch.manual_seed(151)
torch.set_num_threads(1)

model = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 3))
print(model)
x = torch.randn(5, 4)
y = torch.randint(0, 3, (5,))
print(y, y.dtype == torch.int64, y > 0)
out = model(x)
print(out)
print(out.softmax(-1))
loss = nn.functional.cross_entropy(out, y)
print(loss)
loss.backward()
print(model[0].weight.grad[:2])
print(model[2].bias.grad)
print(torch.randn(3) * 1e-5, torch.randn(2) * 1e6)
opt = torch.optim.SGD(model.parameters(), lr=0.5)
for step in range(5):
    opt.zero_grad()
    loss = nn.functional.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    print(step, loss, loss.item())
torch.set_printoptions(precision=6)
print(model[2].weight[0])
print(model(x).argmax(1), (model(x).argmax(1) == y).float().mean())
torch.set_printoptions(profile="default")
print(torch.zeros(2, 3, dtype=torch.bool), torch.arange(6).view(2, 3) * 2)
