"""A capsule layer with dynamic routing-by-agreement (Sabour et al.): primary capsules from a
convolution, prediction vectors with einsum, squash, three routing iterations with softmax
over the output capsules, and the margin loss on capsule lengths."""

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(1)
rng = np.random.default_rng(5)


def squash(s, dim=-1, eps=1e-8):
    sq = (s ** 2).sum(dim=dim, keepdim=True)
    return (sq / (1 + sq)) * s / torch.sqrt(sq + eps)


class PrimaryCaps(nn.Module):
    def __init__(self, in_ch, n_caps, caps_dim):
        super().__init__()
        self.conv = nn.Conv2d(in_ch, n_caps * caps_dim, kernel_size=3, stride=2)
        self.caps_dim = caps_dim

    def forward(self, x):
        out = self.conv(x)
        out = out.view(x.size(0), -1, self.caps_dim)
        return squash(out)


class DigitCaps(nn.Module):
    def __init__(self, in_caps, in_dim, out_caps, out_dim, iterations=3):
        super().__init__()
        self.W = nn.Parameter(0.1 * torch.randn(1, in_caps, out_caps, out_dim, in_dim))
        self.iterations = iterations

    def forward(self, u):
        u_hat = torch.einsum("bijdk,bik->bijd", self.W.expand(u.size(0), -1, -1, -1, -1), u)
        b = torch.zeros(u.size(0), u_hat.size(1), u_hat.size(2))
        for r in range(self.iterations):
            c = F.softmax(b, dim=2)
            s = torch.einsum("bij,bijd->bjd", c, u_hat if r == self.iterations - 1 else u_hat.detach())
            v = squash(s)
            if r < self.iterations - 1:
                b = b + torch.einsum("bijd,bjd->bij", u_hat.detach(), v)
        return v


class CapsNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, kernel_size=3)
        self.primary = PrimaryCaps(8, 4, 4)
        self.digits = DigitCaps(4 * 2 * 2, 4, 3, 6)

    def forward(self, x):
        return self.digits(self.primary(F.relu(self.conv1(x))))


def margin_loss(v, labels, m_pos=0.9, m_neg=0.1, lam=0.5):
    lengths = v.norm(dim=-1)
    t = F.one_hot(labels, num_classes=3).float()
    loss = t * F.relu(m_pos - lengths) ** 2 + lam * (1 - t) * F.relu(lengths - m_neg) ** 2
    return loss.sum(dim=1).mean()


labels_np = rng.integers(0, 3, 24)
images = rng.normal(0, 0.3, (24, 1, 7, 7))
for i, lab in enumerate(labels_np):
    images[i, 0, lab * 2:lab * 2 + 3, :] += 1.0
images, labels = torch.tensor(images, dtype=torch.float32), torch.from_numpy(labels_np)

model = CapsNet()
with torch.no_grad():
    for p in model.parameters():
        p.copy_(torch.from_numpy(rng.normal(0, 0.3, p.shape).astype(np.float32)))
optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)
losses = []
for epoch in range(10):
    v = model(images)
    loss = margin_loss(v, labels)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    losses.append(loss.item())

with torch.no_grad():
    lengths = model(images).norm(dim=-1)
    acc = (lengths.argmax(dim=1) == labels).float().mean().item()
result = [acc, lengths.mean().item(), model.digits.W.grad.abs().mean().item()]
