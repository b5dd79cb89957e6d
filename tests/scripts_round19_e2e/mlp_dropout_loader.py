"""An MLP with Dropout trained for several epochs on a shuffled DataLoader (seeded data)."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
torch.set_num_threads(1)

X = torch.randn(96, 10)
w_true = torch.rand(10, 3) * 2 - 1
y = (X @ w_true).argmax(dim=1)

model = nn.Sequential(
    nn.Linear(10, 32),
    nn.ReLU(),
    nn.Dropout(0.3),
    nn.Linear(32, 16),
    nn.Tanh(),
    nn.Dropout(p=0.1),
    nn.Linear(16, 3),
)
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
loader = DataLoader(TensorDataset(X, y), batch_size=16, shuffle=True)

for epoch in range(4):
    model.train()
    total = 0.0
    for step, (xb, yb) in enumerate(loader):
        opt.zero_grad()
        loss = F.cross_entropy(model(xb), yb)
        loss.backward()
        opt.step()
        total += loss.item()
        print(f"epoch {epoch} step {step} loss {loss.item():.6f}")
    model.eval()
    with torch.no_grad():
        acc = (model(X).argmax(1) == y).float().mean().item()
    print(f"epoch {epoch} total {total:.6f} acc {acc:.4f}")
