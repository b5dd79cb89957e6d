"""Transfer-learning housekeeping from fine-tuning tutorials: model.apply(init_fn) with
kaiming_normal_ / constant_, register_forward_hook collecting intermediate features into a
dict (then removing the handles), named_modules() filtering by type, freezing a backbone with
requires_grad_(False) and a BatchNorm kept in eval, optimizer param groups with different
learning rates, and torch.save / torch.load checkpoints in a temporary directory mid-training,
resumed into fresh objects (model, optimizer, scheduler, epoch) to finish the run."""

import os
import tempfile

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(6)


class SmallNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.AdaptiveAvgPool2d(1))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Dropout(0.2), nn.Linear(16, 4))

    def forward(self, x):
        return self.classifier(self.features(x))


def init_fn(m):
    if isinstance(m, nn.Conv2d):
        nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        nn.init.constant_(m.bias, 0)
    elif isinstance(m, nn.Linear):
        nn.init.normal_(m.weight, 0, 0.01)
        nn.init.zeros_(m.bias)


model = SmallNet()
model.apply(init_fn)
X = torch.randn(64, 3, 8, 8)
y = (X[:, 0].mean((1, 2)) > 0).long() * 2 + (X[:, 1, :4].mean((1, 2)) > 0).long()
features = {}


def get_activation(name):
    def hook(module, inputs, output):
        features[name] = output.detach()
    return hook


handles = [module.register_forward_hook(get_activation(name))
           for name, module in model.named_modules() if isinstance(module, (nn.ReLU, nn.AdaptiveAvgPool2d))]
model(X[:4])
print({k: tuple(v.shape) for k, v in features.items()}, features["features.7"].flatten(1)[0, :3])
for h in handles:
    h.remove()
convs = [name for name, m in model.named_modules() if isinstance(m, nn.Conv2d)]
print(convs, len(list(model.modules())))

for p in model.features[:4].parameters():
    p.requires_grad_(False)
model.features[1].eval()
trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
optimizer = torch.optim.SGD([
    {"params": [p for p in model.features.parameters() if p.requires_grad], "lr": 0.01},
    {"params": model.classifier.parameters()}], lr=0.1, momentum=0.9, weight_decay=1e-4)
scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=6)
print(trainable, [g["lr"] for g in optimizer.param_groups], len(features))


def train_epoch(model, optimizer):
    model.train()
    model.features[1].eval()
    for xb, yb in zip(X.split(16), y.split(16)):
        loss = F.cross_entropy(model(xb), yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return loss.item()


losses = []
with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "checkpoint.pt")
    for epoch in range(3):
        losses.append(train_epoch(model, optimizer))
        scheduler.step()
    torch.save({"epoch": epoch, "model_state_dict": model.state_dict(),
                "optimizer_state_dict": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(), "loss": losses[-1]}, path)
    del model, optimizer, scheduler
    checkpoint = torch.load(path, weights_only=True)
    model = SmallNet()
    model.load_state_dict(checkpoint["model_state_dict"])
    for p in model.features[:4].parameters():
        p.requires_grad_(False)
    optimizer = torch.optim.SGD([
        {"params": [p for p in model.features.parameters() if p.requires_grad], "lr": 0.01},
        {"params": model.classifier.parameters()}], lr=0.1, momentum=0.9, weight_decay=1e-4)
    optimizer.load_state_dict(checkpoint["optimizer_state_dict"])
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=6)
    scheduler.load_state_dict(checkpoint["scheduler"])
    start = checkpoint["epoch"] + 1
    print(f"resumed at epoch {start}, loss {checkpoint['loss']:.4f}, lrs {[round(g['lr'], 5) for g in optimizer.param_groups]}")
    for epoch in range(start, 6):
        losses.append(train_epoch(model, optimizer))
        scheduler.step()
    print(sorted(os.listdir(tmp)), len(optimizer.state_dict()["state"]))
model.eval()
with torch.no_grad():
    acc = (model(X).argmax(1) == y).float().mean().item()
frozen_ok = all(not p.requires_grad for p in model.features[0].parameters())
print(f"accuracy {acc:.3f} frozen {frozen_ok} bn1 batches {model.features[1].num_batches_tracked.item()}")
result = [acc, model.features[4].weight.abs().sum().item(), model.features[5].running_mean.sum().item()]
