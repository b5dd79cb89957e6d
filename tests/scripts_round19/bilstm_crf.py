"""A BiLSTM-CRF tagger (the PyTorch tutorial's model, batched): embeddings, a bidirectional
LSTM over pack_padded_sequence, emission scores, the CRF forward algorithm with logsumexp,
the gold path score with gather, and Viterbi decoding with max/argmax and backpointers."""

import numpy as np
import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence, pad_sequence

torch.manual_seed(1)
rng = np.random.default_rng(1)
vocab_size, n_tags, emb_dim, hidden = 12, 3, 6, 8
START, STOP = n_tags, n_tags + 1


def make_sentence(n):
    words = rng.integers(1, vocab_size, n)
    tags = np.where(words < 5, 0, np.where(words < 9, 1, 2))
    return torch.from_numpy(words), torch.from_numpy(tags)


data = [make_sentence(n) for n in (7, 5, 6, 3, 7, 4)]


class BiLSTM_CRF(nn.Module):
    def __init__(self):
        super(BiLSTM_CRF, self).__init__()
        self.embed = nn.Embedding(vocab_size, emb_dim, padding_idx=0)
        self.lstm = nn.LSTM(emb_dim, hidden // 2, num_layers=1, bidirectional=True, batch_first=True)
        self.hidden2tag = nn.Linear(hidden, n_tags + 2)
        self.transitions = nn.Parameter(torch.randn(n_tags + 2, n_tags + 2))
        self.transitions.data[START, :] = -10000
        self.transitions.data[:, STOP] = -10000

    def emissions(self, words, lengths):
        packed = pack_padded_sequence(self.embed(words), lengths, batch_first=True, enforce_sorted=False)
        out, _ = self.lstm(packed)
        out, _ = pad_packed_sequence(out, batch_first=True)
        return self.hidden2tag(out)

    def forward_alg(self, feats, mask):
        alpha = torch.full((feats.size(0), n_tags + 2), -10000.0)
        alpha[:, START] = 0.0
        for t in range(feats.size(1)):
            scores = alpha.unsqueeze(1) + self.transitions.unsqueeze(0) + feats[:, t].unsqueeze(2)
            new_alpha = torch.logsumexp(scores, dim=2)
            alpha = torch.where(mask[:, t].unsqueeze(1), new_alpha, alpha)
        return torch.logsumexp(alpha + self.transitions[STOP].unsqueeze(0), dim=1)

    def score_sentence(self, feats, tags, mask):
        B, T = tags.shape
        prev = torch.cat([torch.full((B, 1), START, dtype=torch.long), tags], dim=1)
        trans = self.transitions[prev[:, 1:], prev[:, :-1]]
        emit = feats.gather(2, tags.unsqueeze(2)).squeeze(2)
        score = ((trans + emit) * mask.float()).sum(1)
        last = tags.gather(1, (mask.sum(1) - 1).unsqueeze(1)).squeeze(1)
        return score + self.transitions[STOP, last]

    def neg_log_likelihood(self, words, tags, lengths):
        mask = words != 0
        feats = self.emissions(words, lengths)
        return (self.forward_alg(feats, mask) - self.score_sentence(feats, tags, mask)).mean()

    def viterbi_decode(self, feats):
        backpointers = []
        forward_var = torch.full((n_tags + 2,), -10000.0)
        forward_var[START] = 0
        for feat in feats:
            next_tag_var = forward_var.unsqueeze(0) + self.transitions
            best, bptrs_t = torch.max(next_tag_var, dim=1)
            forward_var = best + feat
            backpointers.append(bptrs_t)
        terminal_var = forward_var + self.transitions[STOP]
        best_tag_id = torch.argmax(terminal_var).item()
        path_score = terminal_var[best_tag_id]
        best_path = [best_tag_id]
        for bptrs_t in reversed(backpointers):
            best_tag_id = bptrs_t[best_tag_id].item()
            best_path.append(best_tag_id)
        assert best_path.pop() == START
        best_path.reverse()
        return path_score, best_path


model = BiLSTM_CRF()
with torch.no_grad():
    for name, p in model.named_parameters():
        p.copy_(torch.from_numpy(rng.normal(0, 0.3, tuple(p.shape)).astype(np.float32)))
    model.embed.weight[0].zero_()
    model.transitions[START, :] = -10000
    model.transitions[:, STOP] = -10000
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, weight_decay=1e-4)
words = pad_sequence([w for w, _ in data], batch_first=True)
tags = pad_sequence([t for _, t in data], batch_first=True)
lengths = torch.tensor([len(w) for w, _ in data])
losses = []
for epoch in range(12):
    model.zero_grad()
    loss = model.neg_log_likelihood(words, tags, lengths)
    loss.backward()
    optimizer.step()
    losses.append(loss.item())

with torch.no_grad():
    feats = model.emissions(words, lengths)
    decoded = [model.viterbi_decode(feats[i, :n])[1] for i, n in enumerate(lengths.tolist())]
correct = sum(int(p == t) for d, (_, tg) in zip(decoded, data) for p, t in zip(d, tg.tolist()))
print("decoded:", decoded[0])
result = [correct / lengths.sum().item(), model.viterbi_decode(feats[0])[0].item()]
