"""Factorization machines and DeepFM for click-through prediction (d2l.ai 21.9-21.10 and the
DeepFM paper's reference code, shrunk): categorical fields mapped to one index space with
per-field offsets (np.cumsum-style, here torch.cumsum), a linear term from nn.Embedding(dim
1), the FM second-order term 0.5 * ((sum v)^2 - sum v^2), a deep MLP over the flattened field
embeddings, BCE loss, and AUC computed by ranking."""

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset, random_split

torch.manual_seed(8)
field_dims = torch.tensor([5, 7, 3, 10])
n = 600
X = torch.stack([torch.randint(0, int(d), (n,)) for d in field_dims], dim=1)
true_emb = torch.randn(int(field_dims.sum()), 2)
offsets = torch.cat([torch.zeros(1, dtype=torch.long), torch.cumsum(field_dims, 0)[:-1]])
pairwise = (true_emb[X + offsets].sum(1) ** 2 - (true_emb[X + offsets] ** 2).sum(1)).sum(1)
y = torch.bernoulli(torch.sigmoid(0.5 * pairwise - 0.3))
train_set, valid_set = random_split(TensorDataset(X, y), [500, 100], generator=torch.Generator().manual_seed(1))
print(offsets.tolist(), y.mean().item() > 0, len(train_set), len(valid_set))


class FM(nn.Module):
    def __init__(self, field_dims, num_factors):
        super().__init__()
        num_inputs = int(sum(field_dims))
        self.embedding = nn.Embedding(num_inputs, num_factors)
        self.fc = nn.Embedding(num_inputs, 1)
        self.linear_layer = nn.Linear(1, 1)
        self.register_buffer("offsets", offsets.clone())

    def interaction(self, emb):
        square_of_sum = torch.sum(emb, dim=1) ** 2
        sum_of_square = torch.sum(emb ** 2, dim=1)
        return 0.5 * (square_of_sum - sum_of_square).sum(1, keepdim=True)

    def forward(self, x):
        x = x + self.offsets.unsqueeze(0)
        return self.linear_layer(self.fc(x).sum(1)) + self.interaction(self.embedding(x))


class DeepFM(FM):
    def __init__(self, field_dims, num_factors, mlp_dims, drop_rate=0.1):
        super().__init__(field_dims, num_factors)
        layers, input_dim = [], len(field_dims) * num_factors
        for dim in mlp_dims:
            layers += [nn.Linear(input_dim, dim, bias=False), nn.BatchNorm1d(dim), nn.ReLU(), nn.Dropout(drop_rate)]
            input_dim = dim
        layers.append(nn.Linear(input_dim, 1))
        self.mlp = nn.Sequential(*layers)

    def forward(self, x):
        embed_x = self.embedding(x + self.offsets)
        deep = self.mlp(embed_x.view(x.shape[0], -1))
        return super().forward(x) + deep


def auc(scores, labels):
    order = scores.argsort()
    ranks = torch.empty_like(order, dtype=torch.float)
    ranks[order] = torch.arange(1, len(scores) + 1, dtype=torch.float)
    pos = labels == 1
    n_pos, n_neg = pos.sum().item(), (~pos).sum().item()
    return ((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)).item()


losses, result = [], []
for name, model in (("FM", FM(field_dims, 4)), ("DeepFM", DeepFM(field_dims, 4, [16, 8]))):
    optimizer = torch.optim.Adam(model.parameters(), lr=0.02)
    loader = DataLoader(train_set, batch_size=50, shuffle=True)
    for epoch in range(8):
        model.train()
        for xb, yb in loader:
            logits = model(xb).squeeze(1)
            loss = F.binary_cross_entropy_with_logits(logits, yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        losses.append(loss.item())
    model.eval()
    xv, yv = next(iter(DataLoader(valid_set, batch_size=100)))
    with torch.no_grad():
        prob = torch.sigmoid(model(xv).squeeze(1))
    value = auc(prob, yv)
    print(f"{name}: loss {losses[-1]:.4f} valid AUC {value:.3f} logloss {F.binary_cross_entropy(prob, yv):.4f}")
    result.append(value)
print(sorted(model.state_dict().keys())[:4])
