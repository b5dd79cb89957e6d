"""A siamese LSTM for sentence similarity (Mueller & Thyagarajan's MaLSTM): variable-length
sequences padded with pad_sequence, sorted by length with sort(descending=True), packed with
pack_padded_sequence, unpacked with pad_packed_sequence and unsorted with the inverse
permutation; similarity exp(-||h1 - h2||_1); also enforce_sorted=False for comparison."""

import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence, pad_sequence

torch.manual_seed(13)
vocab, emb_dim, hidden = 20, 12, 16


class MaLSTM(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(vocab, emb_dim, padding_idx=0)
        self.lstm = nn.LSTM(emb_dim, hidden, num_layers=1, batch_first=True)

    def encode(self, seqs, lengths):
        lengths_sorted, sort_idx = lengths.sort(0, descending=True)
        _, unsort_idx = sort_idx.sort(0)
        emb = self.embedding(seqs[sort_idx])
        packed = pack_padded_sequence(emb, lengths_sorted.cpu(), batch_first=True)
        packed_out, (h_n, c_n) = self.lstm(packed)
        output, out_lengths = pad_packed_sequence(packed_out, batch_first=True, total_length=seqs.size(1))
        last = h_n[-1][unsort_idx]
        return last, output[unsort_idx], out_lengths[unsort_idx]

    def forward(self, a, len_a, b, len_b):
        h_a, _, _ = self.encode(a, len_a)
        h_b, _, _ = self.encode(b, len_b)
        return torch.exp(-torch.sum(torch.abs(h_a - h_b), dim=1))


def make_pairs(n):
    firsts, seconds, labels = [], [], []
    for i in range(n):
        length = int(torch.randint(2, 9, (1,)))
        s = torch.randint(1, vocab, (length,))
        if i % 2 == 0:  # a paraphrase: same tokens, one swapped
            t = s.clone()
            t[torch.randint(0, length, (1,))] = torch.randint(1, vocab, (1,))
            labels.append(1.0)
        else:
            t = torch.randint(1, vocab, (int(torch.randint(2, 9, (1,))),))
            labels.append(0.0)
        firsts.append(s)
        seconds.append(t)
    la = torch.tensor([len(s) for s in firsts])
    lb = torch.tensor([len(s) for s in seconds])
    return pad_sequence(firsts, batch_first=True), la, pad_sequence(seconds, batch_first=True), lb, torch.tensor(labels)


a, la, b, lb, labels = make_pairs(32)
model = MaLSTM()
optimizer = torch.optim.Adadelta(model.parameters(), lr=1.0, rho=0.9)
criterion = nn.MSELoss()
losses = []
for epoch in range(15):
    optimizer.zero_grad()
    sim = model(a, la, b, lb)
    loss = criterion(sim, labels)
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), 1.25)
    optimizer.step()
    losses.append(loss.item())
    if epoch % 5 == 0:
        print(f"epoch {epoch:2d} mse {loss.item():.4f} mean sim {sim.mean().item():.4f}")

with torch.no_grad():
    h_sorted, outputs, out_lengths = model.encode(a, la)
    packed_auto = pack_padded_sequence(model.embedding(a), la, batch_first=True, enforce_sorted=False)
    out_auto, (h_auto, _) = model.lstm(packed_auto)
    padded_auto, lengths_auto = pad_packed_sequence(out_auto, batch_first=True, padding_value=-1.0)
    last_from_output = outputs[torch.arange(len(la)), la - 1]
    sim = model(a, la, b, lb)
    acc = ((sim > 0.5).float() == labels).float().mean().item()
print("packed batch sizes", packed_auto.batch_sizes.tolist())
print("same", torch.allclose(h_auto[-1], h_sorted, atol=1e-6), torch.allclose(last_from_output, h_sorted, atol=1e-6),
      torch.equal(lengths_auto, la), torch.equal(out_lengths, la), padded_auto.shape)
print("padding value kept:", (padded_auto[la < padded_auto.size(1)][:, -1] == -1).all().item())
result = [acc, sim.sum().item(), outputs.abs().sum().item(), padded_auto.sum().item()]
