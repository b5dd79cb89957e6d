"""A sparse mixture-of-experts layer (Shazeer et al.): a noisy-free top-k gate, softmax over
the kept logits, dispatch with nonzero/index_select, combine with index_add_, a
load-balancing auxiliary loss, plus scatter/gather forms of the same routing."""

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(8)
rng = np.random.default_rng(8)
d_model, n_experts, top_k = 8, 4, 2


class Expert(nn.Module):
    def __init__(self):
        super().__init__()
        self.ff = nn.Sequential(nn.Linear(d_model, 16), nn.GELU(), nn.Linear(16, d_model))

    def forward(self, x):
        return self.ff(x)


class MoE(nn.Module):
    def __init__(self):
        super().__init__()
        self.gate = nn.Linear(d_model, n_experts, bias=False)
        self.experts = nn.ModuleList([Expert() for _ in range(n_experts)])

    def forward(self, x):
        tokens = x.reshape(-1, d_model)
        logits = self.gate(tokens)
        top_vals, top_idx = logits.topk(top_k, dim=-1)
        weights = F.softmax(top_vals, dim=-1)
        out = torch.zeros_like(tokens)
        for e, expert in enumerate(self.experts):
            token_idx, slot = torch.nonzero(top_idx == e, as_tuple=True)
            if token_idx.numel() == 0:
                continue
            y = expert(tokens.index_select(0, token_idx)) * weights[token_idx, slot].unsqueeze(-1)
            out = out.index_add(0, token_idx, y)
        probs = F.softmax(logits, dim=-1)
        mask = torch.zeros_like(probs).scatter_(1, top_idx, 1.0)
        aux = n_experts * (mask.mean(0) * probs.mean(0)).sum()
        self.dense_gates = torch.zeros_like(logits).scatter(1, top_idx, weights)
        return out.view_as(x), aux


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.inp = nn.Linear(4, d_model)
        self.moe = MoE()
        self.norm = nn.LayerNorm(d_model)
        self.head = nn.Linear(d_model, 3)

    def forward(self, x):
        h = self.inp(x)
        m, aux = self.moe(h)
        return self.head(self.norm(h + m)).mean(1), aux


X = torch.tensor(rng.normal(size=(32, 5, 4)), dtype=torch.float32)
y = torch.from_numpy((X.numpy().sum((1, 2)) > 0).astype(np.int64) + (X.numpy()[:, 0, 0] > 1))
model = Model()
with torch.no_grad():
    for p in model.parameters():
        p.copy_(torch.from_numpy(rng.normal(0, 0.3, tuple(p.shape)).astype(np.float32)))
opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.01)
losses = []
for step in range(10):
    logits, aux = model(X)
    loss = F.cross_entropy(logits, y) + 0.01 * aux
    opt.zero_grad()
    loss.backward()
    opt.step()
    losses.append(loss.item())

with torch.no_grad():
    tokens = model.inp(X).reshape(-1, d_model)
    g = model.moe.gate(tokens)
    idx = g.argsort(dim=-1, descending=True)[:, :top_k]
    picked = torch.gather(g, 1, idx)
    counts = torch.bincount(idx.flatten(), minlength=n_experts)
    usage = torch.zeros(n_experts).scatter_add_(0, idx.flatten(), torch.ones(idx.numel()))
    acc = (model(X)[0].argmax(-1) == y).float().mean().item()
assert torch.equal(counts.float(), usage)
result = [acc, picked.sum().item(), *counts.tolist(), model.moe.dense_gates.sum().item()]
