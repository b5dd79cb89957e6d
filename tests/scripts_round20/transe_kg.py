"""TransE knowledge-graph embeddings (Bordes et al., as in many PyKEEN-style tutorials):
entity and relation nn.Embedding tables (entities renormalised with max_norm=1), L1
distances ||h + r - t||_1, corrupted triples by replacing heads or tails, nn.MarginRankingLoss,
then filtered link-prediction metrics (mean rank, MRR, Hits@k) with argsort and torch.isin."""

import torch
import torch.nn as nn

torch.manual_seed(19)
n_entities, n_relations, dim = 30, 3, 16

# a synthetic graph: relation r links entity e to (e + r + 1) mod n, plus a few noisy edges
heads = torch.arange(n_entities).repeat(n_relations)
rels = torch.arange(n_relations).repeat_interleave(n_entities)
tails = (heads + rels + 1) % n_entities
triples = torch.stack([heads, rels, tails], dim=1)
perm = torch.randperm(len(triples))
train, test = triples[perm[:80]], triples[perm[80:]]


class TransE(nn.Module):
    def __init__(self):
        super().__init__()
        self.ent = nn.Embedding(n_entities, dim, max_norm=1.0)
        self.rel = nn.Embedding(n_relations, dim)
        bound = 6 / dim ** 0.5
        nn.init.uniform_(self.ent.weight, -bound, bound)
        nn.init.uniform_(self.rel.weight, -bound, bound)
        with torch.no_grad():
            self.rel.weight.div_(self.rel.weight.norm(p=2, dim=1, keepdim=True))

    def distance(self, h, r, t):
        return (self.ent(h) + self.rel(r) - self.ent(t)).norm(p=1, dim=-1)

    def forward(self, pos, neg):
        return self.distance(*pos.t()), self.distance(*neg.t())


def corrupt(batch):
    neg = batch.clone()
    replace_head = torch.rand(len(batch)) < 0.5
    random_entities = torch.randint(0, n_entities, (len(batch),))
    neg[replace_head, 0] = random_entities[replace_head]
    neg[~replace_head, 2] = random_entities[~replace_head]
    return neg


model = TransE()
criterion = nn.MarginRankingLoss(margin=1.0)
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
losses = []
for epoch in range(20):
    epoch_loss = 0.0
    for batch in train[torch.randperm(len(train))].split(20):
        pos_d, neg_d = model(batch, corrupt(batch))
        loss = criterion(pos_d, neg_d, -torch.ones_like(pos_d))  # want pos_d < neg_d
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        epoch_loss += loss.item()
    losses.append(epoch_loss)
    if epoch % 5 == 0:
        print(f"epoch {epoch:2d} loss {epoch_loss:.4f}")

norms = model.ent.weight.norm(dim=1)
print("entity norms <= 1:", bool((norms <= 1 + 1e-5).all()))
known = {tuple(t) for t in triples.tolist()}
ranks = []
with torch.no_grad():
    all_entities = torch.arange(n_entities)
    for h, r, t in test.tolist():
        scores = model.distance(torch.full((n_entities,), h), torch.full((n_entities,), r), all_entities)
        others = torch.tensor([(h, r, e) in known and e != t for e in range(n_entities)])
        scores = scores.masked_fill(others, float("inf"))
        rank = (scores.argsort() == t).nonzero().item() + 1
        ranks.append(rank)
ranks = torch.tensor(ranks, dtype=torch.float)
mrr = (1.0 / ranks).mean().item()
hits = {k: (ranks <= k).float().mean().item() for k in (1, 3, 10)}
in_train = torch.isin(test[:, 0], train[:, 0]).float().mean().item()
print(f"MR {ranks.mean().item():.2f} MRR {mrr:.4f} Hits@1/3/10 {hits[1]:.3f}/{hits[3]:.3f}/{hits[10]:.3f}")
result = [mrr, ranks.mean().item(), *hits.values(), in_train, norms.max().item()]
