"""A tiny U-Net for binary segmentation: double-conv blocks, MaxPool2d down, ConvTranspose2d
and F.interpolate up, skip connections with torch.cat, BCEWithLogits (pos_weight) + Dice
loss, gradient accumulation, a disabled GradScaler/autocast as AMP scripts write it, IoU."""

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(3)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
use_amp = device.type == "cuda"
rng = np.random.default_rng(12)
N, H = 12, 16
yy, xx = np.mgrid[:H, :H]
cy, cx, rad = rng.uniform(4, 12, N), rng.uniform(4, 12, N), rng.uniform(2, 5, N)
masks = ((yy[None] - cy[:, None, None]) ** 2 + (xx[None] - cx[:, None, None]) ** 2 < rad[:, None, None] ** 2)
images = masks[:, None].astype(np.float32) + rng.normal(0, 0.4, (N, 1, H, H)).astype(np.float32)
X, Y = torch.from_numpy(images), torch.from_numpy(masks[:, None].astype(np.float32))


class DoubleConv(nn.Sequential):
    def __init__(self, cin, cout):
        super().__init__(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout),
                         nn.ReLU(inplace=True), nn.Conv2d(cout, cout, 3, padding=1, bias=False),
                         nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class UNet(nn.Module):
    def __init__(self, c=4):
        super().__init__()
        self.inc = DoubleConv(1, c)
        self.down1 = nn.Sequential(nn.MaxPool2d(2), DoubleConv(c, 2 * c))
        self.down2 = nn.Sequential(nn.MaxPool2d(2), DoubleConv(2 * c, 4 * c))
        self.up1 = nn.ConvTranspose2d(4 * c, 2 * c, kernel_size=2, stride=2)
        self.conv1 = DoubleConv(4 * c, 2 * c)
        self.reduce = nn.Conv2d(2 * c, c, 1)
        self.conv2 = DoubleConv(2 * c, c)
        self.outc = nn.Conv2d(c, 1, kernel_size=1)

    def forward(self, x):
        x1 = self.inc(x)
        x2 = self.down1(x1)
        x3 = self.down2(x2)
        x = self.conv1(torch.cat([x2, self.up1(x3)], dim=1))
        x = F.interpolate(self.reduce(x), size=x1.shape[-2:], mode="bilinear", align_corners=True)
        return self.outc(self.conv2(torch.cat([x1, x], dim=1)))


def dice_loss(logits, target, eps=1.0):
    probs = torch.sigmoid(logits)
    inter = (probs * target).sum(dim=(2, 3))
    union = probs.sum(dim=(2, 3)) + target.sum(dim=(2, 3))
    return 1 - ((2 * inter + eps) / (union + eps)).mean()


model = UNet().to(device)
g = np.random.default_rng(13)
with torch.no_grad():
    for name, p in model.named_parameters():
        if p.ndim > 1:
            fan_in = p.shape[1] * p.shape[2] * p.shape[3]
            p.copy_(torch.from_numpy(g.normal(0, (2 / fan_in) ** 0.5, tuple(p.shape)).astype(np.float32)))
        elif "bias" in name and "bn" not in name:
            p.zero_()
bce = nn.BCEWithLogitsLoss(pos_weight=torch.tensor([2.0]))
optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
scaler = torch.cuda.amp.GradScaler(enabled=use_amp)
accum_steps = 2

losses = []
for epoch in range(4):
    model.train()
    optimizer.zero_grad(set_to_none=True)
    for step in range(0, N, 3):
        xb, yb = X[step:step + 3].to(device), Y[step:step + 3].to(device)
        with torch.autocast(device_type=device.type, enabled=use_amp):
            logits = model(xb)
            loss = bce(logits, yb) + dice_loss(logits, yb)
        scaler.scale(loss / accum_steps).backward()
        if (step // 3 + 1) % accum_steps == 0:
            scaler.unscale_(optimizer)
            torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=2.0)
            scaler.step(optimizer)
            scaler.update()
            optimizer.zero_grad(set_to_none=True)
        losses.append(loss.item())

model.eval()
with torch.no_grad():
    probs = torch.sigmoid(model(X))
    pred = (probs > 0.5).float()
    inter = (pred * Y).sum().item()
    iou = inter / ((pred + Y).clamp(max=1).sum().item() + 1e-6)
    soft_iou = ((probs * Y).sum() / (probs + Y - probs * Y).sum()).item()
result = [soft_iou, probs.mean().item(), model.inc[1].running_var.mean().item()]
print(f"IoU {iou:.3f}")
