"""A time-series LSTM forecaster: a sliding-window Dataset built with Tensor.unfold,
random_split by fractions with a seeded generator, MinMax scaling, clip_grad_value_,
CosineAnnealingWarmRestarts, then stochastic weight averaging (AveragedModel, SWALR)."""

import numpy as np
import torch
import torch.nn as nn
from torch.optim.swa_utils import SWALR, AveragedModel
from torch.utils.data import DataLoader, Dataset, Subset, random_split

torch.manual_seed(31)
rng = np.random.default_rng(31)
t = np.arange(200, dtype=np.float32)
series = np.sin(t / 8) + 0.5 * np.sin(t / 3) + rng.normal(0, 0.05, 200).astype(np.float32)
lo, hi = series.min(), series.max()
scaled = torch.from_numpy((series - lo) / (hi - lo))
window = 12


class WindowDataset(Dataset):
    def __init__(self, series, window):
        self.windows = series.unfold(0, window + 1, 1)

    def __len__(self):
        return self.windows.size(0)

    def __getitem__(self, idx):
        w = self.windows[idx]
        return w[:-1].unsqueeze(-1), w[-1:]


dataset = WindowDataset(scaled, window)
train_part, val_part = random_split(dataset, [0.8, 0.2], generator=torch.Generator().manual_seed(42))
print("split sizes:", len(train_part), len(val_part), len(dataset))
n_train = int(0.8 * len(dataset))
train_ds, val_ds = Subset(dataset, range(n_train)), Subset(dataset, range(n_train, len(dataset)))
train_loader = DataLoader(train_ds, batch_size=32, shuffle=False)


class LSTMForecaster(nn.Module):
    def __init__(self, hidden=16):
        super().__init__()
        self.lstm = nn.LSTM(input_size=1, hidden_size=hidden, num_layers=2, batch_first=True,
                            dropout=0.0)
        self.fc = nn.Linear(hidden, 1)

    def forward(self, x):
        out, (h_n, c_n) = self.lstm(x)
        return self.fc(out[:, -1, :])


model = LSTMForecaster()
with torch.no_grad():
    for p in model.parameters():
        p.copy_(torch.from_numpy(rng.uniform(-0.25, 0.25, tuple(p.shape)).astype(np.float32)))
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
scheduler = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(optimizer, T_0=3, T_mult=2)
swa_model = AveragedModel(model)
swa_scheduler = SWALR(optimizer, swa_lr=0.005, anneal_epochs=2, anneal_strategy="cos")
criterion = nn.MSELoss()
losses, lrs = [], []
for epoch in range(6):
    for i, (xb, yb) in enumerate(train_loader):
        optimizer.zero_grad()
        loss = criterion(model(xb), yb)
        loss.backward()
        nn.utils.clip_grad_value_(model.parameters(), clip_value=0.5)
        optimizer.step()
        if epoch < 3:
            scheduler.step(epoch + i / len(train_loader))
        losses.append(loss.item())
    if epoch >= 3:
        swa_model.update_parameters(model)
        swa_scheduler.step()
    lrs.append(optimizer.param_groups[0]["lr"])

xv = torch.stack([val_ds[i][0] for i in range(len(val_ds))])
yv = torch.stack([val_ds[i][1] for i in range(len(val_ds))])
with torch.no_grad():
    val_mse = criterion(model(xv), yv).item()
    swa_mse = criterion(swa_model(xv), yv).item()
    preds = swa_model.module(xv) * (hi - lo) + lo
print(f"val mse {val_mse:.5f} swa mse {swa_mse:.5f} averaged {swa_model.n_averaged.item()}")
result = [val_mse, swa_mse, *lrs, preds.mean().item()]
