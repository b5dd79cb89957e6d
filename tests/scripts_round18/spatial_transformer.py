"""A spatial transformer network as in PyTorch's tutorial, on 12x12 synthetic digits: a
localisation net whose last layer starts at the identity transform (weight.data.zero_(),
bias.data.copy_), F.affine_grid + F.grid_sample, Dropout2d / F.dropout in eval-equivalent
settings, log_softmax + nll_loss, and the tutorial's test loop with reduction='sum'."""

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

torch.manual_seed(0)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
rng = np.random.default_rng(21)
n = 64
labels = rng.integers(0, 2, n)
images = np.zeros((n, 1, 12, 12), dtype=np.float32)
for i, lab in enumerate(labels):
    dy, dx = rng.integers(0, 4, 2)
    if lab == 0:
        images[i, 0, 3 + dy:7 + dy, 3 + dx] = 1.0
    else:
        images[i, 0, 4 + dy, 2 + dx:7 + dx] = 1.0
images += rng.normal(0, 0.1, images.shape).astype(np.float32)
data, target = torch.from_numpy(images), torch.from_numpy(labels)


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(1, 4, kernel_size=3)
        self.conv2 = nn.Conv2d(4, 8, kernel_size=3)
        self.conv2_drop = nn.Dropout2d(p=0.0)
        self.fc1 = nn.Linear(8 * 1 * 1, 16)
        self.fc2 = nn.Linear(16, 2)
        self.localization = nn.Sequential(
            nn.Conv2d(1, 4, kernel_size=3), nn.MaxPool2d(2, stride=2), nn.ReLU(True),
            nn.Conv2d(4, 6, kernel_size=3), nn.MaxPool2d(2, stride=2), nn.ReLU(True))
        self.fc_loc = nn.Sequential(nn.Linear(6 * 1 * 1, 8), nn.ReLU(True), nn.Linear(8, 3 * 2))
        self.fc_loc[2].weight.data.zero_()
        self.fc_loc[2].bias.data.copy_(torch.tensor([1, 0, 0, 0, 1, 0], dtype=torch.float))

    def stn(self, x):
        xs = self.localization(x)
        xs = xs.view(-1, 6 * 1 * 1)
        theta = self.fc_loc(xs)
        theta = theta.view(-1, 2, 3)
        grid = F.affine_grid(theta, x.size(), align_corners=False)
        return F.grid_sample(x, grid, align_corners=False)

    def forward(self, x):
        x = self.stn(x)
        x = F.relu(F.max_pool2d(self.conv1(x), 2))
        x = F.relu(F.max_pool2d(self.conv2_drop(self.conv2(x)), 2))
        x = x.view(-1, 8 * 1 * 1)
        x = F.relu(self.fc1(x))
        x = F.dropout(x, p=0.0, training=self.training)
        return F.log_softmax(self.fc2(x), dim=1)


model = Net().to(device)
with torch.no_grad():
    for name, p in model.named_parameters():
        if not name.startswith("fc_loc.2"):
            p.copy_(torch.from_numpy(rng.normal(0, 0.3, tuple(p.shape)).astype(np.float32)))
optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.5)

losses = []
for epoch in range(1, 4):
    model.train()
    for batch_idx in range(4):
        x, y = data[batch_idx * 16:(batch_idx + 1) * 16].to(device), target[batch_idx * 16:(batch_idx + 1) * 16].to(device)
        optimizer.zero_grad()
        output = model(x)
        loss = F.nll_loss(output, y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())

with torch.no_grad():
    model.eval()
    test_loss, correct = 0, 0
    output = model(data)
    test_loss += F.nll_loss(output, target, reduction="sum").item()
    pred = output.max(1, keepdim=True)[1]
    correct += pred.eq(target.view_as(pred)).sum().item()
    test_loss /= len(data)
    theta = model.fc_loc(model.localization(data).view(-1, 6)).view(-1, 2, 3)
print("Test set: Average loss: {:.4f}, Accuracy: {}/{} ({:.0f}%)".format(
    test_loss, correct, len(data), 100.0 * correct / len(data)))
result = [test_loss, correct, theta.mean().item(), theta.std().item()]
