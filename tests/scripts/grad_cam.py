"""Train a small CNN, then explain it: Grad-CAM with a forward hook (activations) and a full
backward hook (their gradients) on the last convolution, guided backpropagation with
backward hooks that clamp the ReLUs' grad_input, and integrated gradients with
torch.autograd.grad."""

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

rng = np.random.default_rng(20)


class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 6, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                      nn.Conv2d(6, 8, 3, padding=1), nn.ReLU())
        self.pool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(8, 2)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.features(x)), 1))


model = CNN()
model.load_state_dict({k: torch.tensor(rng.normal(0, 0.4, size=tuple(v.shape)),
                                       dtype=torch.float32)
                       for k, v in model.state_dict().items()})
images = torch.from_numpy(rng.random((16, 3, 8, 8)).astype(np.float32))
labels = (images[:, 0, :4].mean((1, 2)) > images[:, 0, 4:].mean((1, 2))).long()
opt = torch.optim.Adam(model.parameters(), lr=0.02)
losses = []
for _ in range(30):
    opt.zero_grad()
    loss = F.cross_entropy(model(images), labels)
    loss.backward()
    opt.step()
    losses.append(loss.item())
model.eval()

activations, gradients = {}, {}


def forward_hook(module, args, output):
    activations["value"] = output


def backward_hook(module, grad_input, grad_output):
    gradients["value"] = grad_output[0]


target = model.features[3]
handles = [target.register_forward_hook(forward_hook),
           target.register_full_backward_hook(backward_hook)]
img = images[:2].clone().requires_grad_(True)
logits = model(img)
score = logits.gather(1, logits.argmax(dim=1).view(-1, 1)).sum()
score.backward()
weights = gradients["value"].mean(dim=(2, 3), keepdim=True)
cam = F.relu((weights * activations["value"]).sum(dim=1, keepdim=True))
cam = F.interpolate(cam, size=(8, 8), mode="bilinear", align_corners=False)
saliency = img.grad.abs().amax(dim=1)
for handle in handles:
    handle.remove()


def guided_relu(module, grad_input, grad_output):
    return (grad_input[0].clamp(min=0.0),)


handles = [m.register_full_backward_hook(guided_relu) for m in model.modules()
           if isinstance(m, nn.ReLU)]
img = images[:1].clone().requires_grad_(True)
model(img)[0, 1].backward()
guided = img.grad.clone()
for handle in handles:
    handle.remove()

baseline = torch.zeros_like(images[:1])
alphas = torch.linspace(0, 1, 9).view(-1, 1, 1, 1)
path = (baseline + alphas * (images[:1] - baseline)).requires_grad_(True)
(grads,) = torch.autograd.grad(model(path)[:, 1].sum(), path)
integrated = (images[:1] - baseline) * grads.mean(0, keepdim=True)
result = (cam.detach().flatten().tolist() + saliency.flatten().tolist()
          + guided.flatten()[:40].tolist() + [integrated.sum().item()])
