"""pytorch/examples' word_language_model, shrunk: a Dictionary/Corpus built from token lists,
batchify into (nbatch, bsz) columns, get_batch with bptt, an RNNModel (Embedding -> Dropout
-> LSTM with inter-layer dropout -> Dropout -> Linear, weights tied to the encoder,
init_weights with uniform_), repackage_hidden, clip_grad_norm_, the manual SGD update
p.data.add_(p.grad, alpha=-lr), evaluate() with math.exp perplexity, and lr /= 4 when the
validation loss does not improve."""

import math

import torch
import torch.nn as nn

torch.manual_seed(1111)


class Dictionary(object):
    def __init__(self):
        self.word2idx = {}
        self.idx2word = []

    def add_word(self, word):
        if word not in self.word2idx:
            self.idx2word.append(word)
            self.word2idx[word] = len(self.idx2word) - 1
        return self.word2idx[word]


grammar = {"S": [["the", "N", "V", "the", "N", "<eos>"], ["a", "N", "V", "<eos>"]],
           "N": [["cat"], ["dog"], ["bird"], ["fox"]], "V": [["sees"], ["chases"], ["likes"]]}
g = torch.Generator().manual_seed(0)


def expand(symbol):
    if symbol not in grammar:
        return [symbol]
    options = grammar[symbol]
    choice = options[int(torch.randint(len(options), (1,), generator=g))]
    return [w for s in choice for w in expand(s)]


dictionary = Dictionary()


def tokenize(n_sentences):
    words = [w for _ in range(n_sentences) for w in expand("S")]
    return torch.tensor([dictionary.add_word(w) for w in words], dtype=torch.int64)


train_data, val_data = tokenize(150), tokenize(30)


def batchify(data, bsz):
    nbatch = data.size(0) // bsz
    data = data.narrow(0, 0, nbatch * bsz)
    return data.view(bsz, -1).t().contiguous()


bptt, eval_batch_size = 12, 5
train_data, val_data = batchify(train_data, 8), batchify(val_data, eval_batch_size)


def get_batch(source, i):
    seq_len = min(bptt, len(source) - 1 - i)
    data = source[i:i + seq_len]
    target = source[i + 1:i + 1 + seq_len].view(-1)
    return data, target


class RNNModel(nn.Module):
    def __init__(self, ntoken, ninp, nhid, nlayers, dropout=0.5, tie_weights=False):
        super(RNNModel, self).__init__()
        self.ntoken = ntoken
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = nn.LSTM(ninp, nhid, nlayers, dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)
        if tie_weights:
            self.decoder.weight = self.encoder.weight
        self.init_weights()
        self.nhid, self.nlayers = nhid, nlayers

    def init_weights(self):
        initrange = 0.1
        nn.init.uniform_(self.encoder.weight, -initrange, initrange)
        nn.init.zeros_(self.decoder.bias)
        nn.init.uniform_(self.decoder.weight, -initrange, initrange)

    def forward(self, input, hidden):
        emb = self.drop(self.encoder(input))
        output, hidden = self.rnn(emb, hidden)
        output = self.drop(output)
        decoded = self.decoder(output).view(-1, self.ntoken)
        return nn.functional.log_softmax(decoded, dim=1), hidden

    def init_hidden(self, bsz):
        weight = next(self.parameters())
        return (weight.new_zeros(self.nlayers, bsz, self.nhid), weight.new_zeros(self.nlayers, bsz, self.nhid))


def repackage_hidden(h):
    if isinstance(h, torch.Tensor):
        return h.detach()
    return tuple(repackage_hidden(v) for v in h)


model = RNNModel(len(dictionary.idx2word), 16, 16, 2, dropout=0.2, tie_weights=True)
criterion = nn.NLLLoss()


def evaluate(data_source):
    model.eval()
    total_loss = 0.
    hidden = model.init_hidden(eval_batch_size)
    with torch.no_grad():
        for i in range(0, data_source.size(0) - 1, bptt):
            data, targets = get_batch(data_source, i)
            output, hidden = model(data, hidden)
            hidden = repackage_hidden(hidden)
            total_loss += len(data) * criterion(output, targets).item()
    return total_loss / (len(data_source) - 1)


lr, best_val_loss, losses = 5.0, None, []
for epoch in range(1, 6):
    model.train()
    hidden = model.init_hidden(8)
    for batch, i in enumerate(range(0, train_data.size(0) - 1, bptt)):
        data, targets = get_batch(train_data, i)
        model.zero_grad()
        hidden = repackage_hidden(hidden)
        output, hidden = model(data, hidden)
        loss = criterion(output, targets)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.25)
        for p in model.parameters():
            p.data.add_(p.grad, alpha=-lr)
        losses.append(loss.item())
    val_loss = evaluate(val_data)
    print('| end of epoch {:3d} | valid loss {:5.2f} | valid ppl {:8.2f} | lr {:.2f}'.format(epoch, val_loss, math.exp(val_loss), lr))
    if not best_val_loss or val_loss < best_val_loss:
        best_val_loss = val_loss
    else:
        lr /= 4.0
print(train_data.shape, val_data.shape, len(dictionary.idx2word), model.decoder.weight is model.encoder.weight)
result = [best_val_loss, lr, sum(p.numel() for p in model.parameters())]
