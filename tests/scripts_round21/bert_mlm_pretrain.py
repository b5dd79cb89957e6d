"""BERT pretraining in miniature (d2l.ai 15.8-15.10): get_tokens_and_segments for sentence
pairs with <cls>/<sep>, a BERTEncoder with token, segment and learnable position embeddings
(nn.Parameter) over nn.TransformerEncoder layers, the 80/10/10 masked-language-model
replacement, MaskLM gathering predictions at masked positions with repeat_interleave, a
next-sentence-prediction head on <cls>, and a summed loss with per-position weights."""

import random

import torch
from torch import nn

random.seed(1)
torch.manual_seed(1)
words = [f"w{i}" for i in range(20)]
vocab = ["<pad>", "<mask>", "<cls>", "<sep>"] + words
idx = {t: i for i, t in enumerate(vocab)}
paragraphs = [[[random.choice(words[k * 5:k * 5 + 8]) for _ in range(random.randint(3, 6))]
               for _ in range(3)] for k in range(3)]
max_len, num_mlm = 16, 3


def get_tokens_and_segments(tokens_a, tokens_b=None):
    tokens = ['<cls>'] + tokens_a + ['<sep>']
    segments = [0] * (len(tokens_a) + 2)
    if tokens_b is not None:
        tokens += tokens_b + ['<sep>']
        segments += [1] * (len(tokens_b) + 1)
    return tokens, segments


def mask_tokens(tokens):
    candidates = [i for i, t in enumerate(tokens) if t not in ('<cls>', '<sep>')]
    random.shuffle(candidates)
    masked, positions, labels = list(tokens), [], []
    for pos in candidates[:num_mlm]:
        r = random.random()
        masked[pos] = '<mask>' if r < 0.8 else (tokens[pos] if r < 0.9 else random.choice(words))
        positions.append(pos)
        labels.append(tokens[pos])
    return masked, positions, labels


examples = []
for _ in range(96):
    p = random.choice(paragraphs)
    i = random.randrange(len(p) - 1)
    is_next = random.random() < 0.5
    nxt = p[i + 1] if is_next else random.choice(random.choice(paragraphs))
    tokens, segments = get_tokens_and_segments(p[i], nxt)
    masked, positions, labels = mask_tokens(tokens)
    pad = max_len - len(tokens)
    examples.append((torch.tensor([idx[t] for t in masked] + [0] * pad), torch.tensor(segments + [0] * pad),
                     torch.tensor(len(tokens), dtype=torch.float32), torch.tensor(positions),
                     torch.tensor([idx[t] for t in labels]), torch.tensor(is_next, dtype=torch.long)))
batch = [torch.stack(column) for column in zip(*examples)]
print([tuple(b.shape) for b in batch], batch[3].dtype, batch[2][:4])


class BERTEncoder(nn.Module):
    def __init__(self, vocab_size, num_hiddens, ffn_num_hiddens, num_heads, num_blks, dropout, max_len=1000):
        super().__init__()
        self.token_embedding = nn.Embedding(vocab_size, num_hiddens)
        self.segment_embedding = nn.Embedding(2, num_hiddens)
        layer = nn.TransformerEncoderLayer(num_hiddens, num_heads, ffn_num_hiddens, dropout, batch_first=True)
        self.blks = nn.TransformerEncoder(layer, num_blks, enable_nested_tensor=False)
        self.pos_embedding = nn.Parameter(torch.randn(1, max_len, num_hiddens))

    def forward(self, tokens, segments, valid_lens):
        X = self.token_embedding(tokens) + self.segment_embedding(segments)
        X = X + self.pos_embedding[:, :X.shape[1], :]
        pad_mask = torch.arange(X.shape[1])[None, :] >= valid_lens[:, None]
        return self.blks(X, src_key_padding_mask=pad_mask)


class MaskLM(nn.Module):
    def __init__(self, vocab_size, num_hiddens):
        super().__init__()
        self.mlp = nn.Sequential(nn.LazyLinear(num_hiddens), nn.ReLU(), nn.LayerNorm(num_hiddens),
                                 nn.LazyLinear(vocab_size))

    def forward(self, X, pred_positions):
        num_pred_positions = pred_positions.shape[1]
        pred_positions = pred_positions.reshape(-1)
        batch_size = X.shape[0]
        batch_idx = torch.arange(0, batch_size)
        batch_idx = torch.repeat_interleave(batch_idx, num_pred_positions)
        masked_X = X[batch_idx, pred_positions]
        masked_X = masked_X.reshape((batch_size, num_pred_positions, -1))
        return self.mlp(masked_X)


encoder = BERTEncoder(len(vocab), 32, 64, 2, 2, 0.1, max_len=max_len)
mlm, nsp = MaskLM(len(vocab), 32), nn.Sequential(nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 2))
mlm(torch.zeros(1, 2, 32), torch.tensor([[0, 1]]))
params = [*encoder.parameters(), *mlm.parameters(), *nsp.parameters()]
optimizer = torch.optim.AdamW(params, lr=0.003)
loss_fn = nn.CrossEntropyLoss(reduction='none')
tokens, segments, valid_lens, positions, mlm_labels, nsp_labels = batch
weights = torch.ones_like(positions, dtype=torch.float32)
losses = []
for step in range(25):
    encoded = encoder(tokens, segments, valid_lens)
    mlm_hat = mlm(encoded, positions)
    mlm_l = loss_fn(mlm_hat.reshape(-1, len(vocab)), mlm_labels.reshape(-1)) * weights.reshape(-1)
    mlm_l = mlm_l.sum() / (weights.sum() + 1e-8)
    nsp_l = loss_fn(nsp(encoded[:, 0, :]), nsp_labels).mean()
    loss = mlm_l + nsp_l
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    losses.append(loss.item())
    if step % 8 == 0:
        print(f"step {step}: mlm {mlm_l.item():.4f} nsp {nsp_l.item():.4f}")
encoder.eval()
with torch.no_grad():
    encoded = encoder(tokens, segments, valid_lens)
    mlm_acc = (mlm(encoded, positions).argmax(-1) == mlm_labels).float().mean().item()
    nsp_acc = (nsp(encoded[:, 0]).argmax(-1) == nsp_labels).float().mean().item()
print(f"MLM acc {mlm_acc:.3f} NSP acc {nsp_acc:.3f}", encoded.shape)
result = [mlm_acc, nsp_acc, encoded.abs().mean().item()]
