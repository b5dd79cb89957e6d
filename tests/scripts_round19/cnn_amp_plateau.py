"""An image classifier as Kaggle notebooks write it: Conv/BatchNorm/Dropout blocks,
model.train()/eval(), gradient accumulation, torch.cuda.amp.autocast + GradScaler code paths
(disabled on CPU), ReduceLROnPlateau on the validation loss, best-model checkpointing with
copy.deepcopy(state_dict()), and a classification report from argmax."""

import copy

import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(21)
rng = np.random.default_rng(21)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
use_amp = device.type == "cuda"
X = rng.normal(0, 1, (80, 1, 8, 8)).astype(np.float32)
Y = rng.integers(0, 3, 80)
for i, c in enumerate(Y):
    X[i, 0, c * 2:c * 2 + 3, c * 2:c * 2 + 3] += 1.5
train_ds = TensorDataset(torch.from_numpy(X[:64]), torch.from_numpy(Y[:64]))
val_ds = TensorDataset(torch.from_numpy(X[64:]), torch.from_numpy(Y[64:]))
train_loader = DataLoader(train_ds, batch_size=8, shuffle=False, drop_last=True)
val_loader = DataLoader(val_ds, batch_size=8)


class Net(nn.Module):
    def __init__(self, num_classes=3):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(inplace=True),
            nn.MaxPool2d(2), nn.Dropout2d(p=0.0),
            nn.Conv2d(8, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool2d((1, 1)))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Dropout(0.25), nn.Linear(16, num_classes))

    def forward(self, x):
        return self.classifier(self.features(x))


model = Net().to(device)
with torch.no_grad():
    for name, p in model.named_parameters():
        if p.dim() > 1:
            p.copy_(torch.from_numpy(rng.normal(0, 0.3, tuple(p.shape)).astype(np.float32)))
    model.classifier[2].bias.zero_()
model.classifier[1].p = 0.0  # dropout off so both runs agree
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="min", factor=0.5, patience=0)
scaler = torch.cuda.amp.GradScaler(enabled=use_amp)
accum_steps, best_loss, best_state = 2, float("inf"), None
losses = []
for epoch in range(4):
    model.train()
    optimizer.zero_grad()
    for i, (inputs, labels) in enumerate(train_loader):
        inputs, labels = inputs.to(device), labels.to(device)
        with torch.cuda.amp.autocast(enabled=use_amp):
            outputs = model(inputs)
            loss = criterion(outputs, labels) / accum_steps
        scaler.scale(loss).backward()
        if (i + 1) % accum_steps == 0:
            scaler.step(optimizer)
            scaler.update()
            optimizer.zero_grad()
        losses.append(loss.item() * accum_steps)
    model.eval()
    val_loss, correct = 0.0, 0
    with torch.no_grad():
        for inputs, labels in val_loader:
            outputs = model(inputs)
            val_loss += criterion(outputs, labels).item() * inputs.size(0)
            correct += (outputs.argmax(dim=1) == labels).sum().item()
    val_loss /= len(val_loader.dataset)
    scheduler.step(val_loss)
    if val_loss < best_loss:
        best_loss, best_state = val_loss, copy.deepcopy(model.state_dict())
    print(f"epoch {epoch}: val_loss={val_loss:.4f} acc={correct / len(val_ds):.3f} "
          f"lr={optimizer.param_groups[0]['lr']:.4g}")

model.load_state_dict(best_state)
model.eval()
with torch.no_grad():
    preds = torch.cat([model(x).argmax(1) for x, _ in val_loader])
truth = torch.from_numpy(Y[64:])
per_class = [((preds == c) & (truth == c)).sum().item() / max(1, (truth == c).sum().item()) for c in range(3)]
result = [best_loss, scheduler.get_last_lr()[0], *per_class, scaler.get_scale()]
