"""A character-level LSTM language model: Embedding + 2-layer LSTM, truncated BPTT with the
hidden state detached, gradient clipping, perplexity, and sampling with torch.multinomial."""

import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(42)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
rng = np.random.default_rng(3)

text = "hello world. the quick brown fox jumps over the lazy dog. " * 6
chars = sorted(list(set(text)))
vocab_size = len(chars)
stoi = {ch: i for i, ch in enumerate(chars)}
itos = {i: ch for i, ch in enumerate(chars)}
encode = lambda s: [stoi[c] for c in s]  # noqa: E731
decode = lambda l: "".join([itos[i] for i in l])  # noqa: E731
data = torch.tensor(encode(text), dtype=torch.long)
n = int(0.9 * len(data))
train_data, val_data = data[:n], data[n:]


class CharLSTM(nn.Module):
    def __init__(self, vocab_size, embed_size=12, hidden_size=24, num_layers=2):
        super().__init__()
        self.hidden_size, self.num_layers = hidden_size, num_layers
        self.embed = nn.Embedding(vocab_size, embed_size)
        self.lstm = nn.LSTM(embed_size, hidden_size, num_layers, batch_first=True)
        self.fc = nn.Linear(hidden_size, vocab_size)

    def init_hidden(self, batch_size):
        weight = next(self.parameters())
        return (weight.new_zeros(self.num_layers, batch_size, self.hidden_size),
                weight.new_zeros(self.num_layers, batch_size, self.hidden_size))

    def forward(self, x, hidden):
        out, hidden = self.lstm(self.embed(x), hidden)
        return self.fc(out.reshape(-1, out.size(2))), hidden


def detach_hidden(h):
    if isinstance(h, torch.Tensor):
        return h.detach()
    return tuple(detach_hidden(v) for v in h)


model = CharLSTM(vocab_size).to(device)
for p in model.parameters():
    p.data = torch.from_numpy(rng.uniform(-0.3, 0.3, size=tuple(p.size())).astype(np.float32))
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
batch_size, seq_len, clip = 4, 16, 0.5
nbatch = train_data.size(0) // batch_size
batches = train_data.narrow(0, 0, nbatch * batch_size).view(batch_size, -1).contiguous()

losses, norms = [], []
for epoch in range(2):
    model.train()
    hidden = model.init_hidden(batch_size)
    for i in range(0, batches.size(1) - 1 - seq_len, seq_len):
        inputs = batches[:, i:i + seq_len].to(device)
        targets = batches[:, i + 1:i + 1 + seq_len].to(device)
        hidden = detach_hidden(hidden)
        model.zero_grad()
        output, hidden = model(inputs, hidden)
        loss = criterion(output, targets.reshape(-1))
        loss.backward()
        total_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        norms.append(total_norm.item())
        optimizer.step()
        losses.append(loss.item())
    print(f"epoch {epoch} | loss {losses[-1]:5.2f} | ppl {math.exp(losses[-1]):8.2f}")

model.eval()
with torch.no_grad():
    hidden = model.init_hidden(1)
    output, _ = model(val_data[:-1].unsqueeze(0), hidden)
    val_loss = F.cross_entropy(output, val_data[1:]).item()
    val_ppl = math.exp(val_loss)
    accuracy = (output.argmax(dim=1) == val_data[1:]).float().mean().item()

    hidden = model.init_hidden(1)
    idx = torch.tensor([[stoi["t"]]])
    generated = [idx.item()]
    for _ in range(40):
        logits, hidden = model(idx, hidden)
        probs = F.softmax(logits / 0.8, dim=-1)
        idx = torch.multinomial(probs, num_samples=1)
        generated.append(idx.item())
    sample = decode(generated)
    assert len(sample) == 41 and set(sample) <= set(chars)
    top = torch.topk(probs, 3, dim=-1)
    assert top.values.shape == (1, 3) and top.indices.dtype == torch.int64
print("sample:", sample)
result = [val_loss, val_ppl, accuracy, norms[0], norms[-1]]
