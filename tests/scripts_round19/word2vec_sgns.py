"""word2vec skip-gram with negative sampling: two sparse nn.Embedding tables, bmm of centre
and context vectors, logsigmoid, SparseAdam, and nearest neighbours by cosine similarity."""

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(3)
rng = np.random.default_rng(3)
corpus = ("the king rules the land the queen rules the land the man walks the dog the woman "
          "walks the dog a king and a queen a man and a woman the dog sees the king").split()
vocab = sorted(set(corpus))
word2idx = {w: i for i, w in enumerate(vocab)}
ids = [word2idx[w] for w in corpus]
window, emb_dim, n_neg = 2, 10, 4
pairs = [(ids[i], ids[j]) for i in range(len(ids))
         for j in range(max(0, i - window), min(len(ids), i + window + 1)) if i != j]
counts = np.bincount(ids, minlength=len(vocab)).astype(np.float64)
noise = torch.tensor(counts ** 0.75 / (counts ** 0.75).sum())


class SkipGramNeg(nn.Module):
    def __init__(self, vocab_size, emb_dim):
        super().__init__()
        self.in_embed = nn.Embedding(vocab_size, emb_dim, sparse=True)
        self.out_embed = nn.Embedding(vocab_size, emb_dim, sparse=True)
        initrange = 0.5 / emb_dim
        self.in_embed.weight.data.uniform_(-initrange, initrange)
        self.out_embed.weight.data.zero_()

    def forward(self, center, context, negatives):
        v = self.in_embed(center).unsqueeze(2)               # B x D x 1
        u = self.out_embed(context).unsqueeze(1)             # B x 1 x D
        u_neg = self.out_embed(negatives).neg()              # B x K x D
        pos = F.logsigmoid(torch.bmm(u, v).squeeze())
        neg = F.logsigmoid(torch.bmm(u_neg, v).squeeze(2)).sum(1)
        return -(pos + neg).mean()


model = SkipGramNeg(len(vocab), emb_dim)
with torch.no_grad():
    model.in_embed.weight.copy_(torch.tensor(rng.uniform(-0.05, 0.05, (len(vocab), emb_dim))))
    model.out_embed.weight.copy_(torch.tensor(rng.normal(0, 0.1, (len(vocab), emb_dim))))
optimizer = torch.optim.SparseAdam(list(model.parameters()), lr=0.05)
pairs_t = torch.tensor(pairs, dtype=torch.long)
losses = []
for epoch in range(4):
    order = rng.permutation(len(pairs))
    for start in range(0, len(pairs), 64):
        batch = pairs_t[torch.from_numpy(order[start:start + 64])]
        negs = torch.from_numpy(rng.choice(len(vocab), (len(batch), n_neg), p=noise.numpy()))
        optimizer.zero_grad()
        loss = model(batch[:, 0], batch[:, 1], negs)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())

emb = model.in_embed.weight.detach()
emb = emb / emb.norm(dim=1, keepdim=True)
sims = emb @ emb[word2idx["king"]]
top = sims.topk(3).indices.tolist()
cos = F.cosine_similarity(emb[word2idx["king"]].unsqueeze(0), emb, dim=1)
print("nearest to king:", [vocab[i] for i in top])
result = [sims.max().item(), cos.sum().item(), model.out_embed.weight.abs().sum().item()]
