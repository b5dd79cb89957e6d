"""random_split, WeightedRandomSampler and SubsetRandomSampler feeding a logistic model."""
import torch
import torch.nn as nn
from torch.utils.data import (
    DataLoader,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
    random_split,
)

torch.manual_seed(7)
torch.set_num_threads(1)

X = torch.randn(120, 5)
y = (X[:, 0] + 0.5 * X[:, 1] > 0.8).float()
data = TensorDataset(X, y)
train, val, test = random_split(data, [80, 25, 15])
print("val indices", val.indices[:8])
train_y = y[train.indices]
weights = torch.where(train_y > 0, 1.0 / train_y.sum(), 1.0 / (1 - train_y).sum())
sampler = WeightedRandomSampler(weights, num_samples=80, replacement=True)
loader = DataLoader(train, batch_size=20, sampler=sampler)
val_loader = DataLoader(data, batch_size=10, sampler=SubsetRandomSampler(val.indices))

model = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 1))
opt = torch.optim.SGD(model.parameters(), lr=0.2)
loss_fn = nn.BCEWithLogitsLoss()
for epoch in range(3):
    for step, (xb, yb) in enumerate(loader):
        loss = loss_fn(model(xb).squeeze(1), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        print(f"epoch {epoch} step {step} loss {loss.item():.6f} pos {int(yb.sum())}")
    with torch.no_grad():
        val_loss = sum(loss_fn(model(xb).squeeze(1), yb).item() for xb, yb in val_loader)
    print(f"epoch {epoch} val {val_loss:.6f}")
no_replace = list(WeightedRandomSampler([0.1, 0.5, 0.2, 0.9, 0.3], 4, replacement=False))
print("no replacement", no_replace)
print("subset order", list(SubsetRandomSampler(range(10, 20))))
