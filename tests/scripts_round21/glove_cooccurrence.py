"""GloVe on a toy corpus (Pennington et al., d2l.ai 15.5): a symmetric, distance-weighted
co-occurrence matrix accumulated with index_put_(accumulate=True) and scatter_add_, the
weighting f(x) = min((x / x_max)^alpha, 1), the weighted least-squares loss over non-zero
entries with separate center/context embeddings and biases, Adagrad as in the paper, and
analogy-free evaluation: nearest neighbours by cosine similarity of (W + W~)."""

import torch
import torch.nn as nn

torch.manual_seed(14)
topics = [["cat", "dog", "pet", "fur", "paw"], ["car", "road", "wheel", "drive", "fuel"],
          ["sun", "moon", "star", "sky", "night"]]
vocab = sorted({w for t in topics for w in t} | {"the", "a", "and"})
index = {w: i for i, w in enumerate(vocab)}
V = len(vocab)
sentences = []
for _ in range(150):
    topic = topics[int(torch.randint(0, 3, (1,)))]
    picks = torch.randint(0, 5, (6,)).tolist()
    glue = ["the", "a", "and"][int(torch.randint(0, 3, (1,)))]
    sentences.append([topic[picks[0]], glue] + [topic[p] for p in picks[1:]])
window = 3
centers, contexts, weights = [], [], []
for sent in sentences:
    ids = [index[w] for w in sent]
    for i, c in enumerate(ids):
        for j in range(max(0, i - window), min(len(ids), i + window + 1)):
            if j != i:
                centers.append(c)
                contexts.append(ids[j])
                weights.append(1.0 / abs(i - j))
centers, contexts, weights = torch.tensor(centers), torch.tensor(contexts), torch.tensor(weights)
X = torch.zeros(V, V).index_put_((centers, contexts), weights, accumulate=True)
check = torch.zeros(V * V).scatter_add_(0, centers * V + contexts, weights).view(V, V)
print(torch.allclose(X, check), torch.equal(X, X.T), f"{X.sum().item():.2f}", (X > 0).sum().item())
rows, cols = X.nonzero(as_tuple=True)
x_ij = X[rows, cols]
x_max, alpha = 10.0, 0.75
f = torch.clamp((x_ij / x_max) ** alpha, max=1.0)
print(f"weights in [{f.min().item():.4f}, {f.max().item():.4f}]")


class GloVe(nn.Module):
    def __init__(self, vocab_size, embed_size):
        super().__init__()
        self.center = nn.Embedding(vocab_size, embed_size)
        self.context = nn.Embedding(vocab_size, embed_size)
        self.center_bias = nn.Embedding(vocab_size, 1)
        self.context_bias = nn.Embedding(vocab_size, 1)
        for emb in (self.center, self.context):
            nn.init.uniform_(emb.weight, -0.5 / embed_size, 0.5 / embed_size)
        nn.init.zeros_(self.center_bias.weight)
        nn.init.zeros_(self.context_bias.weight)

    def forward(self, i, j):
        dot = (self.center(i) * self.context(j)).sum(-1)
        return dot + self.center_bias(i).squeeze(-1) + self.context_bias(j).squeeze(-1)


model = GloVe(V, 10)
optimizer = torch.optim.Adagrad(model.parameters(), lr=0.1)
losses = []
for epoch in range(40):
    perm = torch.randperm(len(rows))
    total = 0.0
    for batch in perm.split(64):
        pred = model(rows[batch], cols[batch])
        loss = (f[batch] * (pred - torch.log(x_ij[batch])) ** 2).sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item()
    losses.append(total / len(rows))
    if epoch % 10 == 0:
        print(f"epoch {epoch}: loss {losses[-1]:.4f}")

with torch.no_grad():
    W = model.center.weight + model.context.weight
    sims = torch.cosine_similarity(W.unsqueeze(1), W.unsqueeze(0), dim=-1)
    sims.fill_diagonal_(-2)
    nearest = sims.argmax(1)
same_topic = sum(any(vocab[i] in t and vocab[int(nearest[i])] in t for t in topics) for i in range(V))
for w in ("cat", "car", "moon"):
    top = sims[index[w]].topk(3).indices.tolist()
    print(w, "->", [vocab[i] for i in top])
result = [losses[-1], same_topic / 15, sims.max().item(), model.center_bias.weight.mean().item()]
