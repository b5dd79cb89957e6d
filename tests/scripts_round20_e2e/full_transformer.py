"""A full nn.Transformer (encoder-decoder) copying a sequence, with xavier init of its matrices."""
import torch
import torch.nn as nn

torch.manual_seed(71)
torch.set_num_threads(1)

V, D = 7, 16
embed = nn.Embedding(V, D)
model = nn.Transformer(D, nhead=2, num_encoder_layers=2, num_decoder_layers=1,
                       dim_feedforward=24, dropout=0.1, batch_first=True)
for p in model.parameters():
    if p.dim() > 1:
        nn.init.xavier_uniform_(p)
out_proj = nn.Linear(D, V)
params = [*embed.parameters(), *model.parameters(), *out_proj.parameters()]
opt = torch.optim.Adam(params, lr=3e-3)
sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / 4))
causal = model.generate_square_subsequent_mask(5)

for step in range(10):
    src = torch.randint(1, V, (6, 5))
    tgt_in = torch.cat([torch.zeros(6, 1, dtype=torch.long), src[:, :-1]], 1)
    logits = out_proj(model(embed(src), embed(tgt_in), tgt_mask=causal))
    loss = nn.functional.cross_entropy(logits.reshape(-1, V), src.reshape(-1))
    opt.zero_grad()
    loss.backward()
    opt.step()
    sched.step()
    print(f"step {step} loss {loss.item():.6f}")
model.eval()
with torch.no_grad():
    logits = out_proj(model(embed(src[:2]), embed(tgt_in[:2]), tgt_mask=causal))
print("pred", logits.argmax(-1).tolist())
print("enc w", model.encoder.layers[0].linear1.weight[0, :4])
