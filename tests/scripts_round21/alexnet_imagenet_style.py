"""pytorch/examples' ImageNet training script in miniature with a shrunk AlexNet (d2l.ai 8.1):
LocalResponseNorm, Dropout in the classifier, a Dataset whose __getitem__ augments each image
(random crop from a padded copy with torch.randint offsets, horizontal flip, colour jitter with
torch.empty(1).uniform_), AverageMeter / ProgressMeter-style bookkeeping, the examples'
accuracy(output, target, topk=(1, 3)) with correct[:k].reshape(-1).float().sum(0, keepdim=True),
SGD with Nesterov momentum and MultiStepLR, and a best-accuracy checkpoint kept in memory."""

import copy

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

torch.manual_seed(10)


class AverageMeter:
    def __init__(self, name, fmt=':f'):
        self.name, self.fmt = name, fmt
        self.reset()

    def reset(self):
        self.val = self.avg = self.sum = self.count = 0

    def update(self, val, n=1):
        self.val = val
        self.sum += val * n
        self.count += n
        self.avg = self.sum / self.count

    def __str__(self):
        fmtstr = '{name} {val' + self.fmt + '} ({avg' + self.fmt + '})'
        return fmtstr.format(**self.__dict__)


class Shapes(Dataset):
    def __init__(self, n, train):
        self.labels = torch.randint(0, 5, (n,))
        base = torch.zeros(5, 3, 20, 20)
        for k in range(5):
            base[k, k % 3, 2 + 3 * k:8 + 3 * k, 4:16] = 1.0
        self.images = base[self.labels] + 0.2 * torch.randn(n, 3, 20, 20)
        self.train = train

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        img = self.images[i]
        if self.train:
            padded = F.pad(img, (2, 2, 2, 2), mode="reflect")
            top, left = torch.randint(0, 5, (2,)).tolist()
            img = padded[:, top:top + 20, left:left + 20]
            if torch.rand(1) < 0.5:
                img = torch.flip(img, dims=[2])
            img = img * torch.empty(1).uniform_(0.8, 1.2)
        return img, self.labels[i]


def accuracy(output, target, topk=(1,)):
    with torch.no_grad():
        maxk = max(topk)
        batch_size = target.size(0)
        _, pred = output.topk(maxk, 1, True, True)
        pred = pred.t()
        correct = pred.eq(target.view(1, -1).expand_as(pred))
        res = []
        for k in topk:
            correct_k = correct[:k].reshape(-1).float().sum(0, keepdim=True)
            res.append(correct_k.mul_(100.0 / batch_size))
        return res


net = nn.Sequential(
    nn.Conv2d(3, 16, kernel_size=5, stride=1, padding=2), nn.ReLU(),
    nn.LocalResponseNorm(size=5, alpha=1e-4, beta=0.75, k=2.0), nn.MaxPool2d(kernel_size=3, stride=2),
    nn.Conv2d(16, 24, kernel_size=3, padding=1), nn.ReLU(),
    nn.Conv2d(24, 16, kernel_size=3, padding=1), nn.ReLU(),
    nn.MaxPool2d(kernel_size=3, stride=2), nn.Flatten(),
    nn.Dropout(p=0.5), nn.Linear(16 * 4 * 4, 64), nn.ReLU(),
    nn.Dropout(p=0.5), nn.Linear(64, 5))
train_loader = DataLoader(Shapes(160, True), batch_size=32, shuffle=True)
val_loader = DataLoader(Shapes(60, False), batch_size=30)
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(net.parameters(), 0.05, momentum=0.9, nesterov=True, weight_decay=1e-4)
scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[3, 4], gamma=0.1)
losses, best_acc1, best_state = [], 0.0, None
for epoch in range(5):
    net.train()
    meter_loss, meter_top1 = AverageMeter('Loss', ':.3e'), AverageMeter('Acc@1', ':6.2f')
    for images, target in train_loader:
        output = net(images)
        loss = criterion(output, target)
        acc1, acc3 = accuracy(output, target, topk=(1, 3))
        meter_loss.update(loss.item(), images.size(0))
        meter_top1.update(acc1[0], images.size(0))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    scheduler.step()
    losses.append(meter_loss.avg)
    net.eval()
    top1, top3 = AverageMeter('Acc@1', ':6.2f'), AverageMeter('Acc@3', ':6.2f')
    with torch.no_grad():
        for images, target in val_loader:
            acc1, acc3 = accuracy(net(images), target, topk=(1, 3))
            top1.update(acc1[0], images.size(0))
            top3.update(acc3[0], images.size(0))
    is_best = top1.avg > best_acc1
    best_acc1 = max(top1.avg, best_acc1)
    if is_best:
        best_state = {"epoch": epoch + 1, "state_dict": copy.deepcopy(net.state_dict()), "best_acc1": best_acc1}
    print(f"Epoch [{epoch}] {meter_loss} {meter_top1} | * Acc@1 {top1.avg:.3f} Acc@3 {top3.avg:.3f}")
net.load_state_dict(best_state["state_dict"])
print(best_state["epoch"], type(best_acc1).__name__, scheduler.get_last_lr())
result = [float(best_acc1), float(top3.avg), net[4].weight.abs().mean().item()]
