"""A two-layer LSTM language model with inter-layer dropout, then temperature sampling with
torch.multinomial."""
import torch
import torch.nn as nn

torch.manual_seed(171)
torch.set_num_threads(1)

text = "the quick brown fox jumps over the lazy dog "
chars = sorted(set(text))
ids = torch.tensor([chars.index(c) for c in text])
V = len(chars)


class LM(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(V, 12)
        self.lstm = nn.LSTM(12, 24, num_layers=2, dropout=0.3)
        self.drop = nn.Dropout(0.2)
        self.head = nn.Linear(24, V)

    def forward(self, x, state=None):
        h, state = self.lstm(self.emb(x), state)
        return self.head(self.drop(h)), state


model = LM()
opt = torch.optim.AdamW(model.parameters(), lr=0.02)
for step in range(10):
    start = torch.randint(0, len(ids) - 11, (4,))
    batch = torch.stack([ids[s:s + 11] for s in start.tolist()], 1)
    logits, _ = model(batch[:-1])
    loss = nn.functional.cross_entropy(logits.reshape(-1, V), batch[1:].reshape(-1))
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(f"step {step} loss {loss.item():.6f}")
model.eval()
with torch.no_grad():
    x, state, sample = ids[:1].view(1, 1), None, []
    for _ in range(20):
        logits, state = model(x, state)
        probs = (logits[-1, 0] / 0.8).softmax(-1)
        x = torch.multinomial(probs, 1).view(1, 1)
        sample.append(chars[x.item()])
print(repr("".join(sample)))
