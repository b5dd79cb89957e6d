"""A categorical VAE with the Gumbel-softmax trick (Jang et al., as in the popular PyTorch
gist): F.gumbel_softmax(hard=True) straight-through latents, a temperature annealed with
exp decay, BCE-with-logits reconstruction and the KL to a uniform categorical prior written
with log_softmax; then generation from one-hot codes built with F.one_hot."""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(21)
latent_dim, categorical_dim, image = 4, 5, 16


class VAE_gumbel(nn.Module):
    def __init__(self, temp):
        super(VAE_gumbel, self).__init__()
        self.fc1 = nn.Linear(image, 32)
        self.fc2 = nn.Linear(32, latent_dim * categorical_dim)
        self.fc3 = nn.Linear(latent_dim * categorical_dim, 32)
        self.fc4 = nn.Linear(32, image)
        self.relu = nn.ReLU()
        self.temp = temp

    def encode(self, x):
        return self.fc2(self.relu(self.fc1(x)))

    def decode(self, z):
        return self.fc4(self.relu(self.fc3(z)))

    def forward(self, x, temp, hard):
        q = self.encode(x.view(-1, image))
        q_y = q.view(q.size(0), latent_dim, categorical_dim)
        z = F.gumbel_softmax(q_y, tau=temp, hard=hard)
        return self.decode(z.view(-1, latent_dim * categorical_dim)), F.softmax(q_y, dim=-1).reshape(*q.size())


def loss_function(recon_logits, x, qy):
    bce = F.binary_cross_entropy_with_logits(recon_logits, x.view(-1, image), reduction="sum") / x.shape[0]
    log_ratio = torch.log(qy * categorical_dim + 1e-20)
    kld = torch.sum(qy * log_ratio, dim=-1).mean()
    return bce + kld


prototypes = (torch.rand(6, image) > 0.5).float()
data = prototypes[torch.randint(0, 6, (120,))]
data = torch.where(torch.rand_like(data) < 0.05, 1 - data, data)
model = VAE_gumbel(1.0)
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
temp, temp_min, anneal_rate = 1.0, 0.5, 0.03
losses = []
for epoch in range(1, 7):
    model.train()
    train_loss = 0
    for batch_idx, x in enumerate(data.split(30)):
        optimizer.zero_grad()
        recon_batch, qy = model(x, temp, hard=True)
        loss = loss_function(recon_batch, x, qy)
        loss.backward()
        train_loss += loss.item() * len(x)
        optimizer.step()
        losses.append(loss.item())
    temp = max(temp * math.exp(-anneal_rate * epoch), temp_min)
    print('====> Epoch: {} Average loss: {:.4f} temp {:.3f}'.format(epoch, train_loss / len(data), temp))

model.eval()
with torch.no_grad():
    codes = torch.randint(0, categorical_dim, (8, latent_dim))
    z = F.one_hot(codes, num_classes=categorical_dim).float().view(8, -1)
    samples = torch.sigmoid(model.decode(z))
    q = model.encode(data).view(-1, latent_dim, categorical_dim)
    soft = F.gumbel_softmax(q, tau=0.5, hard=False)
    hard = F.gumbel_softmax(q, tau=0.5, hard=True)
    code_usage = torch.bincount(q.argmax(-1).flatten(), minlength=categorical_dim)
print("one-hot rows:", bool((hard.sum(-1) == 1).all()), "soft sums:", round(soft.sum(-1).mean().item(), 5))
print("code usage", code_usage.tolist())
result = [samples.mean().item(), soft.max(-1).values.mean().item(), *code_usage.tolist(), temp]
