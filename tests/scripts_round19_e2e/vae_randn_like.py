"""A VAE whose reparameterisation draws with torch.randn_like; sampling with torch.randn."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(5)
torch.set_num_threads(1)


class VAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.Sequential(nn.Linear(12, 16), nn.ReLU())
        self.mu = nn.Linear(16, 3)
        self.logvar = nn.Linear(16, 3)
        self.dec = nn.Sequential(nn.Linear(3, 16), nn.ReLU(), nn.Linear(16, 12))

    def forward(self, x):
        h = self.enc(x)
        mu, logvar = self.mu(h), self.logvar(h)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        return self.dec(z), mu, logvar


data = torch.sigmoid(torch.randn(64, 12) * 2)
model = VAE()
opt = torch.optim.Adam(model.parameters(), lr=5e-3)
for epoch in range(3):
    for start in range(0, 64, 16):
        x = data[start:start + 16]
        recon, mu, logvar = model(x)
        bce = F.binary_cross_entropy_with_logits(recon, x, reduction="sum")
        kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
        loss = (bce + kld) / x.shape[0]
        opt.zero_grad()
        loss.backward()
        opt.step()
        print(f"epoch {epoch} batch {start // 16} loss {loss.item():.5f}")
with torch.no_grad():
    samples = torch.sigmoid(model.dec(torch.randn(4, 3)))
    print("samples", [f"{v:.5f}" for v in samples.mean(1).tolist()])
