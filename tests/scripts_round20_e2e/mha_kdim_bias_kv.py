"""Cross-attention with kdim/vdim, add_bias_kv and add_zero_attn, trained with Adamax."""
import torch
import torch.nn as nn

torch.manual_seed(61)
torch.set_num_threads(1)

attn = nn.MultiheadAttention(8, 2, kdim=5, vdim=3, add_bias_kv=True, add_zero_attn=True,
                             dropout=0.1, batch_first=True)
head = nn.Linear(8, 1)
print("bias_k", attn.bias_k[0, 0, :4])
print("q proj", attn.q_proj_weight[:2, :3])
print("v proj", attn.v_proj_weight[0])
opt = torch.optim.Adamax(list(attn.parameters()) + list(head.parameters()), lr=0.01)
sched = torch.optim.lr_scheduler.MultiStepLR(opt, milestones=[3, 6], gamma=0.3)

for step in range(9):
    query = torch.randn(4, 3, 8)
    key = torch.randn(4, 6, 5)
    value = torch.randn(4, 6, 3)
    mask = torch.rand(4, 6) < 0.2
    out, weights = attn(query, key, value, key_padding_mask=mask)
    loss = (head(out).squeeze(-1) - value.mean()).pow(2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    sched.step()
    print(f"step {step} loss {loss.item():.6f} wsum {weights.sum().item():.4f}")
attn.eval()
with torch.no_grad():
    out, weights = attn(query[:1], key[:1], value[:1], average_attn_weights=False)
print(weights[0, 0])
