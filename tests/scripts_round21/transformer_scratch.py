"""d2l.ai chapter 11, shrunk: sequence_mask and masked_softmax (valid_lens as a 1-D or 2-D
tensor, repeat_interleave over heads), additive (Bahdanau) and scaled dot-product attention,
multi-head attention with transpose_qkv / transpose_output, sinusoidal PositionalEncoding,
AddNorm and PositionWiseFFN, an encoder block stack trained to copy-reverse toy sequences."""

import math

import torch
from torch import nn

torch.manual_seed(2)


def sequence_mask(X, valid_len, value=0):
    maxlen = X.size(1)
    mask = torch.arange((maxlen), dtype=torch.float32, device=X.device)[None, :] < valid_len[:, None]
    X[~mask] = value
    return X


def masked_softmax(X, valid_lens):
    if valid_lens is None:
        return nn.functional.softmax(X, dim=-1)
    shape = X.shape
    if valid_lens.dim() == 1:
        valid_lens = torch.repeat_interleave(valid_lens, shape[1])
    else:
        valid_lens = valid_lens.reshape(-1)
    X = sequence_mask(X.reshape(-1, shape[-1]), valid_lens, value=-1e6)
    return nn.functional.softmax(X.reshape(shape), dim=-1)


class AdditiveAttention(nn.Module):
    def __init__(self, num_hiddens, dropout):
        super().__init__()
        self.W_k = nn.LazyLinear(num_hiddens, bias=False)
        self.W_q = nn.LazyLinear(num_hiddens, bias=False)
        self.w_v = nn.LazyLinear(1, bias=False)
        self.dropout = nn.Dropout(dropout)

    def forward(self, queries, keys, values, valid_lens):
        queries, keys = self.W_q(queries), self.W_k(keys)
        features = torch.tanh(queries.unsqueeze(2) + keys.unsqueeze(1))
        scores = self.w_v(features).squeeze(-1)
        self.attention_weights = masked_softmax(scores, valid_lens)
        return torch.bmm(self.dropout(self.attention_weights), values)


class DotProductAttention(nn.Module):
    def __init__(self, dropout):
        super().__init__()
        self.dropout = nn.Dropout(dropout)

    def forward(self, queries, keys, values, valid_lens=None):
        d = queries.shape[-1]
        scores = torch.bmm(queries, keys.transpose(1, 2)) / math.sqrt(d)
        self.attention_weights = masked_softmax(scores, valid_lens)
        return torch.bmm(self.dropout(self.attention_weights), values)


class MultiHeadAttention(nn.Module):
    def __init__(self, num_hiddens, num_heads, dropout, bias=False):
        super().__init__()
        self.num_heads = num_heads
        self.attention = DotProductAttention(dropout)
        self.W_q, self.W_k, self.W_v, self.W_o = (nn.LazyLinear(num_hiddens, bias=bias) for _ in range(4))

    def transpose_qkv(self, X):
        X = X.reshape(X.shape[0], X.shape[1], self.num_heads, -1).permute(0, 2, 1, 3)
        return X.reshape(-1, X.shape[2], X.shape[3])

    def transpose_output(self, X):
        X = X.reshape(-1, self.num_heads, X.shape[1], X.shape[2]).permute(0, 2, 1, 3)
        return X.reshape(X.shape[0], X.shape[1], -1)

    def forward(self, queries, keys, values, valid_lens):
        queries, keys, values = (self.transpose_qkv(f(x)) for f, x in
                                 ((self.W_q, queries), (self.W_k, keys), (self.W_v, values)))
        if valid_lens is not None:
            valid_lens = torch.repeat_interleave(valid_lens, repeats=self.num_heads, dim=0)
        return self.W_o(self.transpose_output(self.attention(queries, keys, values, valid_lens)))


class PositionalEncoding(nn.Module):
    def __init__(self, num_hiddens, dropout, max_len=1000):
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.P = torch.zeros((1, max_len, num_hiddens))
        X = torch.arange(max_len, dtype=torch.float32).reshape(-1, 1) / torch.pow(
            10000, torch.arange(0, num_hiddens, 2, dtype=torch.float32) / num_hiddens)
        self.P[:, :, 0::2] = torch.sin(X)
        self.P[:, :, 1::2] = torch.cos(X)

    def forward(self, X):
        return self.dropout(X + self.P[:, :X.shape[1], :].to(X.device))


class EncoderBlock(nn.Module):
    def __init__(self, num_hiddens, ffn_num_hiddens, num_heads, dropout):
        super().__init__()
        self.attention = MultiHeadAttention(num_hiddens, num_heads, dropout)
        self.ln1, self.ln2 = nn.LayerNorm(num_hiddens), nn.LayerNorm(num_hiddens)
        self.ffn = nn.Sequential(nn.LazyLinear(ffn_num_hiddens), nn.ReLU(), nn.LazyLinear(num_hiddens))
        self.drop = nn.Dropout(dropout)

    def forward(self, X, valid_lens):
        Y = self.ln1(X + self.drop(self.attention(X, X, X, valid_lens)))
        return self.ln2(Y + self.drop(self.ffn(Y)))


print(masked_softmax(torch.rand(2, 2, 4), torch.tensor([2, 3])).sum(-1))
print(masked_softmax(torch.rand(2, 2, 4), torch.tensor([[1, 3], [2, 4]]))[1])
additive = AdditiveAttention(8, 0.1)
queries, keys = torch.normal(0, 1, (2, 1, 20)), torch.ones((2, 10, 2))
values = torch.arange(40, dtype=torch.float32).reshape(1, 10, 4).repeat(2, 1, 1)
print(additive(queries, keys, values, torch.tensor([2, 6])).shape)

vocab, hid, steps = 12, 32, 8
embed, pos = nn.Embedding(vocab, hid), PositionalEncoding(hid, 0.1)
blocks = nn.ModuleList([EncoderBlock(hid, 64, 4, 0.1) for _ in range(2)])
head = nn.Linear(hid, vocab)
X = torch.randint(1, vocab, (64, steps))
valid = torch.randint(4, steps + 1, (64,))
target = torch.where(torch.arange(steps)[None, :] < valid[:, None], X.flip(1), 0)
print([tuple(b(embed(X[:2]), valid[:2]).shape) for b in blocks])  # (materialises the lazy layers)
params = [*embed.parameters(), *blocks.parameters(), *head.parameters()]
optimizer = torch.optim.Adam(params, lr=0.005)
losses = []
for step in range(30):
    H = pos(embed(X) * math.sqrt(hid))
    for blk in blocks:
        H = blk(H, valid)
    loss = nn.functional.cross_entropy(head(H).reshape(-1, vocab), target.reshape(-1), ignore_index=0)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    losses.append(loss.item())
print(f"loss {losses[0]:.3f} -> {losses[-1]:.3f}")
weights = blocks[0].attention.attention.attention_weights
print(weights.shape, weights[0, 0, valid[0]:].abs().max().item() < 1e-6)
result = [losses[-1], weights.sum().item()]
