"""A tiny NeRF (Mildenhall et al., as in the tiny_nerf notebooks): positional encoding with
sin/cos of powers of two, an MLP with a skip connection, stratified sampling along rays with
torch.linspace + torch.rand, volume rendering with cumprod transmittance (exclusive via
torch.cat of ones), and hierarchical sampling with torch.searchsorted."""

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(14)
L_pos, n_samples, near, far = 4, 16, 2.0, 6.0


def positional_encoding(x, num_freqs=L_pos):
    freqs = 2.0 ** torch.arange(num_freqs, dtype=torch.float32)
    angles = x[..., None] * freqs * torch.pi  # ..., 3, L
    enc = torch.cat([torch.sin(angles), torch.cos(angles)], dim=-1)
    return torch.cat([x, enc.flatten(-2)], dim=-1)


class NeRF(nn.Module):
    def __init__(self, width=32):
        super().__init__()
        d_in = 3 + 3 * 2 * L_pos
        self.block1 = nn.Sequential(nn.Linear(d_in, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU())
        self.block2 = nn.Sequential(nn.Linear(width + d_in, width), nn.ReLU())
        self.sigma = nn.Linear(width, 1)
        self.rgb = nn.Linear(width, 3)

    def forward(self, pts):
        enc = positional_encoding(pts)
        h = self.block2(torch.cat([self.block1(enc), enc], dim=-1))
        return torch.sigmoid(self.rgb(h)), F.relu(self.sigma(h)).squeeze(-1)


def render(model, rays_o, rays_d, perturb=True):
    t = torch.linspace(near, far, n_samples).expand(rays_o.shape[0], n_samples)
    if perturb:
        mids = 0.5 * (t[..., 1:] + t[..., :-1])
        upper = torch.cat([mids, t[..., -1:]], -1)
        lower = torch.cat([t[..., :1], mids], -1)
        t = lower + (upper - lower) * torch.rand(t.shape)
    pts = rays_o[:, None, :] + rays_d[:, None, :] * t[..., :, None]
    rgb, sigma = model(pts)
    deltas = torch.cat([t[..., 1:] - t[..., :-1], torch.full_like(t[..., :1], 1e10)], -1)
    alpha = 1.0 - torch.exp(-sigma * deltas)
    trans = torch.cumprod(torch.cat([torch.ones_like(alpha[..., :1]), 1.0 - alpha + 1e-10], -1), -1)[..., :-1]
    weights = alpha * trans
    return (weights[..., None] * rgb).sum(-2), (weights * t).sum(-1), weights, t


def sample_pdf(bins, weights, n):
    pdf = (weights + 1e-5) / torch.sum(weights + 1e-5, -1, keepdim=True)
    cdf = torch.cat([torch.zeros_like(pdf[..., :1]), torch.cumsum(pdf, -1)], -1)
    u = torch.linspace(0.0, 1.0, n).expand(cdf.shape[0], n).contiguous()
    inds = torch.searchsorted(cdf, u, right=True)
    below = torch.clamp(inds - 1, min=0)
    above = torch.clamp(inds, max=cdf.shape[-1] - 1)
    cdf_g0, cdf_g1 = torch.gather(cdf, 1, below), torch.gather(cdf, 1, above)
    bins_g0, bins_g1 = torch.gather(bins, 1, below), torch.gather(bins, 1, above)
    denom = torch.where(cdf_g1 - cdf_g0 < 1e-5, torch.ones_like(cdf_g0), cdf_g1 - cdf_g0)
    return bins_g0 + (u - cdf_g0) / denom * (bins_g1 - bins_g0)


# synthetic scene: a coloured sphere of radius 1 at the origin, seen from z = -4
n_rays = 64
rays_o = torch.tensor([0.0, 0.0, -4.0]).repeat(n_rays, 1)
xy = torch.rand(n_rays, 2) * 1.6 - 0.8
rays_d = F.normalize(torch.cat([xy * 0.3, torch.ones(n_rays, 1)], -1), dim=-1)
hits = (xy * 0.3).norm(dim=-1) < 0.24
target = torch.where(hits[:, None], torch.tensor([0.9, 0.3, 0.2]), torch.tensor([0.0, 0.0, 0.0]))
model = NeRF()
optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)
losses = []
for it in range(30):
    rgb, depth, weights, t = render(model, rays_o, rays_d)
    loss = F.mse_loss(rgb, target)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    losses.append(loss.item())
    if it % 10 == 0:
        psnr = -10.0 * torch.log10(loss)
        print(f"iter {it:2d} loss {loss.item():.5f} psnr {psnr.item():.2f}")

with torch.no_grad():
    rgb, depth, weights, t = render(model, rays_o, rays_d, perturb=False)
    fine_t = sample_pdf(t, weights[..., :-1], 8)
    fine_sorted, _ = torch.sort(torch.cat([t, fine_t], -1), -1)
print("fine samples", tuple(fine_sorted.shape), bool((fine_sorted[:, 1:] >= fine_sorted[:, :-1]).all()))
result = [F.mse_loss(rgb, target).item(), depth.mean().item(), fine_t.mean().item(), weights.sum(-1).mean().item()]
