"""An nn.TransformerEncoder classifier (MultiheadAttention, LayerNorm, dropout), AdamW."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(3)
torch.set_num_threads(1)


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(16, 16)
        self.pos = nn.Parameter(torch.randn(1, 6, 16) * 0.02)
        layer = nn.TransformerEncoderLayer(d_model=16, nhead=4, dim_feedforward=32,
                                           dropout=0.1, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers=2)
        self.attn = nn.MultiheadAttention(16, 2, dropout=0.1, batch_first=True)
        self.norm = nn.LayerNorm(16)
        self.out = nn.Linear(16, 2)

    def forward(self, x):
        h = self.encoder(self.embed(x) + self.pos)
        a, _ = self.attn(h, h, h)
        return self.out(self.norm(h + a).mean(1))


x = torch.randint(0, 16, (24, 6))
y = (x[:, 0] > x[:, -1]).long()
model = Model()
opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
for step in range(10):
    idx = torch.randperm(24)[:12]
    opt.zero_grad()
    loss = F.cross_entropy(model(x[idx]), y[idx])
    loss.backward()
    opt.step()
    print(f"step {step} loss {loss.item():.6f}")
model.eval()
with torch.no_grad():
    print("eval", f"{F.cross_entropy(model(x), y).item():.6f}")
