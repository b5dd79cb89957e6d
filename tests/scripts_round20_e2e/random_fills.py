"""The in-place random fills and generator= draws, printed as tensors, then a noisy fit."""
import torch

torch.manual_seed(101)
torch.set_num_threads(1)

t = torch.empty(2, 4)
print("uniform", t.uniform_(-2, 3))
print("normal", t.normal_(1.0, 0.5))
print("exponential", t.exponential_(3.0))
print("geometric", t.geometric_(0.4))
print("cauchy", t.cauchy_(0.0, 0.5))
print("log_normal", t.log_normal_(0.0, 0.3))
gen = torch.Generator().manual_seed(7)
print("normal gen", torch.normal(2.0, 3.0, size=(2, 3), generator=gen))
print("rand gen", torch.rand(2, 3, generator=gen))
print("normal tensor", torch.normal(torch.zeros(4), torch.arange(1.0, 5.0)))
print("randn64", torch.randn(3, 3, dtype=torch.float64))
print("randn64 long", torch.randn(20, dtype=torch.float64)[-4:])
print("randint", torch.randint(-5, 5, (2, 6)))

w = torch.zeros(3, requires_grad=True)
opt = torch.optim.Rprop([w], lr=0.05)
true = torch.tensor([1.0, -2.0, 0.5])
for step in range(8):
    x = torch.randn(16, 3)
    y = x @ true + 0.1 * torch.randn(16)
    loss = ((x @ w - y) ** 2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(f"step {step} loss {loss.item():.6f} w {w.detach()}")
