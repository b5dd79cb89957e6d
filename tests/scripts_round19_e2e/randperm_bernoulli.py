"""Manual batching with torch.randperm, bernoulli masks (token masking) and input noise."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(12)
torch.set_num_threads(1)

N, L, V = 40, 6, 12
tokens = torch.randint(1, V, (N, L))
model = nn.Sequential(nn.Embedding(V, 8), nn.Flatten(), nn.Linear(8 * L, 32), nn.ReLU(),
                      nn.Linear(32, L * V))
opt = torch.optim.Adam(model.parameters(), lr=5e-3, weight_decay=1e-4)
for epoch in range(3):
    perm = torch.randperm(N)
    for i in range(0, N, 10):
        batch = tokens[perm[i:i + 10]]
        mask = torch.bernoulli(torch.full(batch.shape, 0.25)).bool()
        corrupted = batch.masked_fill(mask, 0)
        logits = model(corrupted).view(-1, L, V)
        loss = F.cross_entropy(logits[mask], batch[mask]) if mask.any() else logits.sum() * 0
        opt.zero_grad()
        loss.backward()
        opt.step()
        print(f"epoch {epoch} batch {i // 10} masked {int(mask.sum())} loss {loss.item():.6f}")
probs = torch.rand(4, 5)
print("bernoulli(p)", torch.bernoulli(probs).tolist())
print("bernoulli_", torch.empty(6).bernoulli_(0.3).tolist())
print("bernoulli float p", torch.bernoulli(torch.ones(5), p=0.5).tolist())
keep = torch.rand(N) < 0.5
print("kept", int(keep.sum()), torch.randperm(5, dtype=torch.int32).tolist())
print("normal", [f"{v:.6f}" for v in torch.normal(torch.zeros(3), torch.ones(3)).tolist()])
