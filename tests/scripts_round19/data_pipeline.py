"""A data-loading pipeline as NLP/tabular notebooks write it: a map-style Dataset returning
dicts, a custom collate_fn padding variable-length sequences, ConcatDataset, Subset,
BatchSampler over SequentialSampler, an IterableDataset, default_collate of tuples and
namedtuples, and a GRU classifier trained on the batches with gradient clipping."""

from collections import namedtuple

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_sequence
from torch.utils.data import (
    BatchSampler,
    ConcatDataset,
    DataLoader,
    Dataset,
    IterableDataset,
    SequentialSampler,
    Subset,
    default_collate,
)

torch.manual_seed(43)
rng = np.random.default_rng(43)
Pair = namedtuple("Pair", ["x", "y"])


class SeqDataset(Dataset):
    def __init__(self, n, offset):
        self.items = []
        for _ in range(n):
            length = int(rng.integers(2, 9))
            ids = rng.integers(1, 20, length)
            self.items.append((ids, int((ids.mean() + offset) > 10)))

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        ids, label = self.items[i]
        return {"ids": torch.tensor(ids), "label": label, "length": len(ids)}


def collate_batch(batch):
    ids = pad_sequence([b["ids"] for b in batch], batch_first=True, padding_value=0)
    labels = torch.tensor([b["label"] for b in batch], dtype=torch.float32)
    lengths = torch.tensor([b["length"] for b in batch])
    return ids, labels, lengths


class Counter(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))


full = ConcatDataset([SeqDataset(30, 0.0), SeqDataset(20, 1.0)])
train = Subset(full, list(range(0, 50, 2)) + list(range(1, 50, 4)))
loader = DataLoader(train, batch_sampler=BatchSampler(SequentialSampler(train), batch_size=8,
                                                      drop_last=False), collate_fn=collate_batch)
assert len(loader) == 5 and len(full) == 50 and full.cumulative_sizes == [30, 50]


class GRUClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(20, 8, padding_idx=0)
        self.gru = nn.GRU(8, 12, batch_first=True)
        self.head = nn.Linear(12, 1)

    def forward(self, ids, lengths):
        packed = pack_padded_sequence(self.emb(ids), lengths, batch_first=True, enforce_sorted=False)
        _, h = self.gru(packed)
        return self.head(h[-1]).squeeze(-1)


model = GRUClassifier()
with torch.no_grad():
    for p in model.parameters():
        p.copy_(torch.from_numpy(rng.normal(0, 0.3, tuple(p.shape)).astype(np.float32)))
    model.emb.weight[0] = 0
opt = torch.optim.RMSprop(model.parameters(), lr=0.01, alpha=0.9, momentum=0.5, centered=True)
losses = []
for epoch in range(3):
    for ids, labels, lengths in loader:
        loss = F.binary_cross_entropy_with_logits(model(ids, lengths), labels)
        opt.zero_grad()
        loss.backward()
        norm = nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0, norm_type=2.0)
        opt.step()
        losses.append(loss.item())

counted = [b.tolist() for b in DataLoader(Counter(7), batch_size=3)]
pairs = default_collate([Pair(torch.ones(2) * i, i) for i in range(3)])
tuples = default_collate([(np.float32(i), {"a": np.arange(2) + i}) for i in range(2)])
print(counted, type(pairs).__name__, pairs.y.tolist(), tuples[1]["a"].tolist(), tuples[0].dtype == torch.float32)
ids, labels, lengths = collate_batch([full[i] for i in range(40, 50)])
with torch.no_grad():
    acc = ((model(ids, lengths) > 0).float() == labels).float().mean().item()
result = [acc, norm.item(), pairs.x.sum().item(), lengths.sum().item()]
