"""An imbalanced variable-length sequence classifier, the way Kaggle notebooks handle it: a
map-style Dataset of token lists, ConcatDataset of two sources, random_split with a seeded
torch.Generator, Subset for a hold-out slice, class weights from torch.bincount feeding a
WeightedRandomSampler, a collate_fn with pad_sequence(batch_first=True, padding_value=0) and
lengths, pack_padded_sequence(enforce_sorted=False) into an LSTM, SubsetRandomSampler and
BatchSampler for the evaluation pass, and a macro F1 score."""

import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_sequence
from torch.utils.data import (
    BatchSampler,
    ConcatDataset,
    DataLoader,
    Dataset,
    Subset,
    SubsetRandomSampler,
    WeightedRandomSampler,
    random_split,
)

torch.manual_seed(12)
g = torch.Generator().manual_seed(12)


class TokenDataset(Dataset):
    def __init__(self, n, positive_rate, generator):
        self.items = []
        for _ in range(n):
            label = int(torch.rand(1, generator=generator) < positive_rate)
            length = int(torch.randint(3, 12, (1,), generator=generator))
            tokens = torch.randint(2, 20, (length,), generator=generator)
            if label:
                tokens[torch.randint(0, length, (2,), generator=generator)] = 1
            self.items.append((tokens, label))

    def __len__(self):
        return len(self.items)

    def __getitem__(self, idx):
        return self.items[idx]


def collate(batch):
    seqs, labels = zip(*batch)
    lengths = torch.tensor([len(s) for s in seqs])
    return pad_sequence(list(seqs), batch_first=True, padding_value=0), lengths, torch.tensor(labels)


full = ConcatDataset([TokenDataset(150, 0.1, g), TokenDataset(90, 0.3, g)])
train_set, test_set = random_split(full, [0.75, 0.25], generator=torch.Generator().manual_seed(42))
holdout = Subset(test_set, range(20))
train_labels = torch.tensor([full[i][1] for i in train_set.indices])
class_counts = torch.bincount(train_labels)
sample_weights = (1.0 / class_counts.float())[train_labels]
sampler = WeightedRandomSampler(sample_weights, num_samples=len(train_set), replacement=True,
                                generator=torch.Generator().manual_seed(3))
print(len(full), len(train_set), len(test_set), len(holdout), class_counts.tolist(),
      full.cumulative_sizes, train_set.indices[:5])
loader = DataLoader(train_set, batch_size=16, sampler=sampler, collate_fn=collate)
xb, lb, yb = next(iter(loader))
print(xb.shape, lb[:6].tolist(), yb.float().mean().item())


class LSTMClassifier(nn.Module):
    def __init__(self, vocab=20, emb=12, hidden=16):
        super().__init__()
        self.embedding = nn.Embedding(vocab, emb, padding_idx=0)
        self.lstm = nn.LSTM(emb, hidden, batch_first=True)
        self.fc = nn.Linear(hidden, 2)

    def forward(self, x, lengths):
        packed = pack_padded_sequence(self.embedding(x), lengths, batch_first=True, enforce_sorted=False)
        _, (h, _) = self.lstm(packed)
        return self.fc(h[-1])


model = LSTMClassifier()
optimizer = torch.optim.RMSprop(model.parameters(), lr=0.01)
losses = []
for epoch in range(6):
    model.train()
    for x, lengths, y in loader:
        loss = nn.functional.cross_entropy(model(x, lengths), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    print(f"epoch {epoch} loss {sum(losses[-4:]) / 4:.4f}")


def macro_f1(pred, y):
    scores = []
    for c in (0, 1):
        tp = ((pred == c) & (y == c)).sum().item()
        fp = ((pred == c) & (y != c)).sum().item()
        fn = ((pred != c) & (y == c)).sum().item()
        scores.append(2 * tp / max(2 * tp + fp + fn, 1))
    return sum(scores) / 2


model.eval()
batches = BatchSampler(SubsetRandomSampler(range(len(test_set)), generator=torch.Generator().manual_seed(5)),
                       batch_size=20, drop_last=False)
preds, ys = [], []
with torch.no_grad():
    for idx in batches:
        x, lengths, y = collate([test_set[i] for i in idx])
        preds.append(model(x, lengths).argmax(1))
        ys.append(y)
f1 = macro_f1(torch.cat(preds), torch.cat(ys))
print(f"test macro F1 {f1:.3f}", len(list(batches)), list(batches)[0][:4])
result = [f1, float(sample_weights.sum()), float(torch.cat(ys).sum())]
