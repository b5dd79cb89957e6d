"""DeepSets and a Set Transformer on padded sets of different sizes: masked sum/mean pooling,
nn.MultiheadAttention with key_padding_mask (PMA pooling with a learned seed), a
TransformerEncoderLayer with src_key_padding_mask, and BCEWithLogitsLoss(pos_weight)."""

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pad_sequence

torch.manual_seed(37)
rng = np.random.default_rng(37)
sizes = rng.integers(2, 9, 24)
sets = [torch.tensor(rng.normal(size=(n, 3)), dtype=torch.float32) for n in sizes]
targets = torch.tensor([float(s[:, 0].max() > 1.0) for s in sets]).unsqueeze(1)
x = pad_sequence(sets, batch_first=True)
lengths = torch.tensor(sizes)
mask = torch.arange(x.size(1)).unsqueeze(0) < lengths.unsqueeze(1)


class DeepSets(nn.Module):
    def __init__(self, dim=16):
        super().__init__()
        self.phi = nn.Sequential(nn.Linear(3, dim), nn.ELU(), nn.Linear(dim, dim))
        self.rho = nn.Sequential(nn.Linear(2 * dim, dim), nn.ELU(), nn.Linear(dim, 1))

    def forward(self, x, mask):
        h = self.phi(x) * mask.unsqueeze(-1)
        total = h.sum(1)
        mean = total / mask.sum(1, keepdim=True).clamp(min=1)
        return self.rho(torch.cat([total, mean], dim=-1))


class SetTransformer(nn.Module):
    def __init__(self, dim=16, heads=2):
        super().__init__()
        self.embed = nn.Linear(3, dim)
        self.encoder = nn.TransformerEncoderLayer(dim, heads, dim_feedforward=32, dropout=0.0,
                                                  batch_first=True, norm_first=True)
        self.seed = nn.Parameter(torch.randn(1, 1, dim))
        self.pma = nn.MultiheadAttention(dim, heads, batch_first=True)
        self.out = nn.Linear(dim, 1)

    def forward(self, x, mask):
        h = self.encoder(self.embed(x), src_key_padding_mask=~mask)
        pooled, weights = self.pma(self.seed.expand(x.size(0), -1, -1), h, h,
                                   key_padding_mask=~mask, need_weights=True)
        self.attn = weights
        return self.out(pooled.squeeze(1))


losses = []
pos_weight = torch.tensor([(targets == 0).sum() / targets.sum().clamp(min=1)])
criterion = nn.BCEWithLogitsLoss(pos_weight=pos_weight)
results = []
for model in (DeepSets(), SetTransformer()):
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(torch.from_numpy(rng.normal(0, 0.3, tuple(p.shape)).astype(np.float32)))
    opt = torch.optim.NAdam(model.parameters(), lr=5e-3)
    for step in range(8):
        logits = model(x, mask)
        loss = criterion(logits, targets)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    model.eval()
    with torch.no_grad():
        probs = torch.sigmoid(model(x, mask))
        acc = ((probs > 0.5).float() == targets).float().mean().item()
        perm = torch.from_numpy(rng.permutation(x.size(1)))
        invariance = (model(x[:, perm], mask[:, perm]) - model(x, mask)).abs().max().item()
    results += [acc, invariance < 1e-4, F.binary_cross_entropy(probs, targets).item()]
padding_attention = model.attn.masked_select(~mask.unsqueeze(1)).abs().max().item()
result = results + [padding_attention, model.attn.sum(-1).mean().item()]
