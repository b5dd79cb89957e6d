"""A GRU encoder-decoder reversing digit sequences, teacher forcing decided by torch.rand."""
import torch
import torch.nn as nn

torch.manual_seed(161)
torch.set_num_threads(1)

V, H = 6, 16
emb = nn.Embedding(V, 8)
enc = nn.GRU(8, H, batch_first=True)
dec = nn.GRU(8, H, batch_first=True)
out = nn.Linear(H, V)
params = [*emb.parameters(), *enc.parameters(), *dec.parameters(), *out.parameters()]
opt = torch.optim.Adam(params, lr=0.01)

for step in range(12):
    src = torch.randint(1, V, (8, 5))
    tgt = src.flip(1)
    _, h = enc(emb(src))
    token = torch.zeros(8, 1, dtype=torch.long)
    loss = 0.0
    for t in range(5):
        o, h = dec(emb(token), h)
        logits = out(o[:, 0])
        loss = loss + nn.functional.cross_entropy(logits, tgt[:, t])
        teacher = torch.rand(1).item() < 0.5
        token = tgt[:, t:t + 1] if teacher else logits.argmax(1, keepdim=True)
    opt.zero_grad()
    (loss / 5).backward()
    nn.utils.clip_grad_norm_(params, 1.0)
    opt.step()
    print(f"step {step} loss {loss.item() / 5:.6f} teacher {teacher}")
print("h", h[0, 0, :4])
