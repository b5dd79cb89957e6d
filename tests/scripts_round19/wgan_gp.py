"""WGAN-GP (Gulrajani et al.) on a 2-D ring of Gaussians: critic without normalisation,
gradient penalty from autograd.grad(create_graph=True) on random interpolates, n_critic
critic steps per generator step, Adam with betas (0.5, 0.9); then a weight-clipped WGAN
critic step with RMSprop."""

import numpy as np
import torch
import torch.autograd as autograd
import torch.nn as nn

torch.manual_seed(4)
rng = np.random.default_rng(4)
latent_dim, lambda_gp, n_critic = 2, 10.0, 3
angles = rng.integers(0, 8, 256) * (2 * np.pi / 8)
real_data = np.stack([np.cos(angles), np.sin(angles)], 1) * 2 + rng.normal(0, 0.05, (256, 2))
real_data = torch.tensor(real_data, dtype=torch.float32)

generator = nn.Sequential(nn.Linear(latent_dim, 32), nn.ReLU(True), nn.Linear(32, 32),
                          nn.ReLU(True), nn.Linear(32, 2))
discriminator = nn.Sequential(nn.Linear(2, 32), nn.LeakyReLU(0.2, inplace=True),
                              nn.Linear(32, 32), nn.LeakyReLU(0.2, inplace=True), nn.Linear(32, 1))
for net in (generator, discriminator):
    for p in net.parameters():
        p.data.copy_(torch.from_numpy(rng.normal(0, 0.3, tuple(p.shape)).astype(np.float32)))
Tensor = torch.FloatTensor


def compute_gradient_penalty(D, real_samples, fake_samples):
    alpha = Tensor(rng.random((real_samples.size(0), 1)).astype(np.float32))
    interpolates = (alpha * real_samples + ((1 - alpha) * fake_samples)).requires_grad_(True)
    d_interpolates = D(interpolates)
    fake = torch.ones(real_samples.shape[0], 1, requires_grad=False)
    gradients = autograd.grad(outputs=d_interpolates, inputs=interpolates, grad_outputs=fake,
                              create_graph=True, retain_graph=True, only_inputs=True)[0]
    gradients = gradients.view(gradients.size(0), -1)
    return ((gradients.norm(2, dim=1) - 1) ** 2).mean()


optimizer_G = torch.optim.Adam(generator.parameters(), lr=1e-3, betas=(0.5, 0.9))
optimizer_D = torch.optim.Adam(discriminator.parameters(), lr=1e-3, betas=(0.5, 0.9))
losses = []
for i in range(12):
    real_imgs = real_data[i * 16:(i + 1) * 16]
    optimizer_D.zero_grad()
    z = Tensor(rng.normal(0, 1, (real_imgs.shape[0], latent_dim)).astype(np.float32))
    fake_imgs = generator(z)
    real_validity = discriminator(real_imgs)
    fake_validity = discriminator(fake_imgs)
    gradient_penalty = compute_gradient_penalty(discriminator, real_imgs.data, fake_imgs.data)
    d_loss = -torch.mean(real_validity) + torch.mean(fake_validity) + lambda_gp * gradient_penalty
    d_loss.backward()
    optimizer_D.step()
    optimizer_G.zero_grad()
    losses.append(d_loss.item())
    if i % n_critic == 0:
        fake_imgs = generator(z)
        g_loss = -torch.mean(discriminator(fake_imgs))
        g_loss.backward()
        optimizer_G.step()
        losses.append(g_loss.item())

clip_value = 0.05
optimizer_RMS = torch.optim.RMSprop(discriminator.parameters(), lr=5e-4)
for _ in range(3):
    optimizer_RMS.zero_grad()
    z = Tensor(rng.normal(0, 1, (16, latent_dim)).astype(np.float32))
    loss_D = -torch.mean(discriminator(real_data[:16])) + torch.mean(discriminator(generator(z).detach()))
    loss_D.backward()
    optimizer_RMS.step()
    for p in discriminator.parameters():
        p.data.clamp_(-clip_value, clip_value)
    losses.append(loss_D.item())
with torch.no_grad():
    samples = generator(torch.zeros(4, latent_dim))
result = [samples.norm(dim=1).mean().item(), max(p.abs().max().item() for p in discriminator.parameters())]
