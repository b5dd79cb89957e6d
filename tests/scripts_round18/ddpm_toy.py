"""A toy DDPM on 2-D points: a linear beta schedule with torch.linspace/cumprod, q_sample
with gather-by-timestep (extract), a sinusoidal time embedding, an MLP noise predictor
trained with MSE (timesteps and noise from NumPy so both runs match), an EMA copy of the
weights via copy.deepcopy and torch._foreach_lerp_-free in-place updates, and ancestral
sampling under torch.no_grad."""

import copy
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
rng = np.random.default_rng(18)
T = 50
betas = torch.linspace(1e-4, 0.2, T, dtype=torch.float64).float()
alphas = 1.0 - betas
alphas_cumprod = torch.cumprod(alphas, dim=0)
alphas_cumprod_prev = F.pad(alphas_cumprod[:-1], (1, 0), value=1.0)
sqrt_alphas_cumprod = torch.sqrt(alphas_cumprod)
sqrt_one_minus_alphas_cumprod = torch.sqrt(1.0 - alphas_cumprod)
posterior_variance = betas * (1.0 - alphas_cumprod_prev) / (1.0 - alphas_cumprod)
angles = rng.uniform(0, 2 * np.pi, 256)
data = torch.from_numpy(np.stack([np.cos(angles), np.sin(angles)], 1).astype(np.float32))


def extract(a, t, x_shape):
    batch_size = t.shape[0]
    out = a.gather(-1, t.cpu())
    return out.reshape(batch_size, *((1,) * (len(x_shape) - 1))).to(t.device)


class SinusoidalPositionEmbeddings(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.dim = dim

    def forward(self, time):
        half_dim = self.dim // 2
        embeddings = math.log(10000) / (half_dim - 1)
        embeddings = torch.exp(torch.arange(half_dim, device=time.device) * -embeddings)
        embeddings = time[:, None] * embeddings[None, :]
        return torch.cat((embeddings.sin(), embeddings.cos()), dim=-1)


class Denoiser(nn.Module):
    def __init__(self, dim=32):
        super().__init__()
        self.time_mlp = nn.Sequential(SinusoidalPositionEmbeddings(16), nn.Linear(16, dim), nn.SiLU())
        self.inp = nn.Linear(2, dim)
        self.net = nn.Sequential(nn.SiLU(), nn.Linear(dim, dim), nn.Mish(), nn.Linear(dim, 2))

    def forward(self, x, t):
        return self.net(self.inp(x) + self.time_mlp(t.float()))


model = Denoiser()
with torch.no_grad():
    for p in model.parameters():
        p.copy_(torch.from_numpy(rng.normal(0, 0.25, tuple(p.shape)).astype(np.float32)))
ema = copy.deepcopy(model).eval()
ema.requires_grad_(False)
optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.0)

losses = []
for step in range(40):
    x_start = data[(step % 8) * 32:(step % 8 + 1) * 32]
    t = torch.from_numpy(rng.integers(0, T, x_start.shape[0]))
    noise = torch.from_numpy(rng.standard_normal(x_start.shape).astype(np.float32))
    x_noisy = extract(sqrt_alphas_cumprod, t, x_start.shape) * x_start + \
        extract(sqrt_one_minus_alphas_cumprod, t, x_start.shape) * noise
    loss = F.mse_loss(model(x_noisy, t), noise)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    with torch.no_grad():
        for ema_p, p in zip(ema.parameters(), model.parameters()):
            ema_p.mul_(0.9).add_(p, alpha=0.1)
    losses.append(loss.item())


@torch.no_grad()
def p_sample_loop(net, shape):
    img = torch.from_numpy(rng.standard_normal(shape).astype(np.float32))
    for i in reversed(range(0, T)):
        t = torch.full((shape[0],), i, dtype=torch.long)
        betas_t = extract(betas, t, img.shape)
        model_mean = (1 / extract(alphas, t, img.shape).sqrt()) * (
            img - betas_t * net(img, t) / extract(sqrt_one_minus_alphas_cumprod, t, img.shape))
        if i == 0:
            img = model_mean
        else:
            noise = torch.from_numpy(rng.standard_normal(shape).astype(np.float32))
            img = model_mean + torch.sqrt(extract(posterior_variance, t, img.shape)) * noise
    return img


samples = p_sample_loop(ema, (64, 2))
radius = samples.norm(dim=1)
result = [radius.mean().item(), radius.std().item(), alphas_cumprod[-1].item(),
          posterior_variance[1:].mean().item()]
