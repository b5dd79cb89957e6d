"""The "language translation with nn.Transformer" tutorial on a toy task (reverse a sequence):
token + sinusoidal positional encodings, nn.Transformer with generate_square_subsequent_mask
and key padding masks, teacher forcing, CrossEntropyLoss(ignore_index=PAD, label_smoothing),
a Noam-style LambdaLR warm-up, and greedy decoding."""

import math

import numpy as np
import torch
import torch.nn as nn
from torch import Tensor

torch.manual_seed(59)
rng = np.random.default_rng(59)
PAD, BOS, EOS, VOCAB, D = 0, 1, 2, 10, 16


class PositionalEncoding(nn.Module):
    def __init__(self, emb_size: int, dropout: float, maxlen: int = 50):
        super(PositionalEncoding, self).__init__()
        den = torch.exp(- torch.arange(0, emb_size, 2) * math.log(10000) / emb_size)
        pos = torch.arange(0, maxlen).reshape(maxlen, 1)
        pos_embedding = torch.zeros((maxlen, emb_size))
        pos_embedding[:, 0::2] = torch.sin(pos * den)
        pos_embedding[:, 1::2] = torch.cos(pos * den)
        pos_embedding = pos_embedding.unsqueeze(-2)
        self.dropout = nn.Dropout(dropout)
        self.register_buffer("pos_embedding", pos_embedding)

    def forward(self, token_embedding: Tensor):
        return self.dropout(token_embedding + self.pos_embedding[:token_embedding.size(0), :])


class Seq2SeqTransformer(nn.Module):
    def __init__(self):
        super(Seq2SeqTransformer, self).__init__()
        self.transformer = nn.Transformer(d_model=D, nhead=2, num_encoder_layers=1,
                                          num_decoder_layers=1, dim_feedforward=32, dropout=0.0)
        self.generator = nn.Linear(D, VOCAB)
        self.tok_emb = nn.Embedding(VOCAB, D)
        self.positional_encoding = PositionalEncoding(D, dropout=0.0)

    def embed(self, tokens):
        return self.positional_encoding(self.tok_emb(tokens.long()) * math.sqrt(D))

    def forward(self, src, trg, src_mask, tgt_mask, src_padding_mask, tgt_padding_mask):
        outs = self.transformer(self.embed(src), self.embed(trg), src_mask, tgt_mask, None,
                                src_padding_mask, tgt_padding_mask, src_padding_mask)
        return self.generator(outs)


def make_batch(n):
    seqs = []
    for _ in range(n):
        body = rng.integers(3, VOCAB, int(rng.integers(2, 6)))
        seqs.append(body)
    S = max(len(s) for s in seqs) + 2
    src = np.full((S, n), PAD)
    tgt = np.full((S, n), PAD)
    for i, s in enumerate(seqs):
        src[:len(s) + 2, i] = [BOS, *s, EOS]
        tgt[:len(s) + 2, i] = [BOS, *s[::-1], EOS]
    return torch.from_numpy(src), torch.from_numpy(tgt)


def create_mask(src, tgt):
    tgt_seq_len = tgt.shape[0]
    tgt_mask = nn.Transformer.generate_square_subsequent_mask(tgt_seq_len)
    src_mask = torch.zeros((src.shape[0], src.shape[0])).type(torch.bool)
    return src_mask, tgt_mask, (src == PAD).transpose(0, 1), (tgt == PAD).transpose(0, 1)


model = Seq2SeqTransformer()
with torch.no_grad():
    for name, p in model.named_parameters():
        p.copy_(torch.from_numpy(rng.normal(0, 0.2, tuple(p.shape)).astype(np.float32)))
loss_fn = torch.nn.CrossEntropyLoss(ignore_index=PAD, label_smoothing=0.05)
optimizer = torch.optim.Adam(model.parameters(), lr=1.0, betas=(0.9, 0.98), eps=1e-9)
scheduler = torch.optim.lr_scheduler.LambdaLR(
    optimizer, lambda step: D ** -0.5 * min((step + 1) ** -0.5, (step + 1) * 4 ** -1.5))
losses = []
for step in range(10):
    src, tgt = make_batch(8)
    tgt_input = tgt[:-1, :]
    src_mask, tgt_mask, src_padding_mask, tgt_padding_mask = create_mask(src, tgt_input)
    logits = model(src, tgt_input, src_mask, tgt_mask, src_padding_mask, tgt_padding_mask)
    optimizer.zero_grad()
    tgt_out = tgt[1:, :]
    loss = loss_fn(logits.reshape(-1, logits.shape[-1]), tgt_out.reshape(-1))
    loss.backward()
    optimizer.step()
    scheduler.step()
    losses.append(loss.item())


def greedy_decode(model, src, max_len):
    memory = model.transformer.encoder(model.embed(src))
    ys = torch.ones(1, 1).fill_(BOS).type(torch.long)
    for i in range(max_len - 1):
        tgt_mask = nn.Transformer.generate_square_subsequent_mask(ys.size(0)).type(torch.bool)
        out = model.transformer.decoder(model.embed(ys), memory, tgt_mask)
        prob = model.generator(out[-1])
        _, next_word = torch.max(prob, dim=1)
        ys = torch.cat([ys, torch.ones(1, 1).type_as(src.data).fill_(next_word.item())], dim=0)
        if next_word.item() == EOS:
            break
    return ys


model.eval()
with torch.no_grad():
    decoded = greedy_decode(model, torch.tensor([[BOS], [3], [4], [5], [EOS]]), 7).flatten()
print("decoded:", decoded.tolist())
result = [scheduler.get_last_lr()[0], decoded.sum().item(), logits.std().item()]
