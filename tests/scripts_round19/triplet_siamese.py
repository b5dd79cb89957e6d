"""A Siamese embedding network trained with TripletMarginLoss and batch-hard negative mining
(torch.cdist / pairwise_distance, masked topk), then a contrastive loss on pairs, and
retrieval accuracy by nearest neighbour."""

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(42)
rng = np.random.default_rng(42)
n_classes, per_class, dim = 4, 12, 8
centres = rng.normal(0, 2, (n_classes, dim))
X = torch.tensor(np.concatenate([c + rng.normal(0, 1, (per_class, dim)) for c in centres]),
                 dtype=torch.float32)
y = torch.arange(n_classes).repeat_interleave(per_class)


class EmbeddingNet(nn.Module):
    def __init__(self):
        super(EmbeddingNet, self).__init__()
        self.fc = nn.Sequential(nn.Linear(dim, 32), nn.PReLU(), nn.Linear(32, 32), nn.PReLU(),
                                nn.Linear(32, 4))

    def forward(self, x):
        return F.normalize(self.fc(x), p=2, dim=1)


class SiameseNet(nn.Module):
    def __init__(self, embedding_net):
        super(SiameseNet, self).__init__()
        self.embedding_net = embedding_net

    def forward(self, x1, x2):
        return self.embedding_net(x1), self.embedding_net(x2)


def contrastive_loss(out1, out2, target, margin=1.0):
    distances = (out2 - out1).pow(2).sum(1)
    losses = 0.5 * (target.float() * distances +
                    (1 + -1 * target).float() * F.relu(margin - (distances + 1e-9).sqrt()).pow(2))
    return losses.mean()


net = EmbeddingNet()
for m in net.modules():
    if isinstance(m, nn.Linear):
        m.weight.data = torch.from_numpy(rng.normal(0, 0.3, tuple(m.weight.shape)).astype(np.float32))
        m.bias.data.fill_(0.01)
criterion = nn.TripletMarginLoss(margin=0.5, p=2)
optimizer = torch.optim.Adam(net.parameters(), lr=1e-2, weight_decay=1e-4)
losses = []
for step in range(10):
    emb = net(X)
    dist = torch.cdist(emb, emb)
    same = y.unsqueeze(0) == y.unsqueeze(1)
    hardest_pos = (dist * same.float()).max(dim=1).indices
    neg_dist = dist.masked_fill(same, float("inf"))
    hardest_neg = torch.topk(neg_dist, k=1, dim=1, largest=False).indices.squeeze(1)
    loss = criterion(emb, emb[hardest_pos], emb[hardest_neg])
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    losses.append(loss.item())

siamese = SiameseNet(net)
opt2 = torch.optim.SGD(siamese.parameters(), lr=0.05, momentum=0.9, nesterov=True)
idx1, idx2 = torch.from_numpy(rng.integers(0, len(X), 32)), torch.from_numpy(rng.integers(0, len(X), 32))
for step in range(5):
    o1, o2 = siamese(X[idx1], X[idx2])
    loss = contrastive_loss(o1, o2, (y[idx1] == y[idx2]).long())
    opt2.zero_grad()
    loss.backward()
    opt2.step()
    losses.append(loss.item())

with torch.no_grad():
    emb = net(X)
    d = F.pairwise_distance(emb.unsqueeze(1), emb.unsqueeze(0), keepdim=False)
    d.fill_diagonal_(float("inf"))
    nn_acc = (y[d.argmin(dim=1)] == y).float().mean().item()
    fn_loss = F.triplet_margin_loss(emb[:8], emb[8:16], emb[-8:], margin=1.0, swap=True).item()
print(f"retrieval accuracy: {nn_acc:.3f}")
result = [nn_acc, fn_loss, d[torch.isfinite(d)].mean().item()]
