"""A GRU encoder-decoder (the "NLP from scratch" translation tutorial's shape) on a toy
reversal task: teacher forcing chosen with random.random, NLLLoss over log_softmax, then
greedy decoding and beam search with topk, gather/index_select of beam histories and
torch.cat of the extended sequences."""

import random

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import optim

torch.manual_seed(5)
random.seed(5)
SOS, EOS, vocab, hidden, max_len = 0, 1, 8, 24, 6


class EncoderRNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(vocab, hidden)
        self.gru = nn.GRU(hidden, hidden, batch_first=True)

    def forward(self, src):
        return self.gru(self.embedding(src))


class DecoderRNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(vocab, hidden)
        self.gru = nn.GRU(hidden, hidden, batch_first=True)
        self.out = nn.Linear(hidden, vocab)

    def forward_step(self, token, h):
        output, h = self.gru(F.relu(self.embedding(token)), h)
        return F.log_softmax(self.out(output.squeeze(1)), dim=-1), h


def batch(n):
    body = torch.randint(2, vocab, (n, 4))
    target = torch.cat([body.flip(1), torch.full((n, 1), EOS)], dim=1)
    return body, target


encoder, decoder = EncoderRNN(), DecoderRNN()
params = list(encoder.parameters()) + list(decoder.parameters())
optimizer = optim.Adam(params, lr=0.01)
criterion = nn.NLLLoss()
losses = []
for it in range(25):
    src, tgt = batch(16)
    _, h = encoder(src)
    token = torch.full((16, 1), SOS, dtype=torch.long)
    use_teacher_forcing = random.random() < 0.5
    loss = 0
    for t in range(tgt.size(1)):
        logp, h = decoder.forward_step(token, h)
        loss += criterion(logp, tgt[:, t])
        if use_teacher_forcing:
            token = tgt[:, t].unsqueeze(1)
        else:
            topv, topi = logp.topk(1)
            token = topi.detach()
    optimizer.zero_grad()
    loss.backward()
    nn.utils.clip_grad_norm_(params, 5.0)
    optimizer.step()
    losses.append(loss.item() / tgt.size(1))
    if it % 8 == 0:
        print(f"iter {it} tf={use_teacher_forcing} loss {losses[-1]:.4f}")


@torch.no_grad()
def beam_search(src, beam=3):
    _, h = encoder(src.unsqueeze(0))
    seqs = torch.full((1, 1), SOS, dtype=torch.long)
    scores = torch.zeros(1)
    h = h.expand(-1, 1, -1).contiguous()
    for _ in range(max_len - 1):
        logp, h_new = decoder.forward_step(seqs[:, -1:], h)
        cand = (scores.unsqueeze(1) + logp).view(-1)
        top_scores, flat = cand.topk(beam)
        origin = torch.div(flat, vocab, rounding_mode="floor")
        tokens = flat % vocab
        seqs = torch.cat([seqs.index_select(0, origin), tokens.unsqueeze(1)], dim=1)
        h = torch.gather(h_new, 1, origin.view(1, -1, 1).expand(1, -1, hidden))
        scores = top_scores
    return seqs[scores.argmax()], scores.max()


src, tgt = batch(6)
correct, total_score = 0, 0.0
for i in range(6):
    seq, score = beam_search(src[i])
    pred = seq[1:6]
    correct += int(torch.equal(pred, tgt[i]))
    total_score += score.item()
    print(src[i].tolist(), "->", pred.tolist())
result = [correct, total_score]
