"""A self-normalising net (SELU + AlphaDropout), RReLU and FeatureAlphaDropout, trained."""
import torch
import torch.nn as nn

torch.manual_seed(8)
torch.set_num_threads(1)

net = nn.Sequential(
    nn.Linear(6, 16), nn.SELU(), nn.AlphaDropout(0.2),
    nn.Linear(16, 16), nn.RReLU(0.1, 0.3), nn.Dropout(0.1),
    nn.Linear(16, 1),
)
conv = nn.Sequential(nn.Conv1d(2, 4, 3), nn.RReLU(), nn.FeatureAlphaDropout(0.3))
X = torch.randn(50, 6)
y = (X ** 2).sum(1, keepdim=True) / 6
signal = torch.randn(10, 2, 8)
params = list(net.parameters()) + list(conv.parameters())
opt = torch.optim.Adam(params, lr=1e-2)
for step in range(12):
    idx = torch.randint(0, 50, (16,))
    loss = nn.functional.mse_loss(net(X[idx]), y[idx]) + conv(signal).pow(2).mean() * 0.01
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(f"step {step} loss {loss.item():.6f}")
net.eval()
with torch.no_grad():
    print("eval", f"{nn.functional.mse_loss(net(X), y).item():.6f}")
    slopes = nn.functional.rrelu(-torch.ones(5), training=True)
    print("rrelu fn", [f"{v:.5f}" for v in slopes.tolist()])
