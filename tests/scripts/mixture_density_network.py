"""A mixture density network (Bishop's inverted sine): the network outputs a
MixtureSameFamily of Normals weighted by a Categorical, trained on -log_prob."""

import numpy as np
import torch
import torch.distributions as D
import torch.nn as nn

rng = np.random.default_rng(14)
n, K = 256, 3
y_np = rng.uniform(-1, 1, size=(n, 1)).astype(np.float32)
x_np = (y_np + 0.3 * np.sin(2 * np.pi * y_np)
        + rng.uniform(-0.1, 0.1, size=(n, 1))).astype(np.float32)
x, y = torch.from_numpy(x_np), torch.from_numpy(y_np)


class MDN(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(1, 24), nn.Tanh())
        self.pi, self.mu, self.sigma = nn.Linear(24, K), nn.Linear(24, K), nn.Linear(24, K)

    def forward(self, x):
        h = self.body(x)
        mix = D.Categorical(logits=self.pi(h))
        comp = D.Normal(self.mu(h), torch.exp(self.sigma(h)).clamp(min=1e-3))
        return D.MixtureSameFamily(mix, comp)


model = MDN()
model.load_state_dict({k: torch.tensor(rng.normal(0, 0.5, size=tuple(v.shape)),
                                       dtype=torch.float32)
                       for k, v in model.state_dict().items()})
opt = torch.optim.Adam(model.parameters(), lr=0.01)
losses = []
for _ in range(30):
    opt.zero_grad()
    loss = -model(x).log_prob(y.squeeze(-1)).mean()
    loss.backward()
    opt.step()
    losses.append(loss.item())
with torch.no_grad():
    d = model(torch.tensor([[0.0], [0.5]]))
    assert d.sample((7,)).shape == (7, 2)
    result = d.mean.tolist() + d.variance.tolist() + d.cdf(torch.tensor([0.1, 0.2])).tolist()
