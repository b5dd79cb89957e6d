"""A Transformer text classifier over variable-length sequences: a custom collate_fn with
pad_sequence, Embedding(padding_idx=0), sinusoidal positional encoding buffer,
TransformerEncoder with src_key_padding_mask, masked mean pooling, a StepLR schedule,
plus a packed bidirectional LSTM baseline on the same batches."""

import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence, pad_sequence
from torch.utils.data import DataLoader

torch.manual_seed(0)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
rng = np.random.default_rng(11)
vocab_size, d_model, n_classes = 12, 16, 2
samples = []
for _ in range(48):
    length = int(rng.integers(3, 9))
    tokens = rng.integers(1, vocab_size, length)
    samples.append((torch.tensor(tokens), int((tokens == 3).any())))


def collate_batch(batch):
    seqs, labels = zip(*batch)
    lengths = torch.tensor([len(s) for s in seqs])
    padded = pad_sequence(seqs, batch_first=True, padding_value=0)
    return padded, lengths, torch.tensor(labels, dtype=torch.long)


loader = DataLoader(samples, batch_size=12, shuffle=False, collate_fn=collate_batch)


class PositionalEncoding(nn.Module):
    def __init__(self, d_model, max_len=64):
        super().__init__()
        position = torch.arange(max_len).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
        pe = torch.zeros(max_len, d_model)
        pe[:, 0::2] = torch.sin(position * div_term)
        pe[:, 1::2] = torch.cos(position * div_term)
        self.register_buffer("pe", pe.unsqueeze(0), persistent=False)

    def forward(self, x):
        return x + self.pe[:, :x.size(1)]


class TransformerClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, d_model, padding_idx=0)
        self.pos = PositionalEncoding(d_model)
        layer = nn.TransformerEncoderLayer(d_model, nhead=4, dim_feedforward=32, dropout=0.0,
                                           batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers=2, enable_nested_tensor=False)
        self.fc = nn.Linear(d_model, n_classes)

    def forward(self, src, lengths):
        pad_mask = src == 0
        x = self.pos(self.embedding(src) * math.sqrt(d_model))
        x = self.encoder(x, src_key_padding_mask=pad_mask)
        keep = (~pad_mask).unsqueeze(-1).float()
        pooled = (x * keep).sum(dim=1) / keep.sum(dim=1).clamp(min=1)
        return self.fc(pooled)


class LSTMClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, 8, padding_idx=0)
        self.lstm = nn.LSTM(8, 8, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(16, n_classes)

    def forward(self, src, lengths):
        packed = pack_padded_sequence(self.embedding(src), lengths.cpu(), batch_first=True,
                                      enforce_sorted=False)
        out, (h_n, c_n) = self.lstm(packed)
        out, out_lengths = pad_packed_sequence(out, batch_first=True)
        assert torch.equal(out_lengths, lengths)
        return self.fc(torch.cat([h_n[-2], h_n[-1]], dim=1))


def copy_weights(model, seed):
    g = np.random.default_rng(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(torch.from_numpy(g.normal(0, 0.2, tuple(p.shape)).astype(np.float32)))
        if hasattr(model.embedding, "padding_idx"):
            model.embedding.weight[model.embedding.padding_idx].fill_(0)


losses, accs = [], []
for model_cls, seed in ((TransformerClassifier, 1), (LSTMClassifier, 2)):
    model = model_cls().to(device)
    copy_weights(model, seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    for epoch in range(4):
        model.train()
        for src, lengths, labels in loader:
            src, labels = src.to(device), labels.to(device)
            optimizer.zero_grad()
            loss = F.cross_entropy(model(src, lengths), labels)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        scheduler.step()
    model.eval()
    correct = 0
    with torch.inference_mode():
        for src, lengths, labels in loader:
            correct += (model(src, lengths).argmax(-1) == labels).sum().item()
    accs.append(correct / len(samples))
    assert model.embedding.weight.grad[0].abs().sum().item() == 0
print("accuracies", accs)
result = accs + [scheduler.get_last_lr()[0]]
