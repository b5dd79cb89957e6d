"""A DCGAN-lite on 8x8 synthetic images: ConvTranspose2d/BatchNorm2d/ReLU generator,
Conv2d/LeakyReLU/BatchNorm2d discriminator, BCELoss, two Adam optimizers and detach()."""

import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim

torch.manual_seed(999)
torch.use_deterministic_algorithms(True)
device = torch.device("cuda:0" if (torch.cuda.is_available()) else "cpu")
rng = np.random.default_rng(1)
nz, ngf, ndf, nc = 8, 8, 8, 1

xs = np.linspace(-1, 1, 8, dtype=np.float32)
blobs = np.exp(-((xs[None, :, None] - rng.uniform(-0.5, 0.5, (64, 1, 1))) ** 2
                 + (xs[None, None, :] - rng.uniform(-0.5, 0.5, (64, 1, 1))) ** 2) * 4)
real_images = torch.tensor(blobs * 2 - 1, dtype=torch.float32).unsqueeze(1)


def weights_init(m):
    classname = m.__class__.__name__
    if classname.find("Conv") != -1:
        nn.init.normal_(m.weight.data, 0.0, 0.02)
    elif classname.find("BatchNorm") != -1:
        nn.init.normal_(m.weight.data, 1.0, 0.02)
        nn.init.constant_(m.bias.data, 0)


class Generator(nn.Module):
    def __init__(self):
        super(Generator, self).__init__()
        self.main = nn.Sequential(
            nn.ConvTranspose2d(nz, ngf * 2, 4, 1, 0, bias=False),
            nn.BatchNorm2d(ngf * 2),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2, nc, 4, 2, 1, bias=False),
            nn.Tanh(),
        )

    def forward(self, input):
        return self.main(input)


class Discriminator(nn.Module):
    def __init__(self):
        super(Discriminator, self).__init__()
        self.main = nn.Sequential(
            nn.Conv2d(nc, ndf, 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 2),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 2, 1, 2, 1, 0, bias=False),
            nn.Sigmoid(),
        )

    def forward(self, input):
        return self.main(input)


netG = Generator().to(device)
netD = Discriminator().to(device)
netG.apply(weights_init)
netD.apply(weights_init)
for net in (netG, netD):  # same start as the other framework
    state = net.state_dict()
    for k, v in state.items():
        if k.endswith("weight") and v.dim() > 1:
            v.copy_(torch.from_numpy(rng.normal(0, 0.1, size=v.shape).astype(np.float32)))
        elif k.endswith("weight"):
            v.copy_(torch.from_numpy(rng.normal(1, 0.02, size=v.shape).astype(np.float32)))
    net.load_state_dict(state)

criterion = nn.BCELoss()
fixed_noise = torch.from_numpy(rng.standard_normal((16, nz, 1, 1)).astype(np.float32))
real_label, fake_label = 1.0, 0.0
optimizerD = optim.Adam(netD.parameters(), lr=0.002, betas=(0.5, 0.999))
optimizerG = optim.Adam(netG.parameters(), lr=0.002, betas=(0.5, 0.999))

losses, G_losses, D_losses = [], [], []
for i in range(8):
    real_cpu = real_images[(i % 4) * 16:(i % 4 + 1) * 16].to(device)
    b_size = real_cpu.size(0)
    # (1) Update D network: maximize log(D(x)) + log(1 - D(G(z)))
    netD.zero_grad()
    label = torch.full((b_size,), real_label, dtype=torch.float, device=device)
    output = netD(real_cpu).view(-1)
    errD_real = criterion(output, label)
    errD_real.backward()
    D_x = output.mean().item()
    noise = torch.from_numpy(rng.standard_normal((b_size, nz, 1, 1)).astype(np.float32))
    fake = netG(noise)
    label.fill_(fake_label)
    output = netD(fake.detach()).view(-1)
    errD_fake = criterion(output, label)
    errD_fake.backward()
    D_G_z1 = output.mean().item()
    errD = errD_real + errD_fake
    optimizerD.step()
    # (2) Update G network: maximize log(D(G(z)))
    netG.zero_grad()
    label.fill_(real_label)
    output = netD(fake).view(-1)
    errG = criterion(output, label)
    errG.backward()
    D_G_z2 = output.mean().item()
    optimizerG.step()
    print("[%d] Loss_D: %.4f Loss_G: %.4f D(x): %.4f D(G(z)): %.4f / %.4f"
          % (i, errD.item(), errG.item(), D_x, D_G_z1, D_G_z2))
    G_losses.append(errG.item())
    D_losses.append(errD.item())
    losses += [errD.item(), errG.item()]

with torch.no_grad():
    fake = netG(fixed_noise).detach().cpu()
netG.eval()
with torch.no_grad():
    fake_eval = netG(fixed_noise)
bn = netD.main[3]
result = [fake.mean().item(), fake.std().item(), fake_eval.abs().mean().item(),
          bn.running_mean.abs().sum().item(), bn.running_var.mean().item(),
          float(bn.num_batches_tracked.item()), list(fake.shape) == [16, 1, 8, 8]]
