"""Label smoothing with mixup and CutMix (Zhang et al.; Yun et al.): lambda from
torch.distributions.Beta, partner samples from randperm, a cut box from rand_bbox, soft-target
cross-entropy, and CrossEntropyLoss(label_smoothing) on the mixed pairs."""

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(23)
rng = np.random.default_rng(23)
n, num_classes = 48, 4
images = torch.tensor(rng.normal(0, 1, (n, 3, 8, 8)), dtype=torch.float32)
labels = torch.from_numpy(rng.integers(0, num_classes, n))
images += labels.view(-1, 1, 1, 1).float() * 0.5


def rand_bbox(size, lam):
    W, H = size[2], size[3]
    cut_rat = np.sqrt(1.0 - lam)
    cut_w, cut_h = int(W * cut_rat), int(H * cut_rat)
    cx, cy = rng.integers(W), rng.integers(H)
    bbx1, bby1 = np.clip(cx - cut_w // 2, 0, W), np.clip(cy - cut_h // 2, 0, H)
    bbx2, bby2 = np.clip(cx + cut_w // 2, 0, W), np.clip(cy + cut_h // 2, 0, H)
    return bbx1, bby1, bbx2, bby2


def soft_cross_entropy(logits, target):
    return torch.sum(-target * F.log_softmax(logits, dim=-1), dim=-1).mean()


model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1),
                      nn.Flatten(), nn.Linear(8, num_classes))
with torch.no_grad():
    for p in model.parameters():
        p.copy_(torch.from_numpy(rng.normal(0, 0.3, tuple(p.shape)).astype(np.float32)))
criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
beta = torch.distributions.Beta(torch.tensor([0.4]), torch.tensor([0.4]))
assert beta.sample().shape == (1,) and 0 <= beta.sample().item() <= 1
losses = []
for step in range(10):
    x, y = images[step % 3 * 16:(step % 3 + 1) * 16], labels[step % 3 * 16:(step % 3 + 1) * 16]
    index = torch.randperm(x.size(0))
    index = torch.from_numpy(rng.permutation(x.size(0)))  # same partners in both runs
    lam = float(rng.beta(0.4, 0.4))
    if step % 2 == 0:
        mixed_x = lam * x + (1 - lam) * x[index, :]
    else:
        bbx1, bby1, bbx2, bby2 = rand_bbox(x.size(), lam)
        mixed_x = x.clone()
        mixed_x[:, :, bbx1:bbx2, bby1:bby2] = x[index, :, bbx1:bbx2, bby1:bby2]
        lam = 1 - ((bbx2 - bbx1) * (bby2 - bby1) / (x.size()[-1] * x.size()[-2]))
    output = model(mixed_x)
    loss = lam * criterion(output, y) + (1 - lam) * criterion(output, y[index])
    target = lam * F.one_hot(y, num_classes).float() + (1 - lam) * F.one_hot(y[index], num_classes).float()
    soft = soft_cross_entropy(output, target)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    losses += [loss.item(), soft.item()]

with torch.no_grad():
    acc = (model(images).argmax(1) == labels).float().mean().item()
ls_manual = soft_cross_entropy(model(images), F.one_hot(labels, num_classes) * 0.9 + 0.1 / num_classes)
result = [acc, ls_manual.item(), criterion(model(images), labels).item(), beta.mean.item(),
          beta.log_prob(torch.tensor([0.3])).item()]
