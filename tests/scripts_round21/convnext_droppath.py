"""A ConvNeXt-style network shrunk, written as timm writes it: a patchify stem, blocks of a
depthwise 7x7 conv (groups=dim), permute(0, 2, 3, 1) to channels-last for LayerNorm and two
pointwise nn.Linear layers with GELU, a layer-scale gamma, drop_path (stochastic depth) with
x.new_empty(shape).bernoulli_(keep_prob).div_(keep_prob), a LayerNorm2d for downsampling,
DropBlock-style masks from F.max_pool2d over torch.rand, Gaussian noise via randn_like on
conv features, trunc_normal_ init, AdamW with no weight decay on norms and biases, and
a cosine schedule with linear warmup through LambdaLR."""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(31)


def drop_path(x, drop_prob: float = 0., training: bool = False):
    if drop_prob == 0. or not training:
        return x
    keep_prob = 1 - drop_prob
    shape = (x.shape[0],) + (1,) * (x.ndim - 1)
    random_tensor = x.new_empty(shape).bernoulli_(keep_prob)
    if keep_prob > 0.0:
        random_tensor.div_(keep_prob)
    return x * random_tensor


def drop_block(x, drop_prob=0.1, block_size=3):
    gamma = drop_prob / block_size ** 2
    mask = (torch.rand(x.shape[0], *x.shape[2:]) < gamma).float()
    block_mask = 1 - F.max_pool2d(mask[:, None], kernel_size=block_size, stride=1, padding=block_size // 2)
    return x * block_mask * block_mask.numel() / block_mask.sum()


class LayerNorm2d(nn.LayerNorm):
    def forward(self, x):
        x = x.permute(0, 2, 3, 1)
        x = F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)


class Block(nn.Module):
    def __init__(self, dim, drop_path=0., layer_scale_init_value=1e-2):
        super().__init__()
        self.dwconv = nn.Conv2d(dim, dim, kernel_size=7, padding=3, groups=dim)
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.pwconv1 = nn.Linear(dim, 4 * dim)
        self.act = nn.GELU()
        self.pwconv2 = nn.Linear(4 * dim, dim)
        self.gamma = nn.Parameter(layer_scale_init_value * torch.ones((dim)), requires_grad=True)
        self.drop_path = drop_path

    def forward(self, x):
        shortcut = x
        x = self.dwconv(x)
        x = x.permute(0, 2, 3, 1)
        x = self.pwconv2(self.act(self.pwconv1(self.norm(x))))
        x = self.gamma * x
        x = x.permute(0, 3, 1, 2)
        return shortcut + drop_path(x, self.drop_path, self.training)


class TinyConvNeXt(nn.Module):
    def __init__(self, num_classes=3, dims=(8, 16)):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, dims[0], kernel_size=2, stride=2), LayerNorm2d(dims[0], eps=1e-6))
        self.stage1 = nn.Sequential(Block(dims[0], 0.1), Block(dims[0], 0.1))
        self.down = nn.Sequential(LayerNorm2d(dims[0], eps=1e-6), nn.Conv2d(dims[0], dims[1], kernel_size=2, stride=2))
        self.stage2 = nn.Sequential(Block(dims[1], 0.2))
        self.norm = nn.LayerNorm(dims[1], eps=1e-6)
        self.head = nn.Linear(dims[1], num_classes)
        self.apply(self._init_weights)

    def _init_weights(self, m):
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.trunc_normal_(m.weight, std=.02)
            nn.init.constant_(m.bias, 0)

    def forward(self, x):
        x = self.stage1(self.stem(x))
        if self.training:
            x = drop_block(x) + 0.01 * torch.randn_like(x)
        x = self.stage2(self.down(x))
        return self.head(self.norm(x.mean([-2, -1])))


X = torch.randn(48, 1, 16, 16)
y = (X[:, 0, :8].sum((1, 2)) > 0).long() + (X[:, 0, :, :8].sum((1, 2)) > 0).long()
model = TinyConvNeXt()
decay = [p for n, p in model.named_parameters() if p.ndim > 1]
no_decay = [p for n, p in model.named_parameters() if p.ndim <= 1]
optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.05}, {"params": no_decay, "weight_decay": 0.0}], lr=4e-3)
total_steps, warmup = 24, 4
schedule = lambda step: (step + 1) / warmup if step < warmup else 0.5 * (1 + math.cos(math.pi * (step - warmup) / (total_steps - warmup)))
scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)
criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
losses = []
for epoch in range(8):
    model.train()
    for xb, yb in zip(X.split(16), y.split(16)):
        loss = criterion(model(xb), yb)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
    if epoch % 3 == 0:
        print(f"epoch {epoch} loss {loss.item():.4f} lr {scheduler.get_last_lr()[0]:.6f}")
model.eval()
with torch.no_grad():
    logits = model(X)
acc = (logits.argmax(1) == y).float().mean().item()
print(f"accuracy {acc:.3f}", len(decay), len(no_decay), model.stage1[0].gamma[:3])
result = [acc, logits.std().item(), model.stage2[0].gamma.abs().sum().item()]
