"""nn.Bilinear on two views, LayerNorm with affine, PReLU, RAdam and clip_grad_value_."""
import torch
import torch.nn as nn

torch.manual_seed(51)
torch.set_num_threads(1)


class PairNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.bil = nn.Bilinear(4, 3, 6)
        self.norm = nn.LayerNorm(6)
        self.act = nn.PReLU()
        self.out = nn.Linear(6, 1)

    def forward(self, a, b):
        return self.out(self.act(self.norm(self.bil(a, b)))).squeeze(1)


net = PairNet()
print("bilinear bias", net.bil.bias)
print("bilinear weight", net.bil.weight[0, :2])
opt = torch.optim.RAdam(net.parameters(), lr=0.02, weight_decay=1e-3)

for step in range(10):
    a = torch.randn(20, 4)
    b = torch.rand(20, 3)
    target = (a[:, :3] * b).sum(1) + 0.1 * torch.randn(20)
    loss = nn.functional.smooth_l1_loss(net(a, b), target)
    opt.zero_grad()
    loss.backward()
    nn.utils.clip_grad_value_(net.parameters(), 0.5)
    opt.step()
    print(f"step {step} loss {loss.item():.6f} prelu {net.act.weight.item():.6f}")
print("ln", net.norm.weight.data, net.norm.bias.data)
