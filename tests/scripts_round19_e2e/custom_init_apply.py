"""A model initialised by a custom _init_weights through model.apply (nn.init everywhere)."""
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(10)
torch.set_num_threads(1)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 4, 3)
        self.rnn = nn.LSTM(4, 6, batch_first=True)
        self.fc1 = nn.Linear(6, 12)
        self.fc2 = nn.Linear(12, 3)
        self.emb = nn.Embedding(5, 6)
        self.apply(self._init_weights)

    def _init_weights(self, m):
        if isinstance(m, nn.Linear):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            nn.init.constant_(m.bias, 0.01)
        elif isinstance(m, nn.LSTM):
            for name, p in m.named_parameters():
                if "weight_hh" in name:
                    nn.init.orthogonal_(p)
                elif "weight_ih" in name:
                    nn.init.xavier_normal_(p, gain=nn.init.calculate_gain("tanh"))
                else:
                    nn.init.zeros_(p)
        elif isinstance(m, nn.Embedding):
            nn.init.trunc_normal_(m.weight, std=0.02, a=-0.04, b=0.04)

    def forward(self, img, tok):
        f = F.relu(self.conv(img)).mean((2, 3))
        seq = f.unsqueeze(1).repeat(1, 3, 1)
        out, _ = self.rnn(seq)
        return self.fc2(F.gelu(self.fc1(out[:, -1] + self.emb(tok))))


model = Net()
head = nn.Linear(3, 3)
nn.init.normal_(head.weight, mean=0.0, std=0.1)
nn.init.kaiming_uniform_(head.weight, a=0.1)
nn.init.uniform_(head.bias, -0.1, 0.1)
img, tok = torch.randn(10, 2, 6, 6), torch.randint(0, 5, (10,))
target = torch.randint(0, 3, (10,))
opt = torch.optim.SGD(list(model.parameters()) + list(head.parameters()), lr=0.05)
for step in range(8):
    loss = F.cross_entropy(head(model(img, tok)), target)
    opt.zero_grad()
    loss.backward()
    opt.step()
    print(f"step {step} loss {loss.item():.6f}")
print("emb", [f"{v:.6f}" for v in model.emb.weight[0, :4].tolist()])
print("hh", f"{model.rnn.weight_hh_l0.sum().item():.5f}")
