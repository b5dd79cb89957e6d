"""Train an MLP classifier with a DataLoader over a TensorDataset, then measure accuracy."""

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

rng = np.random.default_rng(2)
centers = rng.normal(size=(3, 4)) * 2
labels = rng.integers(0, 3, 300)
features = centers[labels] + rng.normal(size=(300, 4))

X = torch.tensor(features, dtype=torch.float32)
Y = torch.tensor(labels)
loader = DataLoader(TensorDataset(X, Y), batch_size=32, shuffle=False)


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(4, 16)
        self.out = nn.Linear(16, 3)

    def forward(self, x):
        return self.out(F.relu(self.hidden(x)))


device = "cuda" if torch.cuda.is_available() else "cpu"
model = MLP().to(device)
with torch.no_grad():
    for parameter in model.parameters():
        parameter.copy_(torch.tensor(rng.normal(size=tuple(parameter.shape)) * 0.3))

criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)

losses = []
for _epoch in range(4):
    model.train()
    for xb, yb in loader:
        xb, yb = xb.to(device), yb.to(device)
        optimizer.zero_grad()
        loss = criterion(model(xb), yb)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())

model.eval()
with torch.no_grad():
    outputs = model(X)
    _, predicted = torch.max(outputs.data, 1)
    accuracy = (predicted == Y).sum().item() / len(Y)
result = [accuracy]
