"""A tiny Vision Transformer (Dosovitskiy et al.) as the timm / tutorial code writes it: a
Conv2d patch embedding with stride = patch size (and the same with F.unfold), a cls token
and a learned positional nn.Parameter with trunc_normal_ init, nn.TransformerEncoder with
norm_first=True and GELU, AdamW with no weight decay on biases and norms, LambdaLR warm-up +
cosine, label smoothing and top-k accuracy."""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
img, patch, dim, n_classes = 16, 4, 32, 5
n_patches = (img // patch) ** 2


class PatchEmbed(nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = nn.Conv2d(3, dim, kernel_size=patch, stride=patch)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)  # B, N, D


class ViT(nn.Module):
    def __init__(self, depth=2, heads=4):
        super().__init__()
        self.patch_embed = PatchEmbed()
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, n_patches + 1, dim))
        layer = nn.TransformerEncoderLayer(dim, heads, dim_feedforward=2 * dim, dropout=0.1,
                                           activation="gelu", batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers=depth, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.head = nn.Linear(dim, n_classes)
        nn.init.trunc_normal_(self.pos_embed, std=0.02)
        nn.init.trunc_normal_(self.cls_token, std=0.02)
        self.apply(self._init_weights)

    def _init_weights(self, m):
        if isinstance(m, nn.Linear):
            nn.init.trunc_normal_(m.weight, std=0.02)
            if m.bias is not None:
                nn.init.constant_(m.bias, 0)
        elif isinstance(m, nn.LayerNorm):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)

    def forward(self, x):
        x = self.patch_embed(x)
        cls = self.cls_token.expand(x.shape[0], -1, -1)
        x = torch.cat((cls, x), dim=1) + self.pos_embed
        x = self.norm(self.encoder(x))
        return self.head(x[:, 0])


# synthetic images: the class decides which quadrant is bright
labels = torch.randint(0, n_classes, (48,))
images = torch.randn(48, 3, img, img) * 0.5
for i, c in enumerate(labels.tolist()):
    r, q = divmod(c % 4, 2)
    images[i, c % 3, r * 8:(r + 1) * 8, q * 8:(q + 1) * 8] += 1.5

model = ViT()
decay = [p for n, p in model.named_parameters() if p.ndim >= 2 and "pos_embed" not in n and "cls_token" not in n]
no_decay = [p for n, p in model.named_parameters() if not (p.ndim >= 2 and "pos_embed" not in n and "cls_token" not in n)]
optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.05},
                               {"params": no_decay, "weight_decay": 0.0}], lr=3e-3, betas=(0.9, 0.999))
total, warmup = 12, 3


def lr_lambda(step):
    if step < warmup:
        return (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return 0.5 * (1.0 + math.cos(math.pi * progress))


scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda)
criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
losses, lrs = [], []
for step in range(total):
    model.train()
    idx = torch.randperm(48)[:16]
    loss = criterion(model(images[idx]), labels[idx])
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    optimizer.step()
    scheduler.step()
    losses.append(loss.item())
    lrs.append(scheduler.get_last_lr()[0])
    if step % 4 == 0:
        print(f"step {step:2d} loss {loss.item():.3f} lr {lrs[-1]:.5f}")


def accuracy(output, target, topk=(1,)):
    maxk = max(topk)
    _, pred = output.topk(maxk, 1, True, True)
    pred = pred.t()
    correct = pred.eq(target.view(1, -1).expand_as(pred))
    return [correct[:k].reshape(-1).float().sum(0, keepdim=True).mul_(100.0 / target.size(0)) for k in topk]


model.eval()
with torch.no_grad():
    logits = model(images)
    top1, top3 = accuracy(logits, labels, topk=(1, 3))
    # the same patches with F.unfold and the conv's weight as a matrix
    cols = F.unfold(images, kernel_size=patch, stride=patch)  # B, 3*p*p, N
    w = model.patch_embed.proj.weight.view(dim, -1)
    tokens = (w @ cols + model.patch_embed.proj.bias.view(1, -1, 1)).transpose(1, 2)
    same = torch.allclose(tokens, model.patch_embed(images), atol=1e-5)
print(f"top1 {top1.item():.2f} top3 {top3.item():.2f} unfold==conv {same}")
n_params = sum(p.numel() for p in model.parameters() if p.requires_grad)
print("params", n_params, "groups", [len(g["params"]) for g in optimizer.param_groups])
result = [top1.item(), top3.item(), float(same), n_params, *lrs, logits.abs().mean().item()]
