"""A denoising diffusion model on 2-D points (the "diffusion from scratch" blog post):
a cosine noise schedule from torch.linspace + torch.cumprod, sinusoidal time embeddings,
epsilon-prediction training, then deterministic DDIM sampling (eta=0) and stochastic DDPM
ancestral sampling under torch.no_grad() / torch.inference_mode()."""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(15)
T = 50


def cosine_beta_schedule(timesteps, s=0.008):
    steps = timesteps + 1
    x = torch.linspace(0, timesteps, steps, dtype=torch.float64)
    alphas_cumprod = torch.cos(((x / timesteps) + s) / (1 + s) * math.pi * 0.5) ** 2
    alphas_cumprod = alphas_cumprod / alphas_cumprod[0]
    betas = 1 - (alphas_cumprod[1:] / alphas_cumprod[:-1])
    return torch.clip(betas, 0.0001, 0.9999).float()


betas = cosine_beta_schedule(T)
alphas = 1.0 - betas
alphas_cumprod = torch.cumprod(alphas, dim=0)
alphas_cumprod_prev = F.pad(alphas_cumprod[:-1], (1, 0), value=1.0)
sqrt_ab, sqrt_1m_ab = alphas_cumprod.sqrt(), (1.0 - alphas_cumprod).sqrt()
posterior_variance = betas * (1.0 - alphas_cumprod_prev) / (1.0 - alphas_cumprod)


def extract(a, t, x_shape):
    out = a.gather(-1, t)
    return out.reshape(t.shape[0], *((1,) * (len(x_shape) - 1)))


class SinusoidalPositionEmbeddings(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.dim = dim

    def forward(self, time):
        half_dim = self.dim // 2
        embeddings = math.log(10000) / (half_dim - 1)
        embeddings = torch.exp(torch.arange(half_dim) * -embeddings)
        embeddings = time[:, None] * embeddings[None, :]
        return torch.cat((embeddings.sin(), embeddings.cos()), dim=-1)


class Denoiser(nn.Module):
    def __init__(self, dim=64):
        super().__init__()
        self.time_mlp = nn.Sequential(SinusoidalPositionEmbeddings(16), nn.Linear(16, dim), nn.Mish())
        self.inp = nn.Linear(2, dim)
        self.net = nn.Sequential(nn.SiLU(), nn.Linear(dim, dim), nn.SiLU(), nn.Linear(dim, 2))

    def forward(self, x, t):
        return self.net(self.inp(x) + self.time_mlp(t))


angles = torch.rand(512) * 2 * math.pi
data = torch.stack([angles.cos(), angles.sin()], dim=1) * 2 + 0.05 * torch.randn(512, 2)
model = Denoiser()
optimizer = torch.optim.AdamW(model.parameters(), lr=2e-3)
losses = []
for step in range(40):
    x0 = data[torch.randint(0, 512, (128,))]
    t = torch.randint(0, T, (128,), dtype=torch.long)
    noise = torch.randn_like(x0)
    x_noisy = extract(sqrt_ab, t, x0.shape) * x0 + extract(sqrt_1m_ab, t, x0.shape) * noise
    loss = F.smooth_l1_loss(model(x_noisy, t.float()), noise)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    losses.append(loss.item())
    if step % 10 == 0:
        print(f"step {step:2d} loss {loss.item():.4f}")


@torch.no_grad()
def ddim_sample(n, steps=10, eta=0.0):
    times = torch.linspace(T - 1, 0, steps).long()
    x = torch.randn(n, 2)
    for i, t in enumerate(times):
        t_batch = torch.full((n,), t.item(), dtype=torch.long)
        eps = model(x, t_batch.float())
        a_t = alphas_cumprod[t]
        a_prev = alphas_cumprod[times[i + 1]] if i + 1 < len(times) else torch.tensor(1.0)
        x0_pred = ((x - (1 - a_t).sqrt() * eps) / a_t.sqrt()).clamp(-3, 3)
        sigma = eta * ((1 - a_prev) / (1 - a_t) * (1 - a_t / a_prev)).sqrt()
        x = a_prev.sqrt() * x0_pred + (1 - a_prev - sigma ** 2).sqrt() * eps + sigma * torch.randn_like(x)
    return x


@torch.inference_mode()
def ddpm_sample(n):
    x = torch.randn(n, 2)
    for i in reversed(range(T)):
        t = torch.full((n,), i, dtype=torch.long)
        mean = (x - betas[i] / sqrt_1m_ab[i] * model(x, t.float())) / alphas[i].sqrt()
        x = mean + (posterior_variance[i].sqrt() * torch.randn_like(x) if i > 0 else 0)
    return x


ddim = ddim_sample(256)
ddpm = ddpm_sample(256)
radius_ddim, radius_ddpm = ddim.norm(dim=1).mean().item(), ddpm.norm(dim=1).mean().item()
print(f"mean radius ddim {radius_ddim:.3f} ddpm {radius_ddpm:.3f}", ddpm.requires_grad, ddpm.is_inference())
print("schedule", [round(v, 4) for v in betas[[0, T // 2, T - 1]].tolist()], alphas_cumprod.dtype == torch.float32)
result = [radius_ddim, radius_ddpm, ddim.std().item(), alphas_cumprod[-1].item(), posterior_variance[1:].sum().item()]
