"""The structural nn.init functions: sparse_, eye_, dirac_, orthogonal_, then a short fit."""
import torch
import torch.nn as nn

torch.manual_seed(91)
torch.set_num_threads(1)

w = torch.empty(6, 4)
nn.init.sparse_(w, sparsity=0.5, std=0.1)
print("sparse", w)
print("eye", nn.init.eye_(torch.empty(2, 3)))
conv = nn.Conv1d(3, 3, 3, padding=1)
nn.init.dirac_(conv.weight)
print("dirac", conv.weight[:, :, 1])
q = nn.init.orthogonal_(torch.empty(3, 5), gain=2.0)
print("orth", q)
print("gram", (q @ q.t()).diag())
lin = nn.Linear(5, 5)
nn.init.orthogonal_(lin.weight)
nn.init.zeros_(lin.bias)
nn.init.kaiming_normal_(conv.weight, mode="fan_out", nonlinearity="relu")
print("kaiming", conv.weight[0])
opt = torch.optim.SGD([*lin.parameters(), *conv.parameters()], lr=0.05, momentum=0.9,
                      nesterov=True)
for step in range(6):
    x = torch.randn(4, 3, 5)
    h = conv(x).relu().mean(1)
    loss = (lin(h) - x.mean(1)).pow(2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(f"step {step} loss {loss.item():.6f}")
