"""Neural style transfer (Gatys et al.) on a tiny random CNN: content and style losses from
forward features, Gram matrices, the input image optimized in place with LBFGS and a closure,
clamp_ under no_grad as in the PyTorch tutorial."""

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

torch.manual_seed(0)
rng = np.random.default_rng(7)
imsize = 12


def gram_matrix(input):
    a, b, c, d = input.size()
    features = input.view(a * b, c * d)
    G = torch.mm(features, features.t())
    return G.div(a * b * c * d)


class ContentLoss(nn.Module):
    def __init__(self, target):
        super(ContentLoss, self).__init__()
        self.target = target.detach()

    def forward(self, input):
        self.loss = F.mse_loss(input, self.target)
        return input


class StyleLoss(nn.Module):
    def __init__(self, target_feature):
        super(StyleLoss, self).__init__()
        self.target = gram_matrix(target_feature).detach()

    def forward(self, input):
        G = gram_matrix(input)
        self.loss = F.mse_loss(G, self.target)
        return input


class Normalization(nn.Module):
    def __init__(self, mean, std):
        super(Normalization, self).__init__()
        self.mean = torch.tensor(mean).view(-1, 1, 1)
        self.std = torch.tensor(std).view(-1, 1, 1)

    def forward(self, img):
        return (img - self.mean) / self.std


cnn = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(inplace=False),
                    nn.Conv2d(8, 8, 3, padding=1), nn.ReLU(inplace=False),
                    nn.MaxPool2d(2), nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(inplace=False))
with torch.no_grad():
    for p in cnn.parameters():
        p.copy_(torch.from_numpy(rng.normal(0, 0.3, tuple(p.shape)).astype(np.float32)))
cnn = cnn.eval().requires_grad_(False)

style_img = torch.from_numpy(rng.uniform(0, 1, (1, 3, imsize, imsize)).astype(np.float32))
content_img = torch.from_numpy(rng.uniform(0, 1, (1, 3, imsize, imsize)).astype(np.float32))
norm = Normalization([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])

model = nn.Sequential(norm)
content_losses, style_losses = [], []
i = 0
for layer in cnn.children():
    if isinstance(layer, nn.Conv2d):
        i += 1
        name = "conv_{}".format(i)
    elif isinstance(layer, nn.ReLU):
        name = "relu_{}".format(i)
    elif isinstance(layer, nn.MaxPool2d):
        name = "pool_{}".format(i)
    model.add_module(name, layer)
    if name == "conv_2":
        target = model(content_img).detach()
        content_loss = ContentLoss(target)
        model.add_module("content_loss_{}".format(i), content_loss)
        content_losses.append(content_loss)
    if name in ("conv_1", "conv_2", "conv_3"):
        target_feature = model(style_img).detach()
        style_loss = StyleLoss(target_feature)
        model.add_module("style_loss_{}".format(i), style_loss)
        style_losses.append(style_loss)

input_img = content_img.clone()
input_img.requires_grad_(True)
optimizer = optim.LBFGS([input_img], max_iter=6)
style_weight, content_weight = 1000, 1
losses = []
run = [0]
while run[0] <= 8:
    def closure():
        with torch.no_grad():
            input_img.clamp_(0, 1)
        optimizer.zero_grad()
        model(input_img)
        style_score = sum(sl.loss for sl in style_losses) * style_weight
        content_score = sum(cl.loss for cl in content_losses) * content_weight
        loss = style_score + content_score
        loss.backward()
        run[0] += 1
        losses.append(loss.item())
        return style_score + content_score
    optimizer.step(closure)
with torch.no_grad():
    input_img.clamp_(0, 1)
names = [n for n, _ in model.named_children()]
result = [input_img.mean().item(), input_img.std().item(), len(names), run[0]]
