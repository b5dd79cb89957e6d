"""A denoising autoencoder with tied weights (the decoder uses the encoder's weight
transposed through F.linear(h, W.t())), a sparsity penalty (KL to a target activation),
gradient clipping by norm and by value with the norm printed, a custom extra_repr, weight
inspection with named_parameters and the gradients' global norm computed by hand."""

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(17)


class TiedAutoencoder(nn.Module):
    def __init__(self, n_in, n_hidden):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_hidden, n_in))
        self.enc_bias = nn.Parameter(torch.zeros(n_hidden))
        self.dec_bias = nn.Parameter(torch.zeros(n_in))
        nn.init.xavier_uniform_(self.weight)
        self.n_in, self.n_hidden = n_in, n_hidden

    def extra_repr(self):
        return f"n_in={self.n_in}, n_hidden={self.n_hidden}, tied=True"

    def encode(self, x):
        return torch.sigmoid(F.linear(x, self.weight, self.enc_bias))

    def forward(self, x):
        h = self.encode(x)
        return torch.sigmoid(F.linear(h, self.weight.t(), self.dec_bias)), h


def kl_sparsity(rho, rho_hat):
    rho_hat = rho_hat.clamp(1e-6, 1 - 1e-6)
    return (rho * torch.log(rho / rho_hat) + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat))).sum()


# binary 6x6 "strokes": a random horizontal or vertical bar per image
images = torch.zeros(200, 6, 6)
for i in range(200):
    k = torch.randint(0, 6, (1,)).item()
    if torch.rand(1).item() < 0.5:
        images[i, k, :] = 1
    else:
        images[i, :, k] = 1
data = images.view(200, -1)
model = TiedAutoencoder(36, 12)
print(model)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
losses, norms = [], []
for epoch in range(6):
    for batch in data.split(40):
        noisy = batch * (torch.rand_like(batch) > 0.2).float()
        recon, h = model(noisy)
        loss = F.binary_cross_entropy(recon, batch) + 1e-2 * kl_sparsity(torch.tensor(0.1), h.mean(0))
        optimizer.zero_grad()
        loss.backward()
        manual = torch.sqrt(sum((p.grad.detach() ** 2).sum() for p in model.parameters()))
        total_norm = nn.utils.clip_grad_norm_(model.parameters(), max_norm=0.5, norm_type=2.0)
        assert torch.allclose(manual, total_norm)
        nn.utils.clip_grad_value_(model.parameters(), clip_value=0.05)
        assert all(p.grad.abs().max() <= 0.05 + 1e-7 for p in model.parameters())
        optimizer.step()
        losses.append(loss.item())
        norms.append(total_norm.item())
    print(f"epoch {epoch} loss {sum(losses[-5:]) / 5:.4f} grad norm {norms[-1]:.4f}")

with torch.no_grad():
    recon, h = model(data)
    err = F.binary_cross_entropy(recon, data, reduction="none").sum(1)
    bits = (recon > 0.5).float()
    exact = (bits == data).all(dim=1).float().mean().item()
    mean_activation = h.mean().item()
    inf_norm = nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0, norm_type="inf")
print([name for name, _ in model.named_parameters()], tuple(model.weight.t().shape))
print(f"exact reconstructions {exact:.3f} mean activation {mean_activation:.3f}")
result = [err.mean().item(), exact, mean_activation, inf_norm.item(), model.weight.norm().item()]
