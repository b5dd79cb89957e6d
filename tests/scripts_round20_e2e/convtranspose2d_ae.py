"""A small conv autoencoder: Conv2d down, ConvTranspose2d up, RMSprop with StepLR."""
import torch
import torch.nn as nn

torch.manual_seed(21)
torch.set_num_threads(1)


class AutoEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.enc = nn.Sequential(nn.Conv2d(1, 4, 3, stride=2, padding=1), nn.Tanh(),
                                 nn.Conv2d(4, 6, 3, stride=2, padding=1), nn.Tanh())
        self.dec = nn.Sequential(
            nn.ConvTranspose2d(6, 4, 3, stride=2, padding=1, output_padding=1), nn.Tanh(),
            nn.ConvTranspose2d(4, 1, 4, stride=2, padding=1), nn.Sigmoid())

    def forward(self, x):
        return self.dec(self.enc(x))


model = AutoEncoder()
print("dec weight", model.dec[0].weight[:1, :2, 0])
print("dec bias", model.dec[2].bias)
opt = torch.optim.RMSprop(model.parameters(), lr=3e-3, momentum=0.5, alpha=0.9)
sched = torch.optim.lr_scheduler.StepLR(opt, step_size=4, gamma=0.5)
images = (torch.rand(12, 1, 8, 8) > 0.6).float()

for step in range(12):
    noisy = (images + 0.2 * torch.randn_like(images)).clamp(0, 1)
    recon = model(noisy)
    loss = nn.functional.binary_cross_entropy(recon, images)
    opt.zero_grad()
    loss.backward()
    opt.step()
    sched.step()
    print(f"step {step} loss {loss.item():.6f}")
with torch.no_grad():
    print(model(images[:1])[0, 0, :2, :4])
