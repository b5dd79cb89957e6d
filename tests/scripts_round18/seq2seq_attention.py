"""A seq2seq GRU with dot-product attention learning to reverse digit sequences: teacher
forcing chosen with Python's random, NLLLoss on log_softmax, greedy decoding with topk."""

import random

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import optim

random.seed(0)
torch.manual_seed(0)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
rng = np.random.default_rng(4)
SOS_token, EOS_token, vocab, hidden_size, max_len = 0, 1, 8, 16, 5
pairs = []
for _ in range(24):
    seq = list(rng.integers(2, vocab, 4))
    pairs.append((seq + [EOS_token], seq[::-1] + [EOS_token]))


class EncoderRNN(nn.Module):
    def __init__(self, input_size, hidden_size):
        super(EncoderRNN, self).__init__()
        self.embedding = nn.Embedding(input_size, hidden_size)
        self.gru = nn.GRU(hidden_size, hidden_size, batch_first=True)

    def forward(self, input):
        return self.gru(self.embedding(input))


class AttnDecoderRNN(nn.Module):
    def __init__(self, hidden_size, output_size):
        super(AttnDecoderRNN, self).__init__()
        self.embedding = nn.Embedding(output_size, hidden_size)
        self.gru = nn.GRU(2 * hidden_size, hidden_size, batch_first=True)
        self.out = nn.Linear(hidden_size, output_size)

    def forward_step(self, input, hidden, encoder_outputs):
        embedded = self.embedding(input)
        query = hidden.permute(1, 0, 2)
        scores = torch.bmm(query, encoder_outputs.transpose(1, 2))
        weights = F.softmax(scores, dim=-1)
        context = torch.bmm(weights, encoder_outputs)
        output, hidden = self.gru(torch.cat((embedded, context), dim=2), hidden)
        return F.log_softmax(self.out(output), dim=-1), hidden, weights


encoder = EncoderRNN(vocab, hidden_size).to(device)
decoder = AttnDecoderRNN(hidden_size, vocab).to(device)
for module in (encoder, decoder):
    for name, param in module.named_parameters():
        param.data.copy_(torch.tensor(rng.normal(0, 0.3, param.shape), dtype=torch.float32))
encoder_optimizer = optim.SGD(encoder.parameters(), lr=0.05, momentum=0.9)
decoder_optimizer = optim.SGD(decoder.parameters(), lr=0.05, momentum=0.9)
criterion = nn.NLLLoss()
teacher_forcing_ratio = 0.5

losses = []
for epoch in range(3):
    for src, tgt in pairs[:12]:
        input_tensor = torch.tensor(src, dtype=torch.long, device=device).view(1, -1)
        target_tensor = torch.tensor(tgt, dtype=torch.long, device=device).view(1, -1)
        encoder_optimizer.zero_grad()
        decoder_optimizer.zero_grad()
        encoder_outputs, encoder_hidden = encoder(input_tensor)
        decoder_input = torch.tensor([[SOS_token]], device=device)
        decoder_hidden = encoder_hidden
        use_teacher_forcing = True if random.random() < teacher_forcing_ratio else False
        loss = 0
        for di in range(target_tensor.size(1)):
            decoder_output, decoder_hidden, _ = decoder.forward_step(
                decoder_input, decoder_hidden, encoder_outputs)
            loss += criterion(decoder_output.squeeze(1), target_tensor[:, di])
            if use_teacher_forcing:
                decoder_input = target_tensor[:, di].unsqueeze(1)
            else:
                topv, topi = decoder_output.topk(1)
                decoder_input = topi.squeeze(-1).detach()
                if decoder_input.item() == EOS_token:
                    break
        loss.backward()
        nn.utils.clip_grad_value_(list(encoder.parameters()) + list(decoder.parameters()), 1.0)
        encoder_optimizer.step()
        decoder_optimizer.step()
        losses.append(loss.item() / target_tensor.size(1))


def evaluate(src):
    with torch.no_grad():
        input_tensor = torch.tensor(src, dtype=torch.long).view(1, -1)
        encoder_outputs, hidden = encoder(input_tensor)
        decoder_input = torch.tensor([[SOS_token]])
        decoded, attentions = [], []
        for _ in range(max_len):
            out, hidden, attn = decoder.forward_step(decoder_input, hidden, encoder_outputs)
            attentions.append(attn.squeeze())
            topv, topi = out.data.topk(1)
            if topi.item() == EOS_token:
                break
            decoded.append(topi.item())
            decoder_input = topi.squeeze(-1).detach()
        return decoded, torch.stack(attentions)


correct = 0
for src, tgt in pairs:
    decoded, attn = evaluate(src)
    correct += int(decoded == tgt[:-1])
    assert torch.allclose(attn.sum(-1), torch.ones(attn.shape[0]))
print("exact", correct, "of", len(pairs))
result = [correct, attn.max().item(), losses[-1]]
