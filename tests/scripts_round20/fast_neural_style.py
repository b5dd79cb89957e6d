"""The fast-neural-style transformer network (Johnson et al., as in pytorch/examples):
ReflectionPad2d convolutions, InstanceNorm2d(affine=True), residual blocks, nearest
nn.Upsample; trained against a frozen "VGG" feature extractor with a content loss and a
style loss on Gram matrices (bmm), plus total-variation regularisation."""

import torch
import torch.nn as nn

torch.manual_seed(3)


class ConvLayer(nn.Module):
    def __init__(self, in_channels, out_channels, kernel_size, stride):
        super().__init__()
        self.reflection_pad = nn.ReflectionPad2d(kernel_size // 2)
        self.conv2d = nn.Conv2d(in_channels, out_channels, kernel_size, stride)

    def forward(self, x):
        return self.conv2d(self.reflection_pad(x))


class ResidualBlock(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.conv1 = ConvLayer(channels, channels, 3, 1)
        self.in1 = nn.InstanceNorm2d(channels, affine=True)
        self.conv2 = ConvLayer(channels, channels, 3, 1)
        self.in2 = nn.InstanceNorm2d(channels, affine=True)
        self.relu = nn.ReLU()

    def forward(self, x):
        residual = x
        out = self.relu(self.in1(self.conv1(x)))
        return self.in2(self.conv2(out)) + residual


class UpsampleConvLayer(nn.Module):
    def __init__(self, in_channels, out_channels, kernel_size, stride, upsample=None):
        super().__init__()
        self.upsample = upsample
        self.reflection_pad = nn.ReflectionPad2d(kernel_size // 2)
        self.conv2d = nn.Conv2d(in_channels, out_channels, kernel_size, stride)

    def forward(self, x):
        if self.upsample:
            x = nn.functional.interpolate(x, mode='nearest', scale_factor=self.upsample)
        return self.conv2d(self.reflection_pad(x))


class TransformerNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = ConvLayer(3, 8, kernel_size=5, stride=1)
        self.in1 = nn.InstanceNorm2d(8, affine=True)
        self.conv2 = ConvLayer(8, 16, kernel_size=3, stride=2)
        self.in2 = nn.InstanceNorm2d(16, affine=True)
        self.res1 = ResidualBlock(16)
        self.res2 = ResidualBlock(16)
        self.deconv1 = UpsampleConvLayer(16, 8, kernel_size=3, stride=1, upsample=2)
        self.in4 = nn.InstanceNorm2d(8, affine=True)
        self.up = nn.Sequential(nn.Upsample(scale_factor=1, mode="nearest"), nn.ReplicationPad2d(1))
        self.deconv3 = ConvLayer(8, 3, kernel_size=3, stride=1)
        self.relu = nn.ReLU()

    def forward(self, X):
        y = self.relu(self.in1(self.conv1(X)))
        y = self.relu(self.in2(self.conv2(y)))
        y = self.res2(self.res1(y))
        y = self.relu(self.in4(self.deconv1(y)))
        return self.deconv3(self.up(y)[:, :, 1:-1, 1:-1])


def gram_matrix(y):
    (b, ch, h, w) = y.size()
    features = y.view(b, ch, w * h)
    return features.bmm(features.transpose(1, 2)) / (ch * h * w)


vgg = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                    nn.Conv2d(8, 12, 3, padding=1), nn.ReLU())
for p in vgg.parameters():
    p.requires_grad_(False)
vgg.eval()
content = torch.rand(4, 3, 16, 16)
style = torch.rand(1, 3, 16, 16).pow(2)
with torch.no_grad():
    gram_style = [gram_matrix(vgg[:2](style)), gram_matrix(vgg(style))]
transformer = TransformerNet()
optimizer = torch.optim.Adam(transformer.parameters(), 1e-3)
mse_loss = torch.nn.MSELoss()
content_weight, style_weight, tv_weight = 1.0, 50.0, 1e-3
losses = []
for step in range(8):
    optimizer.zero_grad()
    y = transformer(content)
    features_y, features_x = vgg(y), vgg(content)
    content_loss = content_weight * mse_loss(features_y, features_x)
    style_loss = 0.
    for ft_y, gm_s in zip([vgg[:2](y), features_y], gram_style):
        gm_y = gram_matrix(ft_y)
        style_loss += mse_loss(gm_y, gm_s[:4].expand(y.size(0), -1, -1))
    style_loss *= style_weight
    tv = torch.sum(torch.abs(y[:, :, :, :-1] - y[:, :, :, 1:])) + torch.sum(torch.abs(y[:, :, :-1, :] - y[:, :, 1:, :]))
    total_loss = content_loss + style_loss + tv_weight * tv / y.numel()
    total_loss.backward()
    optimizer.step()
    losses.append(total_loss.item())
    if step % 3 == 0:
        print(f"step {step}: content {content_loss.item():.4f} style {style_loss.item():.4f} total {total_loss.item():.4f}")

transformer.eval()
with torch.no_grad():
    out = transformer(content[:1]).clamp(0, 255)
print(tuple(out.shape), transformer.in1)
result = [out.mean().item(), out.std().item(), transformer.in1.weight.sum().item()]
