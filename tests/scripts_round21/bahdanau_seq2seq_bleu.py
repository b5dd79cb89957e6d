"""d2l.ai 10.7 + 11.4: a GRU encoder-decoder with Bahdanau attention on a toy translation task
(reverse and shift tokens), MaskedSoftmaxCELoss subclassing nn.CrossEntropyLoss with
reduction='none' and pred.permute(0, 2, 1), teacher forcing with <bos> prepended by
torch.cat, grad_clipping by hand, greedy predict_seq2seq collecting attention weights, and
d2l's bleu() with collections.defaultdict n-gram counts."""

import collections
import math

import torch
from torch import nn

torch.manual_seed(17)
PAD, BOS, EOS, V, T = 0, 1, 2, 12, 7


def sequence_mask(X, valid_len, value=0):
    mask = torch.arange(X.size(1), dtype=torch.float32)[None, :] < valid_len[:, None]
    X[~mask] = value
    return X


class MaskedSoftmaxCELoss(nn.CrossEntropyLoss):
    def forward(self, pred, label, valid_len):
        weights = sequence_mask(torch.ones_like(label), valid_len)
        self.reduction = 'none'
        unweighted_loss = super(MaskedSoftmaxCELoss, self).forward(pred.permute(0, 2, 1), label)
        return (unweighted_loss * weights).mean(dim=1)


def make_pair(n):
    src = torch.randint(3, V, (n,))
    tgt = (src.flip(0) - 3 + 1) % (V - 3) + 3
    pad = T - n - 1
    return (torch.cat([src, torch.tensor([EOS] + [PAD] * pad)]), torch.cat([tgt, torch.tensor([EOS] + [PAD] * pad)]), n + 1)


pairs = [make_pair(int(torch.randint(3, T, (1,)))) for _ in range(128)]
X, Y = torch.stack([p[0] for p in pairs]), torch.stack([p[1] for p in pairs])
lens = torch.tensor([p[2] for p in pairs])


class Encoder(nn.Module):
    def __init__(self, vocab, embed, hidden):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embed)
        self.rnn = nn.GRU(embed, hidden, num_layers=1)

    def forward(self, X):
        return self.rnn(self.embedding(X.t().type(torch.int64)))


class AttnDecoder(nn.Module):
    def __init__(self, vocab, embed, hidden):
        super().__init__()
        self.W_k, self.W_q = nn.Linear(hidden, hidden, bias=False), nn.Linear(hidden, hidden, bias=False)
        self.w_v = nn.Linear(hidden, 1, bias=False)
        self.embedding = nn.Embedding(vocab, embed)
        self.rnn = nn.GRU(embed + hidden, hidden)
        self.dense = nn.Linear(hidden, vocab)

    def attend(self, query, keys, valid_lens):
        scores = self.w_v(torch.tanh(self.W_q(query).unsqueeze(2) + self.W_k(keys).unsqueeze(1))).squeeze(-1)
        scores = sequence_mask(scores.reshape(-1, scores.shape[-1]), valid_lens.repeat_interleave(scores.shape[1]), -1e6)
        weights = nn.functional.softmax(scores.reshape(query.shape[0], query.shape[1], -1), dim=-1)
        return torch.bmm(weights, keys), weights

    def forward(self, X, state):
        enc_outputs, hidden_state, enc_valid_lens = state
        X = self.embedding(X).permute(1, 0, 2)
        outputs, self.attention_weights = [], []
        for x in X:
            query = torch.unsqueeze(hidden_state[-1], dim=1)
            context, weights = self.attend(query, enc_outputs, enc_valid_lens)
            x = torch.cat((context, torch.unsqueeze(x, dim=1)), dim=-1)
            out, hidden_state = self.rnn(x.permute(1, 0, 2), hidden_state)
            outputs.append(out)
            self.attention_weights.append(weights)
        outputs = self.dense(torch.cat(outputs, dim=0))
        return outputs.permute(1, 0, 2), [enc_outputs, hidden_state, enc_valid_lens]


encoder, decoder = Encoder(V, 16, 32), AttnDecoder(V, 16, 32)
params = list(encoder.parameters()) + list(decoder.parameters())
optimizer = torch.optim.Adam(params, lr=0.01)
loss = MaskedSoftmaxCELoss()
losses = []
for epoch in range(12):
    for idx in torch.randperm(len(X)).split(32):
        src, tgt, valid = X[idx], Y[idx], lens[idx]
        enc_outputs, hidden = encoder(src)
        bos = torch.tensor([BOS] * tgt.shape[0]).reshape(-1, 1)
        dec_input = torch.cat([bos, tgt[:, :-1]], 1)
        Y_hat, _ = decoder(dec_input, [enc_outputs.permute(1, 0, 2), hidden, valid])
        l = loss(Y_hat, tgt, valid)
        optimizer.zero_grad()
        l.sum().backward()
        norm = torch.sqrt(sum(torch.sum(p.grad ** 2) for p in params))
        if norm > 1:
            for p in params:
                p.grad[:] *= 1 / norm
        optimizer.step()
    losses.append(l.sum().item() / valid.sum().item())
print(f"loss {losses[-1]:.4f}")


def bleu(pred_seq, label_seq, k):
    pred_tokens, label_tokens = pred_seq.split(' '), label_seq.split(' ')
    len_pred, len_label = len(pred_tokens), len(label_tokens)
    score = math.exp(min(0, 1 - len_label / len_pred))
    for n in range(1, min(k, len_pred) + 1):
        num_matches, label_subs = 0, collections.defaultdict(int)
        for i in range(len_label - n + 1):
            label_subs[' '.join(label_tokens[i: i + n])] += 1
        for i in range(len_pred - n + 1):
            if label_subs[' '.join(pred_tokens[i: i + n])] > 0:
                num_matches += 1
                label_subs[' '.join(pred_tokens[i: i + n])] -= 1
        score *= math.pow(num_matches / (len_pred - n + 1), math.pow(0.5, n))
    return score


scores = []
with torch.no_grad():
    for src, tgt, n in pairs[:6]:
        enc_outputs, hidden = encoder(src.unsqueeze(0))
        state, dec_X, out = [enc_outputs.permute(1, 0, 2), hidden, torch.tensor([n])], torch.tensor([[BOS]]), []
        for _ in range(T):
            Y_hat, state = decoder(dec_X, state)
            dec_X = Y_hat.argmax(dim=2)
            if dec_X.item() == EOS:
                break
            out.append(str(dec_X.item()))
        scores.append(bleu(' '.join(out) or '?', ' '.join(str(t) for t in tgt[:n - 1].tolist()), k=2))
        print(' '.join(out), '|', f"bleu {scores[-1]:.3f}", decoder.attention_weights[0].shape)
result = [losses[-1], sum(scores) / len(scores)]
