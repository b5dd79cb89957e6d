"""An Embedding + EmbeddingBag text model on seeded random bags of tokens."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(4)
torch.set_num_threads(1)


class BagModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.bag = nn.EmbeddingBag(50, 10, mode="mean")
        self.tok = nn.Embedding(50, 6, padding_idx=0)
        self.fc = nn.Linear(16, 2)

    def forward(self, text, offsets, first):
        return self.fc(torch.cat([self.bag(text, offsets), self.tok(first)], dim=1))


lengths = torch.randint(2, 6, (20,))
text = torch.randint(1, 50, (int(lengths.sum()),))
offsets = torch.cat([torch.zeros(1, dtype=torch.long), lengths.cumsum(0)[:-1]])
first = text[offsets]
labels = (first > 25).long()
model = BagModel()
opt = torch.optim.Adagrad(model.parameters(), lr=0.1)
for step in range(10):
    opt.zero_grad()
    loss = F.cross_entropy(model(text, offsets, first), labels)
    loss.backward()
    opt.step()
    print(f"step {step} loss {loss.item():.6f}")
print("bag row", [f"{v:.6f}" for v in model.bag.weight[3].tolist()])
