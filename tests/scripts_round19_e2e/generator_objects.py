"""torch.Generator objects: one for the DataLoader's shuffle, one for noise, the global seed
for the model; the global stream is left alone by the generator draws."""
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(11)
torch.set_num_threads(1)

data_gen = torch.Generator().manual_seed(123)
noise_gen = torch.Generator()
noise_gen.manual_seed(7)

X = torch.randn(64, 4, generator=data_gen)
y = X @ torch.tensor([1.0, -2.0, 0.5, 0.0]) + 0.1 * torch.randn(64, generator=noise_gen)
loader = DataLoader(TensorDataset(X, y), batch_size=16, shuffle=True,
                    generator=torch.Generator().manual_seed(5))
model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))
opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.5, nesterov=True)
for epoch in range(3):
    for step, (xb, yb) in enumerate(loader):
        noisy = xb + 0.01 * torch.randn(xb.shape, generator=noise_gen)
        loss = nn.functional.mse_loss(model(noisy).squeeze(1), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        print(f"epoch {epoch} step {step} loss {loss.item():.6f}")
state = noise_gen.get_state()
a = torch.rand(3, generator=noise_gen)
noise_gen.set_state(state)
b = torch.rand(3, generator=noise_gen)
print("replay", torch.equal(a, b), [f"{v:.6f}" for v in a.tolist()])
print("randint", torch.randint(0, 100, (5,), generator=data_gen).tolist())
print("randperm", torch.randperm(8, generator=data_gen).tolist())
print("global", [f"{v:.6f}" for v in torch.rand(3).tolist()], torch.initial_seed())
