"""LSTM (bidirectional, 2 layers, dropout between layers) and GRU sequence classifiers."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(2)
torch.set_num_threads(1)


class Classifier(nn.Module):
    def __init__(self, cell):
        super().__init__()
        self.embed = nn.Embedding(20, 8)
        if cell == "lstm":
            self.rnn = nn.LSTM(8, 12, num_layers=2, bidirectional=True, dropout=0.2,
                               batch_first=True)
        else:
            self.rnn = nn.GRU(8, 12, num_layers=2, dropout=0.3, batch_first=True)
        width = 24 if cell == "lstm" else 12
        self.head = nn.Linear(width, 3)

    def forward(self, tokens):
        out, _ = self.rnn(self.embed(tokens))
        return self.head(out[:, -1])


tokens = torch.randint(0, 20, (32, 7))
labels = tokens.sum(1) % 3
for cell in ("lstm", "gru"):
    model = Classifier(cell)
    opt = torch.optim.RMSprop(model.parameters(), lr=5e-3)
    for step in range(8):
        perm = torch.randperm(32)
        for start in range(0, 32, 16):
            batch = perm[start:start + 16]
            opt.zero_grad()
            loss = F.cross_entropy(model(tokens[batch]), labels[batch])
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
        print(f"{cell} step {step} loss {loss.item():.6f}")
    model.eval()
    with torch.no_grad():
        print(cell, "eval", f"{F.cross_entropy(model(tokens), labels).item():.6f}")
