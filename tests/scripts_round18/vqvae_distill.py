"""A VQ-VAE with an EMA codebook (straight-through estimator, torch.cdist/argmin, F.embedding,
codebook perplexity, in-place .data updates), then knowledge distillation of a small student
from a frozen teacher with KLDivLoss(batchmean) at temperature T plus cross_entropy."""

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(0)
rng = np.random.default_rng(17)
protos = rng.normal(0, 1, (6, 10)).astype(np.float32)
labels_np = rng.integers(0, 6, 128)
data = torch.from_numpy(protos[labels_np] + rng.normal(0, 0.2, (128, 10)).astype(np.float32))
labels = torch.from_numpy(labels_np)


class VectorQuantizerEMA(nn.Module):
    def __init__(self, num_embeddings, embedding_dim, commitment_cost=0.25, decay=0.9, epsilon=1e-5):
        super().__init__()
        self._embedding = nn.Embedding(num_embeddings, embedding_dim)
        self._embedding.weight.data.normal_()
        self._commitment_cost, self._decay, self._epsilon = commitment_cost, decay, epsilon
        self.register_buffer("_ema_cluster_size", torch.zeros(num_embeddings))
        self._ema_w = nn.Parameter(torch.Tensor(num_embeddings, embedding_dim))
        self._ema_w.data.normal_()

    def forward(self, inputs):
        distances = torch.cdist(inputs, self._embedding.weight) ** 2
        encoding_indices = torch.argmin(distances, dim=1).unsqueeze(1)
        encodings = torch.zeros(encoding_indices.shape[0], self._embedding.num_embeddings)
        encodings.scatter_(1, encoding_indices, 1)
        quantized = F.embedding(encoding_indices.squeeze(1), self._embedding.weight)
        if self.training:
            self._ema_cluster_size = self._ema_cluster_size * self._decay + (1 - self._decay) * torch.sum(encodings, 0)
            n = torch.sum(self._ema_cluster_size.data)
            self._ema_cluster_size = ((self._ema_cluster_size + self._epsilon)
                                      / (n + self._embedding.num_embeddings * self._epsilon) * n)
            dw = torch.matmul(encodings.t(), inputs)
            self._ema_w = nn.Parameter(self._ema_w * self._decay + (1 - self._decay) * dw)
            self._embedding.weight = nn.Parameter(self._ema_w / self._ema_cluster_size.unsqueeze(1))
        e_latent_loss = F.mse_loss(quantized.detach(), inputs)
        loss = self._commitment_cost * e_latent_loss
        quantized = inputs + (quantized - inputs).detach()
        avg_probs = torch.mean(encodings, dim=0)
        perplexity = torch.exp(-torch.sum(avg_probs * torch.log(avg_probs + 1e-10)))
        return loss, quantized, perplexity, encoding_indices


class VQVAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(10, 16), nn.ELU(), nn.Linear(16, 4))
        self.vq = VectorQuantizerEMA(8, 4)
        self.decoder = nn.Sequential(nn.Linear(4, 16), nn.ELU(), nn.Linear(16, 10))

    def forward(self, x):
        vq_loss, quantized, perplexity, idx = self.vq(self.encoder(x))
        return vq_loss, self.decoder(quantized), perplexity, idx


model = VQVAE()
model.load_state_dict({k: torch.from_numpy(rng.normal(0, 0.5, tuple(v.shape)).astype(np.float32)) if "cluster" not in k else v
                       for k, v in model.state_dict().items()})
optimizer = torch.optim.Adam(model.parameters(), lr=1e-2, amsgrad=False)
losses, perplexities = [], []
for step in range(20):
    batch = data[(step % 4) * 32:(step % 4 + 1) * 32]
    optimizer.zero_grad()
    vq_loss, recon, perplexity, _ = model(batch)
    recon_error = F.mse_loss(recon, batch)
    loss = recon_error + vq_loss
    loss.backward()
    optimizer.step()
    losses.append(loss.item())
    perplexities.append(perplexity.item())

teacher = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 6))
student = nn.Sequential(nn.Linear(10, 6))
for net in (teacher, student):
    for p in net.parameters():
        p.data = torch.from_numpy(rng.normal(0, 0.3, tuple(p.shape)).astype(np.float32))
opt_t = torch.optim.SGD(teacher.parameters(), lr=0.1)
for _ in range(30):
    opt_t.zero_grad()
    F.cross_entropy(teacher(data), labels).backward()
    opt_t.step()
teacher.eval()
for p in teacher.parameters():
    p.requires_grad_(False)
T, alpha = 4.0, 0.7
kd = nn.KLDivLoss(reduction="batchmean")
opt_s = torch.optim.SGD(student.parameters(), lr=0.2, momentum=0.9)
for _ in range(20):
    with torch.no_grad():
        teacher_logits = teacher(data)
    student_logits = student(data)
    soft = kd(F.log_softmax(student_logits / T, dim=1), F.softmax(teacher_logits / T, dim=1)) * (T * T)
    hard = F.cross_entropy(student_logits, labels)
    loss = alpha * soft + (1 - alpha) * hard
    opt_s.zero_grad()
    loss.backward()
    opt_s.step()
    losses.append(loss.item())
with torch.inference_mode():
    acc_t = (teacher(data).argmax(1) == labels).float().mean().item()
    acc_s = (student(data).argmax(1) == labels).float().mean().item()
result = [perplexities[-1], acc_t, acc_s, model.vq._ema_cluster_size.sum().item()]
