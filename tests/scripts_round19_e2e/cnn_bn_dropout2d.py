"""A small CNN (Conv2d, BatchNorm2d, MaxPool2d, Dropout2d) on seeded random images."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(1)
torch.set_num_threads(1)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(6)
        self.conv2 = nn.Conv2d(6, 8, 3, bias=False)  # (a bias before BatchNorm has a zero gradient)
        self.bn2 = nn.BatchNorm2d(8)
        self.drop = nn.Dropout2d(0.25)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(8 * 2 * 2, 4)

    def forward(self, x):
        x = self.pool(F.relu(self.bn1(self.conv1(x))))
        x = self.drop(x)
        x = self.pool(F.relu(self.bn2(self.conv2(x))))
        return self.fc(torch.flatten(x, 1))


images = torch.rand(40, 1, 12, 12)
labels = torch.randint(0, 4, (40,))
model = Net()
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
for step in range(12):
    idx = torch.randperm(40)[:8]
    opt.zero_grad()
    out = model(images[idx])
    loss = F.cross_entropy(out, labels[idx])
    loss.backward()
    opt.step()
    print(f"step {step} loss {loss.item():.6f}")
model.eval()
with torch.no_grad():
    print("eval", f"{F.cross_entropy(model(images), labels).item():.6f}")
    print("running_mean", [f"{v:.6f}" for v in model.bn2.running_mean.tolist()])
