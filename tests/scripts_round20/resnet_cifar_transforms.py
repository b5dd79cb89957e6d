"""A ResNet-18-style CIFAR network (BasicBlock with a 1x1 downsample shortcut) trained with a
torchvision-like augmentation pipeline written by hand: random crop via F.pad + slicing,
horizontal flips with torch.flip, per-channel Normalize; SGD with Nesterov momentum and
weight decay, MultiStepLR, model.train()/eval(), a no_grad evaluation loop and a confusion
matrix built with torch.bincount."""

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

torch.manual_seed(1)
MEAN = torch.tensor([0.4914, 0.4822, 0.4465]).view(3, 1, 1)
STD = torch.tensor([0.2470, 0.2435, 0.2616]).view(3, 1, 1)


class RandomCrop:
    def __init__(self, size, padding):
        self.size, self.padding = size, padding

    def __call__(self, img):
        img = F.pad(img, (self.padding,) * 4, mode="constant", value=0.0)
        i = torch.randint(0, img.shape[1] - self.size + 1, (1,)).item()
        j = torch.randint(0, img.shape[2] - self.size + 1, (1,)).item()
        return img[:, i:i + self.size, j:j + self.size]


class RandomHorizontalFlip:
    def __call__(self, img):
        return torch.flip(img, dims=[2]) if torch.rand(1) < 0.5 else img


class Compose:
    def __init__(self, transforms):
        self.transforms = transforms

    def __call__(self, x):
        for t in self.transforms:
            x = t(x)
        return x


class SyntheticCIFAR(Dataset):
    def __init__(self, n, transform=None):
        self.targets = torch.arange(n) % 4
        self.data = torch.rand(n, 3, 12, 12) * 0.3
        for k in range(n):
            c = self.targets[k].item()
            self.data[k, c % 3, 2 + c:8 + c, 3:9] += 0.6
        self.transform = transform

    def __len__(self):
        return len(self.targets)

    def __getitem__(self, idx):
        img = self.data[idx]
        if self.transform is not None:
            img = self.transform(img)
        return (img - MEAN) / STD, self.targets[idx]


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, in_planes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.shortcut = nn.Sequential()
        if stride != 1 or in_planes != planes:
            self.shortcut = nn.Sequential(nn.Conv2d(in_planes, planes, 1, stride, bias=False),
                                          nn.BatchNorm2d(planes))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class ResNet(nn.Module):
    def __init__(self, num_blocks=(1, 1), num_classes=4):
        super().__init__()
        self.in_planes = 8
        self.conv1 = nn.Conv2d(3, 8, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.layer1 = self._make_layer(8, num_blocks[0], 1)
        self.layer2 = self._make_layer(16, num_blocks[1], 2)
        self.linear = nn.Linear(16 * BasicBlock.expansion, num_classes)

    def _make_layer(self, planes, n, stride):
        layers = []
        for s in [stride] + [1] * (n - 1):
            layers.append(BasicBlock(self.in_planes, planes, s))
            self.in_planes = planes * BasicBlock.expansion
        return nn.Sequential(*layers)

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.layer2(self.layer1(out))
        out = F.adaptive_avg_pool2d(out, (1, 1))
        return self.linear(out.view(out.size(0), -1))


train_set = SyntheticCIFAR(32, Compose([RandomCrop(12, padding=2), RandomHorizontalFlip()]))
test_set = SyntheticCIFAR(16)
train_loader = DataLoader(train_set, batch_size=8, shuffle=True)
test_loader = DataLoader(test_set, batch_size=8, shuffle=False)
net = ResNet()
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4, nesterov=True)
scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones=[1, 2], gamma=0.1)
losses = []
for epoch in range(3):
    net.train()
    train_loss, correct, total = 0.0, 0, 0
    for inputs, targets in train_loader:
        optimizer.zero_grad()
        outputs = net(inputs)
        loss = criterion(outputs, targets)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        train_loss += loss.item()
        _, predicted = outputs.max(1)
        total += targets.size(0)
        correct += predicted.eq(targets).sum().item()
    scheduler.step()
    print(f"epoch {epoch} loss {train_loss / len(train_loader):.3f} acc {100. * correct / total:.1f}%")

net.eval()
confusion = torch.zeros(4, 4, dtype=torch.long)
with torch.no_grad():
    for inputs, targets in test_loader:
        preds = net(inputs).argmax(dim=1)
        confusion += torch.bincount(targets * 4 + preds, minlength=16).reshape(4, 4)
per_class = confusion.diag().float() / confusion.sum(1).clamp(min=1).float()
print(confusion.tolist())
print("running_mean", net.bn1.running_mean[:3], "batches", net.bn1.num_batches_tracked.item())
result = [*per_class.tolist(), confusion.trace().item(), net.bn1.running_var.sum().item()]
