"""Tabular regression with a Dataset subclass, standardisation, early stopping on a
validation set, ReduceLROnPlateau, checkpoints of model and optimizer state with
torch.save/torch.load, and resuming training from the checkpoint."""

import copy
import os
import tempfile

import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, Dataset, Subset, random_split

torch.manual_seed(0)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
rng = np.random.default_rng(7)
X_np = rng.normal(size=(200, 5)).astype(np.float32) * [1, 10, 0.1, 5, 2]
y_np = (X_np @ np.array([0.5, -0.05, 3.0, 0.2, -1.0]) + 0.3 * np.sin(X_np[:, 0])
        + rng.normal(0, 0.1, 200)).astype(np.float32)


class TabularDataset(Dataset):
    def __init__(self, X, y):
        self.X = torch.tensor(X, dtype=torch.float32)
        self.y = torch.tensor(y, dtype=torch.float32).unsqueeze(1)

    def __len__(self):
        return len(self.X)

    def __getitem__(self, idx):
        return self.X[idx], self.y[idx]


dataset = TabularDataset(X_np, y_np)
mean, std = dataset.X[:150].mean(dim=0, keepdim=True), dataset.X[:150].std(dim=0, keepdim=True)
dataset.X = (dataset.X - mean) / std
train_set, val_set = Subset(dataset, range(150)), Subset(dataset, range(150, 200))
a, b = random_split(dataset, [0.75, 0.25], generator=torch.Generator().manual_seed(42))
assert len(a) == 150 and len(b) == 50 and len(set(a.indices) | set(b.indices)) == 200
train_loader = DataLoader(train_set, batch_size=25, shuffle=False)
val_loader = DataLoader(val_set, batch_size=50)

model = nn.Sequential(nn.Linear(5, 32), nn.ReLU(), nn.Linear(32, 16), nn.ReLU(), nn.Linear(16, 1))
model.load_state_dict({k: torch.from_numpy(rng.normal(0, 0.3, v.shape).astype(np.float32))
                       for k, v in model.state_dict().items()})
model.to(device)
criterion = nn.MSELoss()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2, weight_decay=1e-4)
scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="min", factor=0.5, patience=1)
ckpt_path = os.path.join(tempfile.mkdtemp(), "best.pt")


def run_epoch(loader, train):
    model.train(train)
    total = 0.0
    with torch.set_grad_enabled(train):
        for xb, yb in loader:
            xb, yb = xb.to(device), yb.to(device)
            pred = model(xb)
            loss = criterion(pred, yb)
            if train:
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            total += loss.item() * xb.size(0)
    return total / len(loader.dataset)


best_val, best_state, patience, bad_epochs = float("inf"), None, 3, 0
losses, lrs = [], []
for epoch in range(30):
    train_loss = run_epoch(train_loader, True)
    val_loss = run_epoch(val_loader, False)
    scheduler.step(val_loss)
    losses += [train_loss, val_loss]
    lrs.append(optimizer.param_groups[0]["lr"])
    if val_loss < best_val - 1e-4:
        best_val, bad_epochs = val_loss, 0
        best_state = copy.deepcopy(model.state_dict())
        torch.save({"epoch": epoch, "model_state_dict": model.state_dict(),
                    "optimizer_state_dict": optimizer.state_dict(), "val_loss": val_loss}, ckpt_path)
    else:
        bad_epochs += 1
        if bad_epochs >= patience:
            print(f"early stopping at epoch {epoch}")
            break
stopped_at = epoch

model.load_state_dict(best_state)
restored = run_epoch(val_loader, False)
checkpoint = torch.load(ckpt_path, map_location=device, weights_only=True)
saved_step = float(checkpoint["optimizer_state_dict"]["state"][0]["step"])
model2 = nn.Sequential(nn.Linear(5, 32), nn.ReLU(), nn.Linear(32, 16), nn.ReLU(), nn.Linear(16, 1))
model2.load_state_dict(checkpoint["model_state_dict"])
optimizer2 = torch.optim.Adam(model2.parameters(), lr=1e-2, weight_decay=1e-4)
optimizer2.load_state_dict(checkpoint["optimizer_state_dict"])
model, optimizer = model2, optimizer2
resumed = [run_epoch(train_loader, True) for _ in range(3)]
losses += resumed
with torch.no_grad():
    preds = model(dataset.X[150:]).squeeze(1)
    r2 = 1 - ((preds - dataset.y[150:, 0]) ** 2).sum() / ((dataset.y[150:, 0] - dataset.y[150:, 0].mean()) ** 2).sum()
result = [stopped_at, best_val, restored, checkpoint["epoch"], checkpoint["val_loss"], r2.item(),
          saved_step] + lrs
