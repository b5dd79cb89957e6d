"""Adversarial robustness (the FGSM tutorial and Madry et al.'s PGD): input gradients with
x.requires_grad_() and torch.autograd.grad, sign steps, projection onto the eps-ball with
torch.max/torch.min and clamp(0, 1), attacks run under model.eval() inside torch.enable_grad()
while evaluation is under torch.no_grad(), and a few epochs of adversarial training."""

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(20)


def make_data(n):
    y = torch.randint(0, 3, (n,))
    x = torch.rand(n, 1, 8, 8) * 0.3
    for i, c in enumerate(y.tolist()):
        x[i, 0, 2 * c:2 * c + 3, 2:6] += 0.6
    return x.clamp(0, 1), y


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                      nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(1))
        self.classifier = nn.Linear(16, 3)

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


def fgsm(model, x, y, eps):
    x_adv = x.clone().detach().requires_grad_(True)
    loss = F.cross_entropy(model(x_adv), y)
    model.zero_grad()
    loss.backward()
    return (x_adv + eps * x_adv.grad.sign()).clamp(0, 1).detach()


def pgd(model, x, y, eps, alpha, steps):
    x_adv = (x + torch.empty_like(x).uniform_(-eps, eps)).clamp(0, 1)
    for _ in range(steps):
        x_adv.requires_grad_(True)
        with torch.enable_grad():
            loss = F.cross_entropy(model(x_adv), y)
            grad, = torch.autograd.grad(loss, [x_adv])
        x_adv = x_adv.detach() + alpha * grad.sign()
        x_adv = torch.min(torch.max(x_adv, x - eps), x + eps).clamp(0, 1)
    return x_adv.detach()


def accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        return (model(x).argmax(1) == y).float().mean().item()


x_train, y_train = make_data(96)
x_test, y_test = make_data(48)
model = SmallCNN()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
losses = []
for epoch in range(4):
    for xb, yb in zip(x_train.split(32), y_train.split(32)):
        model.eval()
        x_adv = pgd(model, xb, yb, eps=0.1, alpha=0.03, steps=3) if epoch >= 2 else xb
        model.train()
        loss = 0.5 * F.cross_entropy(model(xb), yb) + 0.5 * F.cross_entropy(model(x_adv), yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    print(f"epoch {epoch} loss {loss.item():.4f} clean acc {accuracy(model, x_test, y_test):.3f}")

model.eval()
x_fgsm = fgsm(model, x_test, y_test, eps=0.1)
x_pgd = pgd(model, x_test, y_test, eps=0.1, alpha=0.03, steps=5)
linf = (x_pgd - x_test).abs().max().item()
assert linf <= 0.1 + 1e-6 and x_pgd.min() >= 0 and x_pgd.max() <= 1
results = {"clean": accuracy(model, x_test, y_test), "fgsm": accuracy(model, x_fgsm, y_test),
           "pgd": accuracy(model, x_pgd, y_test)}
print({k: round(v, 3) for k, v in results.items()}, "grads left on params:", model.classifier.weight.grad is not None)
result = [*results.values(), linf, (x_fgsm - x_test).abs().mean().item()]
