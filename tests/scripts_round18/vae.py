"""A variational autoencoder on synthetic binary images: reparameterization trick,
BCE + KL loss, Adam, a DataLoader, evaluation under no_grad and sampling from the prior."""

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

torch.manual_seed(0)
torch.backends.cudnn.deterministic = True
torch.backends.cudnn.benchmark = False
torch.set_float32_matmul_precision("high")
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
rng = np.random.default_rng(0)

prototypes = (rng.random((4, 64)) > 0.5).astype(np.float32)
flips = (rng.random((256, 64)) < 0.05).astype(np.float32)
images = np.abs(prototypes[rng.integers(0, 4, 256)] - flips)
dataset = TensorDataset(torch.from_numpy(images))
loader = DataLoader(dataset, batch_size=64, shuffle=False)


class VAE(nn.Module):
    def __init__(self, input_dim=64, hidden_dim=32, latent_dim=4):
        super(VAE, self).__init__()
        self.fc1 = nn.Linear(input_dim, hidden_dim)
        self.fc21 = nn.Linear(hidden_dim, latent_dim)
        self.fc22 = nn.Linear(hidden_dim, latent_dim)
        self.fc3 = nn.Linear(latent_dim, hidden_dim)
        self.fc4 = nn.Linear(hidden_dim, input_dim)

    def encode(self, x):
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def reparameterize(self, mu, logvar, eps):
        std = torch.exp(0.5 * logvar)
        return mu + eps * std

    def decode(self, z):
        h3 = F.relu(self.fc3(z))
        return torch.sigmoid(self.fc4(h3))

    def forward(self, x, eps):
        mu, logvar = self.encode(x.view(-1, 64))
        z = self.reparameterize(mu, logvar, eps)
        return self.decode(z), mu, logvar


def loss_function(recon_x, x, mu, logvar):
    BCE = F.binary_cross_entropy(recon_x, x.view(-1, 64), reduction="sum")
    KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return BCE + KLD


model = VAE().to(device)
with torch.no_grad():
    for name, p in model.named_parameters():
        p.copy_(torch.from_numpy(rng.normal(0, 0.2, size=p.shape).astype(np.float32)))
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)

losses = []
for epoch in range(1, 4):
    model.train()
    train_loss = 0
    for batch_idx, (data,) in enumerate(loader):
        data = data.to(device)
        eps = torch.from_numpy(rng.standard_normal((data.size(0), 4)).astype(np.float32))
        optimizer.zero_grad()
        recon_batch, mu, logvar = model(data, eps)
        loss = loss_function(recon_batch, data, mu, logvar)
        loss.backward()
        train_loss += loss.item()
        optimizer.step()
        losses.append(loss.item() / len(data))
    print("====> Epoch: {} Average loss: {:.4f}".format(epoch, train_loss / len(loader.dataset)))

model.eval()
test_loss = 0
with torch.no_grad():
    for (data,) in loader:
        recon, mu, logvar = model(data, torch.zeros(data.shape[0], 4))
        test_loss += loss_function(recon, data, mu, logvar).item()
    sample = torch.randn(16, 4).to(device)
    sample = model.decode(sample).cpu()
    assert sample.shape == (16, 64) and sample.min() >= 0 and sample.max() <= 1
    z = torch.randn_like(mu)
    assert z.shape == mu.shape and z.dtype == torch.float32
test_loss /= len(loader.dataset)
recon_error = (recon.round() != data).float().mean().item()
print("====> Test set loss: {:.4f}".format(test_loss))
result = [test_loss, recon_error, mu.abs().mean().item(), logvar.mean().item()]
