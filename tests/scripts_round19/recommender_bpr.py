"""Recommenders on synthetic implicit feedback: matrix factorisation with user/item embedding
biases trained with MSE (explicit ratings), then BPR loss (Rendle et al.) with sampled
negatives, evaluated by hit-rate@k with topk after masking seen items."""

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

torch.manual_seed(5)
rng = np.random.default_rng(5)
n_users, n_items, k = 20, 15, 4
true_u, true_i = rng.normal(size=(n_users, 3)), rng.normal(size=(n_items, 3))
ratings = true_u @ true_i.T + rng.normal(0, 0.1, (n_users, n_items))
users, items = np.nonzero(rng.random((n_users, n_items)) < 0.4)


class RatingsDataset(Dataset):
    def __init__(self, users, items, ratings):
        self.users, self.items, self.ratings = users, items, ratings

    def __len__(self):
        return len(self.users)

    def __getitem__(self, idx):
        u, i = self.users[idx], self.items[idx]
        return torch.tensor(u), torch.tensor(i), torch.tensor(self.ratings[u, i], dtype=torch.float32)


class MF(nn.Module):
    def __init__(self, n_users, n_items, dim):
        super().__init__()
        self.user_emb = nn.Embedding(n_users, dim)
        self.item_emb = nn.Embedding(n_items, dim)
        self.user_bias = nn.Embedding(n_users, 1)
        self.item_bias = nn.Embedding(n_items, 1)
        self.global_bias = nn.Parameter(torch.zeros(1))
        for emb in (self.user_emb, self.item_emb):
            emb.weight.data = torch.from_numpy(rng.normal(0, 0.1, (emb.num_embeddings, dim)).astype(np.float32))
        nn.init.zeros_(self.user_bias.weight)
        nn.init.zeros_(self.item_bias.weight)

    def forward(self, u, i):
        dot = (self.user_emb(u) * self.item_emb(i)).sum(dim=1)
        return dot + self.user_bias(u).squeeze() + self.item_bias(i).squeeze() + self.global_bias


model = MF(n_users, n_items, k)
loader = DataLoader(RatingsDataset(users, items, ratings), batch_size=32, shuffle=False)
opt = torch.optim.Adagrad(model.parameters(), lr=0.1, weight_decay=1e-5)
losses = []
for epoch in range(3):
    for u, i, r in loader:
        loss = F.mse_loss(model(u, i), r)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())

seen = torch.zeros(n_users, n_items, dtype=torch.bool)
seen[torch.from_numpy(users), torch.from_numpy(items)] = True
bpr_opt = torch.optim.Adam([model.user_emb.weight, model.item_emb.weight], lr=0.02)
pos_u, pos_i = torch.from_numpy(users), torch.from_numpy(items)
for step in range(6):
    neg_i = torch.from_numpy(rng.integers(0, n_items, len(pos_u)))
    x_ui = (model.user_emb(pos_u) * model.item_emb(pos_i)).sum(-1)
    x_uj = (model.user_emb(pos_u) * model.item_emb(neg_i)).sum(-1)
    reg = 1e-4 * (model.user_emb(pos_u).norm(dim=1).pow(2).sum() + model.item_emb(pos_i).norm(dim=1).pow(2).sum())
    loss = -F.logsigmoid(x_ui - x_uj).mean() + reg
    bpr_opt.zero_grad()
    loss.backward()
    bpr_opt.step()
    losses.append(loss.item())

with torch.no_grad():
    scores = model.user_emb.weight @ model.item_emb.weight.T
    scores[seen] = -float("inf")
    top = scores.topk(3, dim=1).indices
    best_true = torch.from_numpy(np.where(seen.numpy(), -np.inf, ratings).argmax(1))
    hit_rate = (top == best_true.unsqueeze(1)).any(dim=1).float().mean().item()
result = [hit_rate, model.global_bias.item(), model.user_bias.weight.abs().sum().item()]
