"""A bag-of-words model: Embedding with padding_idx and max_norm, trained with ASGD."""
import torch
import torch.nn as nn

torch.manual_seed(81)
torch.set_num_threads(1)

emb = nn.Embedding(12, 5, padding_idx=0, max_norm=1.5)
clf = nn.Linear(5, 2)
print("emb rows", emb.weight[:3])
opt = torch.optim.ASGD([*emb.parameters(), *clf.parameters()], lr=0.1, t0=3)

for step in range(10):
    tokens = torch.randint(0, 12, (8, 6))
    lengths = (tokens != 0).sum(1, keepdim=True).clamp(min=1)
    labels = (tokens % 2 == 0).sum(1).gt(3).long()
    pooled = emb(tokens).sum(1) / lengths
    loss = nn.functional.cross_entropy(clf(pooled), labels)
    opt.zero_grad()
    loss.backward()
    opt.step()
    norms = emb.weight.norm(dim=1)
    print(f"step {step} loss {loss.item():.6f} maxnorm {norms.max().item():.5f}")
print("pad row", emb.weight[0].tolist())
print("ax", [f"{v:.5f}" for v in opt.state[clf.weight]["ax"][0].tolist()])
print(repr(loss.item()))
