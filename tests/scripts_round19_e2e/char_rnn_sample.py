"""A char-level GRU trained on a tiny text, then sampled with torch.multinomial."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(9)
torch.set_num_threads(1)

text = "hello world, hello there, well well well. "
chars = sorted(set(text))
stoi = {c: i for i, c in enumerate(chars)}
data = torch.tensor([stoi[c] for c in text])
V = len(chars)


class CharRNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(V, 12)
        self.rnn = nn.GRU(12, 24, batch_first=True)
        self.drop = nn.Dropout(0.1)
        self.out = nn.Linear(24, V)

    def forward(self, x, h=None):
        out, h = self.rnn(self.embed(x), h)
        return self.out(self.drop(out)), h


model = CharRNN()
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
for step in range(20):
    starts = torch.randint(0, len(data) - 9, (8,))
    x = torch.stack([data[s:s + 8] for s in starts.tolist()])
    t = torch.stack([data[s + 1:s + 9] for s in starts.tolist()])
    logits, _ = model(x)
    loss = F.cross_entropy(logits.reshape(-1, V), t.reshape(-1))
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 4 == 3:
        print(f"step {step} loss {loss.item():.5f}")
model.eval()
with torch.no_grad():
    idx, h, out = data[:1].view(1, 1), None, []
    for _ in range(30):
        logits, h = model(idx, h)
        probs = F.softmax(logits[0, -1] / 0.8, dim=-1)
        idx = torch.multinomial(probs, num_samples=1).view(1, 1)
        out.append(chars[idx.item()])
    print("sample", repr("".join(out)))
    print("top", torch.multinomial(probs, 3, replacement=False).tolist())
