"""d2l.ai chapters 9-10: an RNN language model from scratch on a toy corpus (vocabulary,
sequential partitioning, F.one_hot inputs, hand-written gradient clipping by global norm,
perplexity, a predict function that warms up on a prefix), then GRU and LSTM cells from
scratch with nn.Parameter triples, and nn.GRU for comparison."""

import math

import torch
from torch import nn
from torch.nn import functional as F

torch.manual_seed(5)
text = "the time machine by h g wells " * 12 + "the traveller spoke and we listened "
vocab = sorted(set(text))
token_to_idx = {ch: i for i, ch in enumerate(vocab)}
corpus = torch.tensor([token_to_idx[ch] for ch in text])
num_hiddens, batch_size, num_steps = 32, 4, 10


def seq_data_iter_sequential(corpus, batch_size, num_steps):
    offset = 3
    num_tokens = ((len(corpus) - offset - 1) // batch_size) * batch_size
    Xs = corpus[offset: offset + num_tokens].reshape(batch_size, -1)
    Ys = corpus[offset + 1: offset + 1 + num_tokens].reshape(batch_size, -1)
    for i in range(0, Xs.shape[1] // num_steps * num_steps, num_steps):
        yield Xs[:, i: i + num_steps], Ys[:, i: i + num_steps]


def three(shape_in, shape_out):
    return (nn.Parameter(torch.randn(shape_in, shape_out) * 0.01),
            nn.Parameter(torch.randn(shape_out, shape_out) * 0.01),
            nn.Parameter(torch.zeros(shape_out)))


class RNNScratch(nn.Module):
    def __init__(self, vocab_size, num_hiddens, kind):
        super().__init__()
        self.kind, self.vocab_size = kind, vocab_size
        gates = {"rnn": ["h"], "gru": ["z", "r", "h"], "lstm": ["i", "f", "o", "c"]}[kind]
        self.params = nn.ParameterDict()
        for g in gates:
            for name, p in zip(("W_x", "W_h", "b"), three(vocab_size, num_hiddens)):
                self.params[f"{name}{g}"] = p
        self.W_hq = nn.Parameter(torch.randn(num_hiddens, vocab_size) * 0.01)
        self.b_q = nn.Parameter(torch.zeros(vocab_size))

    def gate(self, g, X, H, act=torch.sigmoid):
        p = self.params
        return act(X @ p[f"W_x{g}"] + H @ p[f"W_h{g}"] + p[f"b{g}"])

    def forward(self, inputs, state):
        X_all = F.one_hot(inputs.T, self.vocab_size).type(torch.float32)
        H, C = state
        outputs = []
        for X in X_all:
            if self.kind == "rnn":
                H = self.gate("h", X, H, torch.tanh)
            elif self.kind == "gru":
                Z, R = self.gate("z", X, H), self.gate("r", X, H)
                H_tilde = self.gate("h", X, R * H, torch.tanh)
                H = Z * H + (1 - Z) * H_tilde
            else:
                I, Fg, O = self.gate("i", X, H), self.gate("f", X, H), self.gate("o", X, H)
                C = Fg * C + I * self.gate("c", X, H, torch.tanh)
                H = O * torch.tanh(C)
            outputs.append(H @ self.W_hq + self.b_q)
        return torch.cat(outputs, dim=0), (H, C)

    def begin_state(self, batch_size):
        return (torch.zeros((batch_size, num_hiddens)), torch.zeros((batch_size, num_hiddens)))


def grad_clipping(net, theta):
    params = [p for p in net.parameters() if p.requires_grad]
    norm = torch.sqrt(sum(torch.sum((p.grad ** 2)) for p in params))
    if norm > theta:
        for param in params:
            param.grad[:] *= theta / norm


def predict(prefix, num_preds, net):
    state = net.begin_state(batch_size=1)
    outputs = [token_to_idx[prefix[0]]]
    get_input = lambda: torch.tensor([outputs[-1]]).reshape((1, 1))
    for y in prefix[1:]:
        _, state = net(get_input(), state)
        outputs.append(token_to_idx[y])
    for _ in range(num_preds):
        y, state = net(get_input(), state)
        outputs.append(int(y.argmax(dim=1).reshape(1)))
    return ''.join([vocab[i] for i in outputs])


losses, result = [], []
for kind in ("rnn", "gru", "lstm"):
    net = RNNScratch(len(vocab), num_hiddens, kind)
    updater = torch.optim.SGD(net.parameters(), lr=1.0)
    for epoch in range(6):
        state, total, n = None, 0.0, 0
        for X, Y in seq_data_iter_sequential(corpus, batch_size, num_steps):
            if state is None:
                state = net.begin_state(batch_size=X.shape[0])
            else:
                state = tuple(s.detach_() for s in state)
            y = Y.T.reshape(-1)
            y_hat, state = net(X, state)
            l = nn.CrossEntropyLoss()(y_hat, y.long()).mean()
            updater.zero_grad()
            l.backward()
            grad_clipping(net, 1)
            updater.step()
            total += l * y.numel()
            n += y.numel()
        losses.append(math.exp(total / n))
    print(f"{kind}: perplexity {losses[-1]:.2f}", predict("the ", 12, net))
    result.append(losses[-1])

gru = nn.GRU(len(vocab), num_hiddens)
head = nn.Linear(num_hiddens, len(vocab))
X = F.one_hot(corpus[:40].reshape(4, 10).T, len(vocab)).float()
out, h = gru(X)
print(out.shape, h.shape, head(out).shape)
result.append(head(out).sum().item())
