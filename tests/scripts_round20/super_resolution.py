"""The PyTorch super-resolution example (ESPCN, Shi et al.): sub-pixel convolution with
nn.PixelShuffle, orthogonal init with calculate_gain, PSNR from MSELoss, a bicubic
F.interpolate baseline, PixelUnshuffle as the inverse, and a checkpoint of the best model."""

import copy
import math

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.nn.init as init
import torch.optim as optim

torch.manual_seed(2)
upscale = 2


class Net(nn.Module):
    def __init__(self, upscale_factor):
        super(Net, self).__init__()
        self.relu = nn.ReLU()
        self.conv1 = nn.Conv2d(1, 16, (5, 5), (1, 1), (2, 2))
        self.conv2 = nn.Conv2d(16, 16, (3, 3), (1, 1), (1, 1))
        self.conv3 = nn.Conv2d(16, 8, (3, 3), (1, 1), (1, 1))
        self.conv4 = nn.Conv2d(8, upscale_factor ** 2, (3, 3), (1, 1), (1, 1))
        self.pixel_shuffle = nn.PixelShuffle(upscale_factor)
        self._initialize_weights()

    def forward(self, x):
        x = self.relu(self.conv1(x))
        x = self.relu(self.conv2(x))
        x = self.relu(self.conv3(x))
        return self.pixel_shuffle(self.conv4(x))

    def _initialize_weights(self):
        init.orthogonal_(self.conv1.weight, init.calculate_gain('relu'))
        init.orthogonal_(self.conv2.weight, init.calculate_gain('relu'))
        init.orthogonal_(self.conv3.weight, init.calculate_gain('relu'))
        init.orthogonal_(self.conv4.weight)


def make_images(n, size=16):
    yy, xx = torch.meshgrid(torch.linspace(-1, 1, size), torch.linspace(-1, 1, size), indexing="ij")
    freq = torch.rand(n, 1, 1) * 3 + 1
    phase = torch.rand(n, 1, 1) * math.pi
    hr = 0.5 + 0.5 * torch.sin(freq * (xx + yy) * math.pi + phase) * torch.exp(-(xx ** 2 + yy ** 2))
    return hr.unsqueeze(1)


hr_train, hr_test = make_images(24), make_images(8)
lr_train = F.avg_pool2d(hr_train, upscale)
lr_test = F.avg_pool2d(hr_test, upscale)
model = Net(upscale)
criterion = nn.MSELoss()
optimizer = optim.Adam(model.parameters(), lr=2e-3)
losses, best_psnr, best_state = [], 0.0, None
for epoch in range(1, 6):
    epoch_loss = 0
    for i in range(0, 24, 8):
        inp, target = lr_train[i:i + 8], hr_train[i:i + 8]
        optimizer.zero_grad()
        loss = criterion(model(inp), target)
        epoch_loss += loss.item()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    avg_psnr = 0
    with torch.no_grad():
        for i in range(0, 8, 4):
            prediction = model(lr_test[i:i + 4])
            mse = criterion(prediction, hr_test[i:i + 4])
            avg_psnr += 10 * math.log10(1 / mse.item())
    avg_psnr /= 2
    if avg_psnr > best_psnr:
        best_psnr, best_state = avg_psnr, copy.deepcopy(model.state_dict())
    print(f"===> Epoch {epoch}: Avg. Loss: {epoch_loss / 3:.4f}  Avg. PSNR: {avg_psnr:.2f} dB")

model.load_state_dict(best_state)
with torch.no_grad():
    sr = model(lr_test).clamp(0, 1)
    bicubic = F.interpolate(lr_test, scale_factor=upscale, mode="bicubic", align_corners=False).clamp(0, 1)
    bilinear = F.interpolate(lr_test, size=(16, 16), mode="bilinear", align_corners=True)
    psnr_sr = 10 * torch.log10(1 / F.mse_loss(sr, hr_test))
    psnr_bicubic = 10 * torch.log10(1 / F.mse_loss(bicubic, hr_test))
    features = model.conv4(model.relu(model.conv3(model.relu(model.conv2(model.relu(model.conv1(lr_test)))))))
    round_trip = torch.equal(nn.PixelUnshuffle(upscale)(model.pixel_shuffle(features)), features)
    shuffled = F.pixel_shuffle(torch.arange(16.).view(1, 4, 2, 2), 2)
print(shuffled[0, 0].tolist(), round_trip)
result = [psnr_sr.item(), psnr_bicubic.item(), bilinear.mean().item(), best_psnr, float(round_trip)]
