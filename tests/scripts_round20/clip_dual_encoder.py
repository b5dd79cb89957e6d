"""A CLIP-style contrastive dual encoder (Radford et al.'s pseudocode): an image tower and a
text tower (embedding + masked mean pooling), F.normalize, a learnable logit_scale
initialised to log(1/0.07) used as exp() and clamped to 100, a symmetric cross-entropy, and
zero-shot retrieval recall@k with topk."""

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(6)
n_pairs, img_dim, vocab, seq_len, embed = 48, 24, 30, 7, 16


class ImageEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(img_dim, 32), nn.GELU(), nn.Dropout(0.1), nn.Linear(32, embed))

    def forward(self, x):
        return self.net(x)


class TextEncoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.tok = nn.Embedding(vocab, 32, padding_idx=0)
        self.proj = nn.Linear(32, embed, bias=False)

    def forward(self, ids):
        mask = (ids != 0).unsqueeze(-1).float()
        pooled = (self.tok(ids) * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        return self.proj(pooled)


class CLIP(nn.Module):
    def __init__(self):
        super().__init__()
        self.visual = ImageEncoder()
        self.text = TextEncoder()
        self.logit_scale = nn.Parameter(torch.ones([]) * np.log(1 / 0.07))

    def forward(self, images, ids):
        image_features = F.normalize(self.visual(images), dim=-1)
        text_features = F.normalize(self.text(ids), dim=-1)
        logit_scale = self.logit_scale.exp().clamp(max=100)
        logits_per_image = logit_scale * image_features @ text_features.t()
        return logits_per_image, logits_per_image.t()


# paired data: both views derive from one latent concept per pair
concept = torch.randint(0, 6, (n_pairs,))
prototypes = torch.randn(6, img_dim)
images = prototypes[concept] + 0.3 * torch.randn(n_pairs, img_dim)
ids = torch.randint(1, vocab, (n_pairs, seq_len))
ids[:, 0] = concept + 1
lengths = torch.randint(3, seq_len + 1, (n_pairs,))
ids = ids.masked_fill(torch.arange(seq_len).unsqueeze(0) >= lengths.unsqueeze(1), 0)

model = CLIP()
optimizer = torch.optim.AdamW(model.parameters(), lr=5e-3, weight_decay=0.2, betas=(0.9, 0.98), eps=1e-6)
losses = []
for epoch in range(4):
    model.train()
    perm = torch.randperm(n_pairs)
    for start in range(0, n_pairs, 16):
        batch = perm[start:start + 16]
        logits_per_image, logits_per_text = model(images[batch], ids[batch])
        ground_truth = torch.arange(len(batch), dtype=torch.long)
        loss = (F.cross_entropy(logits_per_image, ground_truth) + F.cross_entropy(logits_per_text, ground_truth)) / 2
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            model.logit_scale.clamp_(0, np.log(100))
        losses.append(loss.item())
    print(f"epoch {epoch} loss {np.mean(losses[-3:]):.4f} scale {model.logit_scale.exp().item():.3f}")

model.eval()
with torch.no_grad():
    img_f = F.normalize(model.visual(images), p=2, dim=1)
    txt_f = F.normalize(model.text(ids), p=2, dim=1)
    sim = img_f @ txt_f.T
    ranks = sim.topk(5, dim=1).indices
    targets = torch.arange(n_pairs).unsqueeze(1)
    recall = {k: (ranks[:, :k] == targets).any(dim=1).float().mean().item() for k in (1, 5)}
    same_concept = (concept[sim.argmax(1)] == concept).float().mean().item()
    cos = F.cosine_similarity(img_f[:4], txt_f[:4]).tolist()
print({k: round(v, 4) for k, v in recall.items()}, round(same_concept, 4))
result = [recall[1], recall[5], same_concept, model.logit_scale.item(), *cos]
